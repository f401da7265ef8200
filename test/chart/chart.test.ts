/**
 * charts/cabled with the real helm binary: lint, `helm template` in the
 * supported shapes (defaults, host-pluto mode, offload required, TCP API,
 * VXLAN over transport mode), every rendered object validated against the
 * Kubernetes schemas (kubernetes-models), and what the pods would run checked
 * with the engine's own parsers (flags, ceCustomConfig + PSK, endpoints file).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { parseEndpoint, parseEndpointsText } from '../../src/endpoints/index.js';
import { parseCliArgs } from '../../src/cli/args.js';
import { LIVENESS_SERVICE } from '../../src/engine/api/index.js';
import { parseEngineArgs } from '../../src/engine/options.js';
import { removeDir, tempDir, writeKubeletVolume } from '../../lab/fs-helpers.js';
import { CHART_DIR, ensureHelm, find, helm, renderChart, setArgs, type K8sObject } from './helm.js';
import { validateObject } from './validate.js';

const PSK = 'a-test-psk-of-at-least-thirty-two-bytes-0123456789';
const BASE = { clusterId: 'cluster1', 'ipsec.psk': PSK };

/** Flags the chart renders for features built on other branches; the engine here does not know them yet. */

interface Probe {
  grpc?: { port: number; service?: string };
}
interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface Container {
  name: string;
  args: string[];
  env?: { name: string; value?: string }[];
  ports?: { name: string; containerPort: number; protocol: string }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: { privileged?: boolean; capabilities?: { add?: string[] } };
  volumeMounts?: VolumeMount[];
}
interface Volume {
  name: string;
  hostPath?: { path: string };
  secret?: { secretName: string };
  configMap?: { name: string };
}
interface NodeSelectorTerm {
  matchExpressions: { key: string; operator: string; values: string[] }[];
}
interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  nodeSelector?: Record<string, string>;
  tolerations?: { operator?: string }[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
      preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[];
    };
  };
  containers: Container[];
  volumes?: Volume[];
}
interface DaemonSetShape {
  spec: { updateStrategy: { type: string; rollingUpdate?: { maxUnavailable: number } }; template: { spec: PodSpec } };
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const podSpec = (o: K8sObject): PodSpec => (o as unknown as DaemonSetShape).spec.template.spec;
const gatewayPod = (objects: K8sObject[]): PodSpec => podSpec(find(objects, 'DaemonSet', '-gateway'));
const container = (pod: PodSpec): Container => pod.containers[0] ?? assert.fail('no container');
const envValue = (c: Container, name: string): string | undefined => c.env?.find((e) => e.name === name)?.value;
const mount = (c: Container, name: string): VolumeMount | undefined => c.volumeMounts?.find((m) => m.name === name);
const volume = (pod: PodSpec, name: string): Volume | undefined => pod.volumes?.find((v) => v.name === name);
const configMapData = (objects: K8sObject[], suffix: string): Record<string, string> =>
  (find(objects, 'ConfigMap', suffix) as unknown as { data: Record<string, string> }).data;
const rules = (o: K8sObject): Rule[] => (o as unknown as { rules: Rule[] }).rules;

/** The engine's flags as the container would pass them, $(POD_IP) expanded. */
function engineFlags(c: Container): string[] {
  return c.args.map((a) => a.replaceAll('$(POD_IP)', '10.0.0.5'));
}

const SCENARIOS: { name: string; values: Record<string, string>; extra?: string[] }[] = [
  { name: 'defaults', values: BASE },
  { name: 'host-pluto mode', values: { ...BASE, 'ipsec.plutoMode': 'host' } },
  { name: 'offload affinity required', values: { ...BASE, 'gateway.offloadAffinity': 'required' } },
  {
    name: 'TCP API on',
    values: { ...BASE, 'api.tcp.enabled': 'true', 'api.tcp.tls.secretName': 'cabled-api-tls' },
    extra: ['--set-json', 'api.tcp.tls.admins=["ops-admin","spiffe://example/ci"]'],
  },
  {
    name: 'TCP API on the node IP',
    values: { ...BASE, 'api.tcp.enabled': 'true', 'api.tcp.address': '', 'api.tcp.tls.secretName': 'api-certs' },
  },
  {
    name: 'VXLAN over transport mode, privileged, metrics, NFD, endpoints outside the cluster',
    values: {
      ...BASE,
      'gateway.privileged': 'true',
      'metrics.enabled': 'true',
      'labeler.nfdFeaturesDir': '/etc/kubernetes/node-feature-discovery/features.d',
    },
    extra: [
      '--set-json',
      'ipsec.config={"ceIPSecMode":"transport","ceIPSecOverlay":"vxlan","ceIPSecEsp":["aes_gcm-null"]}',
      '--set-json',
      'engine.subnets=["10.1.0.0/16","10.96.0.0/16"]',
      '--set-json',
      'engine.endpoints=[{"cluster_id":"dc1","hostname":"vpn-gw","private_ip":"192.0.2.10","subnets":["10.50.0.0/16"],"backend":"libreswan"}]',
    ],
  },
  {
    name: 'no leader election, no publication',
    values: { ...BASE, 'highAvailability.leaderElection': 'false', 'highAvailability.publish': 'false' },
  },
  {
    name: "Submariner's code defaults for the election, Lease and Gateways in submariner-operator",
    values: {
      ...BASE,
      'highAvailability.leaseDuration': '15',
      'highAvailability.renewDeadline': '10',
      'highAvailability.retryPeriod': '2',
      'highAvailability.namespace': 'submariner-operator',
      'highAvailability.leaseName': 'cabled-gateway-lock',
      'engine.endpointsNamespace': 'submariner-k8s-broker',
    },
  },
  {
    name: 'plain VXLAN driver, labeler off, existing PSK Secret',
    values: {
      clusterId: 'cluster1',
      'engine.driver': 'vxlan',
      'gateway.privileged': 'true',
      'labeler.enabled': 'false',
      'ipsec.existingSecret': 'submariner-ipsec-psk',
    },
  },
];

describe('Helm chart charts/cabled (real helm binary)', function () {
  this.timeout(120_000);
  const rendered = new Map<string, K8sObject[]>();

  before(async () => {
    await ensureHelm();
    for (const s of SCENARIOS) rendered.set(s.name, await renderChart(s.values, s.extra));
  });
  const objects = (name: string): K8sObject[] => rendered.get(name) ?? assert.fail(`scenario ${name} not rendered`);

  it('should pass helm lint', async () => {
    const r = await helm(['lint', CHART_DIR, ...setArgs(BASE)]);
    assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('should render only objects that match the Kubernetes schemas, in every scenario', () => {
    for (const s of SCENARIOS) {
      const list = objects(s.name);
      assert.ok(list.length >= 5, `${s.name}: ${list.length} objects`);
      for (const o of list) validateObject(o);
    }
  });

  it('should catch a schema violation (negative control for the validator)', () => {
    const ds = structuredClone(find(objects('defaults'), 'DaemonSet', '-gateway')) as unknown as DaemonSetShape &
      K8sObject;
    const port = container(ds.spec.template.spec).ports?.[0] ?? assert.fail('no port');
    (port as unknown as Record<string, unknown>).containerPort = 'not-a-number';
    assert.throws(
      () => validateObject(ds),
      /DaemonSet rel-cabled-gateway does not match the Kubernetes schema: .*containerPort must be integer/,
    );
  });

  it('should catch a misspelt field the schemas allow (negative control for the unknown-field check)', () => {
    const ds = structuredClone(find(objects('defaults'), 'DaemonSet', '-gateway')) as unknown as DaemonSetShape &
      K8sObject;
    (ds.spec.template.spec as unknown as Record<string, unknown>).hostPid = true;
    const c = container(ds.spec.template.spec) as unknown as Record<string, unknown>;
    c.securityContex = {};
    assert.throws(
      () => validateObject(ds),
      /has fields Kubernetes does not know: spec\.template\.spec\.containers\[0\]\.securityContex, spec\.template\.spec\.hostPid$/,
    );
  });

  describe('gateway DaemonSet (defaults)', function () {
    it('should run one pod per gateway node with a rolling update of one node at a time', () => {
      const ds = find(objects('defaults'), 'DaemonSet', '-gateway') as unknown as DaemonSetShape;
      assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
      const pod = ds.spec.template.spec;
      assert.deepEqual(pod.nodeSelector, { 'submariner.io/gateway': 'true' });
      assert.equal(pod.hostNetwork, true);
      assert.equal(pod.hostPID, undefined);
    });

    it("should prefer offload-capable nodes (the labeler's label) without requiring them", () => {
      const affinity = gatewayPod(objects('defaults')).affinity?.nodeAffinity;
      assert.equal(affinity?.requiredDuringSchedulingIgnoredDuringExecution, undefined);
      assert.deepEqual(affinity?.preferredDuringSchedulingIgnoredDuringExecution, [
        {
          weight: 100,
          preference: { matchExpressions: [{ key: 'cabled.io/ipsec-offload', operator: 'In', values: ['true'] }] },
        },
      ]);
    });

    it('should add only the capabilities it needs, not privileged, with /lib/modules read-only', () => {
      const pod = gatewayPod(objects('defaults'));
      const c = container(pod);
      assert.equal(c.securityContext?.privileged, false);
      assert.deepEqual(c.securityContext?.capabilities?.add, [
        'NET_ADMIN',
        'NET_RAW',
        'NET_BIND_SERVICE',
        'SYS_MODULE',
      ]);
      assert.deepEqual(mount(c, 'lib-modules'), { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true });
      assert.equal(volume(pod, 'lib-modules')?.hostPath?.path, '/lib/modules');
      assert.equal(volume(pod, 'run')?.hostPath?.path, '/run/cabled');
    });

    it('should probe grpc.health.v1 natively: liveness on "liveness", readiness on "" (driver up, state applied)', () => {
      const c = container(gatewayPod(objects('defaults')));
      assert.deepEqual(c.livenessProbe?.grpc, { port: 8081, service: LIVENESS_SERVICE });
      assert.deepEqual(c.startupProbe?.grpc, { port: 8081, service: LIVENESS_SERVICE });
      assert.deepEqual(c.readinessProbe?.grpc, { port: 8081, service: '' });
      assert.ok(c.args.includes('--health-listen=$(POD_IP):8081'), c.args.join(' '));
    });

    it('should run the image scripts/build-image.sh builds (localhost/cabled:<package.json version>) under tini', () => {
      const pkg = JSON.parse(readFileSync(join(CHART_DIR, '..', '..', 'package.json'), 'utf8')) as { version: string };
      const appVersion = /^appVersion: "?([^"\n]+)"?$/m.exec(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8'))?.[1];
      assert.equal(appVersion, pkg.version, "Chart.yaml's appVersion is package.json's version");
      const objs = objects('defaults');
      const gateway = container(gatewayPod(objs)) as Container & { image: string; command: string[] };
      assert.equal(gateway.image, `localhost/cabled:${pkg.version}`);
      assert.deepEqual(gateway.command, ['/usr/bin/tini', '-s', '--', 'cabled']);
      const labeler = container(podSpec(find(objs, 'DaemonSet', '-labeler'))) as Container & { image: string };
      assert.equal(labeler.image, `localhost/cabled:${pkg.version}`);
    });

    it('should take another image repository and tag (--set image.repository, image.tag)', async () => {
      const objs = await renderChart({ ...BASE, 'image.repository': 'registry.example/cabled', 'image.tag': '1.2.3' });
      const gateway = container(gatewayPod(objs)) as Container & { image: string };
      assert.equal(gateway.image, 'registry.example/cabled:1.2.3');
    });

    it('should clean the datapath up in preStop in own-pluto mode', () => {
      const c = container(gatewayPod(objects('defaults')));
      assert.deepEqual(c.lifecycle?.preStop?.exec?.command, [
        'cablectl',
        '--socket',
        '/run/cabled/engine.sock',
        '--timeout',
        '80',
        'shutdown',
        '--cleanup',
      ]);
    });

    it('should mount the PSK Secret where CE_IPSEC_PSKSECRET makes the engine read it, and the ConfigMaps', () => {
      const objs = objects('defaults');
      const pod = gatewayPod(objs);
      const c = container(pod);
      const secret = find(objs, 'Secret', '-psk');
      assert.equal(envValue(c, 'CE_IPSEC_PSKSECRET'), secret.metadata.name);
      assert.deepEqual(mount(c, 'psk'), {
        name: 'psk',
        mountPath: `/var/run/secrets/submariner.io/${secret.metadata.name}`,
        readOnly: true,
      });
      assert.equal(volume(pod, 'psk')?.secret?.secretName, secret.metadata.name);
      assert.equal(volume(pod, 'config')?.configMap?.name, find(objs, 'ConfigMap', '-config').metadata.name);
      assert.equal(mount(c, 'config')?.mountPath, '/etc/cabled/config');
    });

    it('should declare the IPsec port (UDP 4500: IKE and NAT-T) and the health port', () => {
      const ports = container(gatewayPod(objects('defaults'))).ports?.map(
        (p) => `${p.name} ${p.containerPort}/${p.protocol}`,
      );
      assert.deepEqual(ports, ['health 8081/TCP', 'ipsec-natt 4500/UDP']);
    });
  });

  describe("what the gateway pod runs, checked with the engine's own parsers", function () {
    it('should pass flags the engine accepts, in every scenario', () => {
      for (const s of SCENARIOS) {
        const c = container(gatewayPod(objects(s.name)));
        const { command, settings } = parseEngineArgs(engineFlags(c), {});
        assert.equal(command, 'run', s.name);
        assert.equal(settings.clusterId, 'cluster1', s.name);
        assert.equal(settings.healthListen, '10.0.0.5:8081', s.name);
        assert.equal(settings.listen[0], 'unix:///run/cabled/engine.sock', s.name);
        assert.equal(settings.endpointsSource, 'both', s.name);
        assert.equal(settings.healthCheck.enabled, true, s.name);
      }
    });

    it('should pass the election settings as values say (Submariner defaults 10/5/2 s), and no election when off', () => {
      const ha = (name: string) =>
        parseEngineArgs(engineFlags(container(gatewayPod(objects(name)))), {
          NODE_NAME: 'node1',
          POD_NAME: 'rel-cabled-gateway-x7k2p',
          POD_NAMESPACE: 'cabled-system',
        }).settings.ha;
      assert.deepEqual(ha('defaults'), {
        leaderElection: true,
        leaseName: 'submariner-gateway-lock',
        namespace: 'cabled-system',
        leaseDurationMs: 10000,
        renewDeadlineMs: 5000,
        retryPeriodMs: 2000,
        identity: 'node1-submariner-gateway',
        nodeName: 'node1',
        publish: true,
        publishNamespace: 'cabled-system',
        podName: 'rel-cabled-gateway-x7k2p',
        podNamespace: 'cabled-system',
      });
      const custom = ha("Submariner's code defaults for the election, Lease and Gateways in submariner-operator");
      assert.equal(custom.leaseDurationMs, 15000);
      assert.equal(custom.renewDeadlineMs, 10000);
      assert.equal(custom.namespace, 'submariner-operator');
      assert.equal(custom.leaseName, 'cabled-gateway-lock');
      assert.equal(custom.publishNamespace, 'submariner-k8s-broker');
      const off = ha('no leader election, no publication');
      assert.equal(off.leaderElection, false);
      assert.equal(off.publish, false);
      // NODE_NAME from the downward API names the gateway (identity, Gateway resource).
      const env = container(gatewayPod(objects('defaults'))).env ?? [];
      assert.ok(env.some((e) => e.name === 'NODE_NAME'));
      // POD_NAME and POD_NAMESPACE name the pod it labels gateway.submariner.io/status (parsed as the engine does).
      const fields = new Map(
        env.map((e) => [
          e.name,
          (e as { valueFrom?: { fieldRef?: { fieldPath?: string } } }).valueFrom?.fieldRef?.fieldPath,
        ]),
      );
      assert.deepEqual([fields.get('POD_NAME'), fields.get('POD_NAMESPACE')], ['metadata.name', 'metadata.namespace']);
    });

    it("should run a preStop command cablectl accepts, on the engine's socket, within the grace period", () => {
      for (const s of SCENARIOS) {
        const ds = find(objects(s.name), 'DaemonSet', '-gateway') as unknown as DaemonSetShape & {
          spec: { template: { spec: { terminationGracePeriodSeconds: number } } };
        };
        const [binary, ...argv] =
          container(ds.spec.template.spec).lifecycle?.preStop?.exec?.command ?? assert.fail(`${s.name}: no preStop`);
        assert.equal(binary, 'cablectl');
        const options = parseCliArgs(argv, {});
        assert.equal(options.command, 'shutdown', s.name);
        assert.equal(options.target, 'unix:///run/cabled/engine.sock', s.name);
        assert.equal(options.cleanup, s.values['ipsec.plutoMode'] !== 'host', s.name);
        assert.ok(
          options.timeoutMs < ds.spec.template.spec.terminationGracePeriodSeconds * 1000,
          `${s.name}: the shutdown must end before kubelet kills the pod`,
        );
      }
    });

    it('should give the engine a ceCustomConfig and PSK it loads', async () => {
      for (const s of SCENARIOS.filter((x) => x.values['ipsec.psk'])) {
        const objs = objects(s.name);
        const dir = tempDir('cabled-chart-');
        try {
          writeKubeletVolume(join(dir, 'config'), configMapData(objs, '-config'));
          const secret = find(objs, 'Secret', '-psk') as unknown as {
            metadata: { name: string };
            data: { psk: string };
          };
          mkdirSync(join(dir, 'secrets', secret.metadata.name), { recursive: true });
          writeFileSync(join(dir, 'secrets', secret.metadata.name, 'psk'), Buffer.from(secret.data.psk, 'base64'));
          const env = { CE_IPSEC_PSKSECRET: secret.metadata.name };
          const cfg = await loadConfig({ path: join(dir, 'config'), env, secretsDir: join(dir, 'secrets') });
          assert.equal(cfg.psk, Buffer.from(PSK).toString('base64'), s.name);
          assert.equal(cfg.plutoMode, s.values['ipsec.plutoMode'] ?? 'own', s.name);
        } finally {
          removeDir(dir);
        }
      }
    });

    it('should write endpoints outside the cluster as an endpoints file the engine accepts', () => {
      const data = configMapData(
        objects('VXLAN over transport mode, privileged, metrics, NFD, endpoints outside the cluster'),
        '-endpoints',
      );
      const read = parseEndpointsText(data['endpoints.yaml'] ?? '');
      assert.ok(read.ok, JSON.stringify(read));
      assert.equal(read.entries.length, 1);
      const { spec } = parseEndpoint(read.entries[0], 'endpoints.yaml[0]');
      assert.deepEqual([spec.clusterId, spec.privateIp, spec.subnets], ['dc1', '192.0.2.10', ['10.50.0.0/16']]);
      const empty = parseEndpointsText(configMapData(objects('defaults'), '-endpoints')['endpoints.yaml'] ?? '');
      assert.deepEqual(empty, { ok: true, entries: [] });
    });
  });

  describe('host-pluto mode', function () {
    it('should share the host PID namespace and mount the host pluto socket directory and ipsec.d', () => {
      const pod = gatewayPod(objects('host-pluto mode'));
      const c = container(pod);
      assert.equal(pod.hostPID, true);
      assert.equal(mount(c, 'host-pluto-run')?.mountPath, '/run/pluto');
      assert.equal(volume(pod, 'host-pluto-run')?.hostPath?.path, '/run/pluto');
      assert.equal(mount(c, 'host-ipsec-d')?.mountPath, '/etc/ipsec.d');
      assert.equal(volume(pod, 'host-ipsec-d')?.hostPath?.path, '/etc/ipsec.d');
      assert.equal(envValue(c, 'CABLED_IPSEC_DIR'), '/etc/ipsec.d');
    });

    it('should stop the engine in preStop without ever removing the datapath', () => {
      const c = container(gatewayPod(objects('host-pluto mode')));
      const command = c.lifecycle?.preStop?.exec?.command ?? assert.fail('no preStop');
      assert.deepEqual(command.slice(-1), ['shutdown']);
      assert.ok(!command.includes('--cleanup'));
      assert.ok(!c.args.includes('--cleanup-on-exit'));
    });

    it('should tell the driver to use the host pluto socket', () => {
      const text = configMapData(objects('host-pluto mode'), '-config').ceCustomConfig ?? '';
      assert.match(text, /^ceIPSecPlutoMode: host$/m);
      assert.match(text, /^ceIPSecPlutoSocket: \/run\/pluto\/pluto\.ctl$/m);
    });
  });

  describe('options', function () {
    it('should require offload-capable nodes when offloadAffinity is required', () => {
      const affinity = gatewayPod(objects('offload affinity required')).affinity?.nodeAffinity;
      assert.equal(affinity?.preferredDuringSchedulingIgnoredDuringExecution, undefined);
      assert.deepEqual(affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [
        { matchExpressions: [{ key: 'cabled.io/ipsec-offload', operator: 'In', values: ['true'] }] },
      ]);
    });

    it('should serve the whole API on TCP only when asked, with mutual TLS from the Secret', () => {
      const pod = gatewayPod(objects('TCP API on'));
      const on = container(pod);
      assert.ok(on.args.includes('--listen=127.0.0.1:50051'));
      assert.ok(on.ports?.some((p) => p.name === 'api' && p.containerPort === 50051));
      const { settings } = parseEngineArgs(engineFlags(on), {});
      assert.deepEqual(settings.apiTls, {
        certFile: '/etc/cabled/api-tls/tls.crt',
        keyFile: '/etc/cabled/api-tls/tls.key',
        clientCaFile: '/etc/cabled/api-tls/ca.crt',
        admins: ['ops-admin', 'spiffe://example/ci'],
      });
      assert.deepEqual(mount(on, 'api-tls'), { name: 'api-tls', mountPath: '/etc/cabled/api-tls', readOnly: true });
      assert.deepEqual(volume(pod, 'api-tls')?.secret, { secretName: 'cabled-api-tls', defaultMode: 0o400 });
      const nodeIp = container(gatewayPod(objects('TCP API on the node IP')));
      const nodeSettings = parseEngineArgs(engineFlags(nodeIp), {}).settings;
      assert.deepEqual(nodeSettings.listen, ['unix:///run/cabled/engine.sock', '10.0.0.5:50051']);
      assert.equal(nodeSettings.apiTls?.clientCaFile, '/etc/cabled/api-tls/ca.crt');
      assert.deepEqual(nodeSettings.apiTls?.admins, []);
      const off = container(gatewayPod(objects('defaults')));
      assert.deepEqual(
        off.args.filter((a) => a.startsWith('--listen=')),
        ['--listen=unix:///run/cabled/engine.sock'],
      );
      assert.equal(
        off.args.some((a) => a.startsWith('--tls-')),
        false,
      );
      assert.equal(volume(gatewayPod(objects('defaults')), 'api-tls'), undefined);
    });

    it('should run privileged, declare the VXLAN port and render the metrics and health-check flags when asked', () => {
      const pod = gatewayPod(
        objects('VXLAN over transport mode, privileged, metrics, NFD, endpoints outside the cluster'),
      );
      const c = container(pod);
      assert.equal(c.securityContext?.privileged, true);
      assert.ok(c.ports?.some((p) => p.name === 'vxlan' && p.containerPort === 4789 && p.protocol === 'UDP'));
      assert.ok(c.args.includes('--metrics-listen=$(POD_IP):8080'));
      assert.ok(c.args.includes('--subnets=10.1.0.0/16,10.96.0.0/16'));
      const { settings } = parseEngineArgs(engineFlags(c), {});
      assert.equal(settings.metricsListen, '10.0.0.5:8080');
      assert.deepEqual(settings.healthCheck, { enabled: true, intervalMs: 1000, maxPacketLossCount: 5 });
    });

    it('should use an existing PSK Secret without rendering one', () => {
      const objs = objects('plain VXLAN driver, labeler off, existing PSK Secret');
      assert.equal(
        objs.some((o) => o.kind === 'Secret'),
        false,
      );
      assert.equal(envValue(container(gatewayPod(objs)), 'CE_IPSEC_PSKSECRET'), 'submariner-ipsec-psk');
      assert.equal(
        objs.some((o) => o.kind === 'DaemonSet' && o.metadata.name.endsWith('-labeler')),
        false,
      );
    });
  });

  describe('labeler and RBAC', function () {
    it('should run the labeler on every node (tolerating all taints), with no privilege', () => {
      const pod = podSpec(find(objects('defaults'), 'DaemonSet', '-labeler'));
      const c = container(pod);
      assert.equal(pod.nodeSelector, undefined);
      assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
      assert.deepEqual(c.args, ['labeler']);
      assert.equal(c.securityContext?.privileged, false);
    });

    it('should pass --nfd-features-dir and mount it when set', () => {
      const pod = podSpec(
        find(
          objects('VXLAN over transport mode, privileged, metrics, NFD, endpoints outside the cluster'),
          'DaemonSet',
          '-labeler',
        ),
      );
      const dir = '/etc/kubernetes/node-feature-discovery/features.d';
      assert.deepEqual(container(pod).args, ['labeler', `--nfd-features-dir=${dir}`]);
      assert.equal(mount(container(pod), 'nfd-features')?.mountPath, dir);
      assert.equal(volume(pod, 'nfd-features')?.hostPath?.path, dir);
    });

    it("should grant the labeler nodes get/patch, the gateway read-only remote Endpoints, and with HA the Lease, Gateways, its own Endpoint and its own pod's label, nothing more", () => {
      const objs = objects('defaults');
      assert.deepEqual(rules(find(objs, 'ClusterRole', '-labeler')), [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
      ]);
      assert.deepEqual(rules(find(objs, 'Role', '-gateway')), [
        { apiGroups: ['submariner.io'], resources: ['endpoints'], verbs: ['get', 'list', 'watch'] },
      ]);
      // Leader election and publication: the Lease, the Gateway resources, the published Endpoint.
      assert.deepEqual(rules(find(objs, 'Role', '-gateway-ha')), [
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          verbs: ['get', 'list', 'watch', 'create', 'update'],
        },
        { apiGroups: ['submariner.io'], resources: ['gateways'], verbs: ['get', 'list', 'create', 'update', 'delete'] },
      ]);
      assert.deepEqual(rules(find(objs, 'Role', '-gateway-publish')), [
        {
          apiGroups: ['submariner.io'],
          resources: ['endpoints'],
          verbs: ['get', 'list', 'create', 'update', 'delete'],
        },
      ]);
      // Its own pod's gateway.submariner.io/status label, in the release namespace.
      assert.deepEqual(rules(find(objs, 'Role', '-gateway-pod-status')), [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
      ]);
      assert.equal(
        find(objs, 'Role', '-gateway-pod-status').metadata.namespace,
        find(objs, 'Role', '-gateway').metadata.namespace,
      );
      for (const suffix of ['-gateway', '-gateway-ha', '-gateway-publish', '-gateway-pod-status']) {
        const binding = find(objs, 'RoleBinding', suffix) as unknown as {
          roleRef: { name: string };
          subjects: { name: string }[];
        };
        assert.equal(binding.roleRef.name, `rel-cabled${suffix}`);
        assert.deepEqual(
          binding.subjects.map((x) => x.name),
          ['rel-cabled-gateway'],
        );
      }
      const off = objects('no leader election, no publication');
      assert.equal(off.filter((o) => o.kind === 'Role' && o.metadata.name.endsWith('-ha')).length, 0);
      assert.equal(off.filter((o) => o.kind === 'Role' && o.metadata.name.endsWith('-publish')).length, 0);
      assert.equal(off.filter((o) => o.kind === 'Role' && o.metadata.name.endsWith('-pod-status')).length, 0);
      const custom = objects("Submariner's code defaults for the election, Lease and Gateways in submariner-operator");
      assert.equal(find(custom, 'Role', '-gateway-ha').metadata.namespace, 'submariner-operator');
      assert.equal(find(custom, 'Role', '-gateway-publish').metadata.namespace, 'submariner-k8s-broker');
      assert.deepEqual(
        objs.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name),
        ['rel-cabled-labeler'],
      );
    });
  });
});
