/**
 * Runs a pod spec rendered by `helm template` the way kubelet and a CRI
 * runtime would, with podman: the container's command as the entrypoint and
 * its args (with $(VAR) references expanded from its env), env with fieldRefs
 * resolved (status.podIP, spec.nodeName, metadata.namespace, metadata.name), the security
 * context (privileged, or the runtime's default capabilities plus the added
 * ones; seccomp unconfined, kubelet's default), hostNetwork as the node's
 * network namespace, hostPID, and the volumes: hostPath as bind mounts (under
 * a per-test node root, except /lib/modules, bound read-only from this machine when it has one),
 * ConfigMaps and Secrets written as kubelet writes them (..data symlinks).
 * Probes are grpc.health.v1 Checks from the node's network namespace
 * (grpc-probe.ts); the preStop hook is `podman exec` of its command.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKubeletVolume } from '../../lab/fs-helpers.js';
import { nsExec } from '../../lab/netns.js';
import { type Exited, podman, podmanExit } from '../helpers/podman.js';
import type { K8sObject } from '../chart/helm.js';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: unknown; configMapKeyRef?: unknown };
}
export interface GrpcProbe {
  grpc?: { port: number; service?: string };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}
export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  startupProbe?: GrpcProbe;
  livenessProbe?: GrpcProbe;
  readinessProbe?: GrpcProbe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: { privileged?: boolean; capabilities?: { add?: string[]; drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
export interface VolumeSpec {
  name: string;
  hostPath?: { path: string; type?: string };
  configMap?: { name: string };
  secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] };
}
export interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  terminationGracePeriodSeconds?: number;
  containers: ContainerSpec[];
  volumes?: VolumeSpec[];
}

/** containerd's and CRI-O's default capability set for a non-privileged container. */
export const RUNTIME_DEFAULT_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

/** Host paths bound as they are (read-only), not under the test's node root. */
const SYSTEM_HOST_PATHS = ['/lib/modules'];

/** The pod template of a rendered DaemonSet. */
export function podTemplate(ds: K8sObject): PodSpec {
  return (ds as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

/** kubelet's $(VAR) expansion of command and args: defined variables are replaced, $$ escapes, the rest stays. */
export function expandVars(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && env.has(name) ? (env.get(name) as string) : whole;
  });
}

export interface PodContext {
  /** Container name for podman (unique per test). */
  name: string;
  /** The node's network namespace (hostNetwork). */
  nodeNetns: string;
  nodeName: string;
  podIP: string;
  namespace: string;
  /** Where this node's host paths and the pod's volumes live. */
  nodeRoot: string;
  /** Every rendered object (ConfigMaps and Secrets the volumes name). */
  objects: readonly K8sObject[];
}

/** Resolves the container's environment (value, or fieldRef for the fields the chart uses). */
export function resolveEnv(c: ContainerSpec, ctx: PodContext): Map<string, string> {
  const fields: Record<string, string> = {
    'status.podIP': ctx.podIP,
    'spec.nodeName': ctx.nodeName,
    'metadata.namespace': ctx.namespace,
    // The pod's name: the container name stands in for it (unique per test, as a pod's name is).
    'metadata.name': ctx.name,
  };
  const env = new Map<string, string>();
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env.set(e.name, expandVars(e.value, env));
    else if (e.valueFrom?.fieldRef) {
      const v = fields[e.valueFrom.fieldRef.fieldPath];
      if (v === undefined)
        throw new Error(`env ${e.name}: fieldRef ${e.valueFrom.fieldRef.fieldPath} not supported here`);
      env.set(e.name, v);
    } else if (e.valueFrom === undefined) env.set(e.name, '');
    else throw new Error(`env ${e.name}: only value and fieldRef are supported here`);
  }
  return env;
}

function objectData(ctx: PodContext, kind: string, name: string): Record<string, string> {
  const o = ctx.objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind} ${name} is not among the rendered objects (kubelet would wait for it)`);
  const data = (o as unknown as { data?: Record<string, string> }).data ?? {};
  if (kind !== 'Secret') return data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** Prepares one volume on the "node" and returns its host path. */
function volumeSource(v: VolumeSpec, ctx: PodContext): string {
  if (v.hostPath) {
    // The real one when this machine has it; else the test node's own (this kernel has no modules).
    if (SYSTEM_HOST_PATHS.includes(v.hostPath.path) && existsSync(v.hostPath.path)) return v.hostPath.path;
    const path = join(ctx.nodeRoot, 'host', v.hostPath.path);
    if (v.hostPath.type === 'DirectoryOrCreate' || v.hostPath.type === 'Directory')
      mkdirSync(path, { recursive: true });
    return path;
  }
  const dir = join(ctx.nodeRoot, 'pods', ctx.name, 'volumes', v.name);
  if (v.configMap) {
    writeKubeletVolume(dir, objectData(ctx, 'ConfigMap', v.configMap.name));
  } else if (v.secret) {
    const data = objectData(ctx, 'Secret', v.secret.secretName);
    const files = v.secret.items ? Object.fromEntries(v.secret.items.map((i) => [i.path, data[i.key] ?? ''])) : data;
    writeKubeletVolume(dir, files);
  } else {
    throw new Error(`volume ${v.name}: only hostPath, configMap and secret are supported here`);
  }
  return dir;
}

/** `podman run` arguments for the pod's first container, as kubelet would create it. */
export function podmanRunArgs(pod: PodSpec, ctx: PodContext, image?: string): string[] {
  const c = pod.containers[0];
  if (!c) throw new Error('the pod has no container');
  if (!pod.hostNetwork) throw new Error('only hostNetwork pods are run here');
  const env = resolveEnv(c, ctx);
  const args = ['run', '--detach', '--name', ctx.name, '--network', `ns:/run/netns/${ctx.nodeNetns}`];
  // kubelet's default for pods without a seccompProfile is Unconfined.
  args.push('--security-opt', 'seccomp=unconfined');
  if (pod.hostPID) args.push('--pid', 'host');
  if (c.securityContext?.privileged) {
    args.push('--privileged');
  } else {
    const add = c.securityContext?.capabilities?.add ?? [];
    const drop = c.securityContext?.capabilities?.drop ?? [];
    const caps = [...new Set([...RUNTIME_DEFAULT_CAPS, ...add])].filter((x) => !drop.includes(x));
    args.push('--cap-drop', 'all', ...caps.flatMap((x) => ['--cap-add', x]));
  }
  for (const [k, v] of env) args.push('--env', `${k}=${v}`);
  for (const m of c.volumeMounts ?? []) {
    const v = pod.volumes?.find((x) => x.name === m.name);
    if (!v) throw new Error(`volumeMount ${m.name}: no such volume`);
    const src = volumeSource(v, ctx);
    const ro = m.readOnly || SYSTEM_HOST_PATHS.includes(v.hostPath?.path ?? '') || v.configMap || v.secret;
    args.push('--mount', `type=bind,src=${src},dst=${m.mountPath}${ro ? ',ro=true' : ''}`);
  }
  if (c.command) args.push('--entrypoint', JSON.stringify(c.command.map((x) => expandVars(x, env))));
  args.push(image ?? c.image, ...(c.args ?? []).map((x) => expandVars(x, env)));
  return args;
}

/** Starts the pod's container; returns its name. */
export async function startPod(pod: PodSpec, ctx: PodContext, image?: string): Promise<string> {
  await podman(podmanRunArgs(pod, ctx, image), 120_000);
  return ctx.name;
}

/** The result of one probe, as kubelet's prober reports it. */
export interface ProbeResult {
  result: 'success' | 'failure';
  output?: string;
}

const PROBE_SCRIPT = fileURLToPath(new URL('./grpc-probe.js', import.meta.url));

/** One gRPC probe from the node: Check(service) on podIP:port with the probe's timeout. */
export async function probeOnce(probe: GrpcProbe, ctx: PodContext): Promise<ProbeResult> {
  if (!probe.grpc) throw new Error('only grpc probes are supported here');
  const input = {
    target: `${ctx.podIP}:${probe.grpc.port}`,
    service: probe.grpc.service ?? '',
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
  };
  const { stdout } = await nsExec(ctx.nodeNetns, process.execPath, [PROBE_SCRIPT, JSON.stringify(input)], 30_000);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ProbeResult;
}

/**
 * Probes every periodSeconds (scaled by `periodScale`, to keep the test short)
 * until success or failureThreshold consecutive failures, as kubelet does for a
 * startup probe. Returns the number of attempts and the last result.
 */
export async function probeUntil(
  probe: GrpcProbe,
  ctx: PodContext,
  periodScale = 1,
): Promise<{ attempts: number; last: ProbeResult; seconds: number }> {
  const threshold = probe.failureThreshold ?? 3;
  const started = Date.now();
  let last: ProbeResult = { result: 'failure', output: 'not probed' };
  for (let attempt = 1; attempt <= threshold; attempt++) {
    const t = Date.now();
    last = await probeOnce(probe, ctx);
    if (last.result === 'success') return { attempts: attempt, last, seconds: (Date.now() - started) / 1000 };
    const wait = (probe.periodSeconds ?? 10) * 1000 * periodScale - (Date.now() - t);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return { attempts: threshold, last, seconds: (Date.now() - started) / 1000 };
}

/** Runs the preStop exec hook in the container, as kubelet does before it sends SIGTERM. */
export async function runPreStop(pod: PodSpec, name: string, timeoutMs: number): Promise<Exited> {
  const command = pod.containers[0]?.lifecycle?.preStop?.exec?.command;
  if (!command?.length) throw new Error('the container has no preStop exec hook');
  return podmanExit(['exec', name, ...command], timeoutMs);
}
