/**
 * The cabled container image (scripts/build-image.sh, built here or reused
 * when its inputs have not changed), run with podman on real network
 * namespaces. Runs as root.
 *
 * - What the image holds: node, cabled, cablectl, both drivers, the labeler,
 *   pluto/whack/addconn/certutil, ip, ping, ethtool.
 * - Two containerised engines, each joined to its own test namespace (the
 *   "node"), connect with the VXLAN driver; a ping crosses the overlay;
 *   cablectl inside the container shows the cable connected; SIGTERM
 *   (`podman stop`) ends the engine with exit code 0 and, with
 *   --cleanup-on-exit, removes the datapath.
 * - Two containerised engines with the libreswan driver: each starts its own
 *   pluto in the container and the IKE SA establishes. This kernel has no ESP,
 *   so the Child SA is refused and cablectl says so; never "connected".
 * - The chart's gateway pod run as a kubelet would (kubelet.ts): the
 *   DaemonSet's container spec from `helm template` with exactly its command,
 *   args, env, security context and volumes; startup, liveness and readiness
 *   probes as grpc.health.v1 Checks on the rendered port and services; the
 *   rendered preStop command; and what kubelet would act on.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConnectionStatus, type Connection } from '../../src/generated/cabled/driver/v1/driver.js';
import { ListConnectionsResponse } from '../../src/generated/cabled/engine/v1/engine.js';
import { parseShowStates } from '../../src/lib/whack/index.js';
import { find, renderChart } from '../chart/helm.js';
import { writeKubeletVolume } from '../../lab/fs-helpers.js';
import { canUseNetns, connectVeth, createNetns, deleteNetns, ipJson, run, waitFor } from '../../lab/netns.js';
import {
  containerLogs,
  containerState,
  ensureImage,
  IMAGE,
  IMAGE_REPOSITORY,
  IMAGE_TAG,
  podman,
  podmanExit,
  removeContainer,
} from '../helpers/podman.js';
import { type PodContext, type PodSpec, podTemplate, probeOnce, probeUntil, runPreStop, startPod } from './kubelet.js';

const TAG = `cbt-image-${process.pid}`;
const PSK = 'cabled-image-test-psk-0123456789abcdef0123';

/** Two "nodes" joined by a veth pair, a cluster-subnet address on lo in each. */
interface Nodes {
  ns: [string, string];
  ip: [string, string];
  subnet: [string, string];
  lo: [string, string];
}

async function makeNodes(suffix: string, octet: number, defaultRoute = false): Promise<Nodes> {
  const nodes: Nodes = {
    ns: [`${TAG}-${suffix}1`, `${TAG}-${suffix}2`],
    ip: [`172.31.${octet}.1`, `172.31.${octet}.2`],
    subnet: [`10.${octet}.0.0/16`, `10.${octet + 1}.0.0/16`],
    lo: [`10.${octet}.0.1`, `10.${octet + 1}.0.1`],
  };
  for (const ns of nodes.ns) await createNetns(ns);
  await connectVeth(
    { ns: nodes.ns[0], name: 'eth0', cidr: `${nodes.ip[0]}/24` },
    { ns: nodes.ns[1], name: 'eth0', cidr: `${nodes.ip[1]}/24` },
  );
  for (const i of [0, 1] as const) {
    await run('ip', ['-n', nodes.ns[i], 'addr', 'add', `${nodes.lo[i]}/32`, 'dev', 'lo']);
    // A node's private IP defaults to the source address of its default route.
    if (defaultRoute) await run('ip', ['-n', nodes.ns[i], 'route', 'add', 'default', 'via', nodes.ip[1 - i]!]);
  }
  return nodes;
}

function endpointsOf(nodes: Nodes, backend: string) {
  return [0, 1].map((i) => ({
    cluster_id: `cluster${i + 1}`,
    hostname: `gw${i + 1}`,
    private_ip: nodes.ip[i],
    subnets: [nodes.subnet[i]],
    backend,
  }));
}

/** `cablectl <args>` inside the container; rejects when it exits non-zero. */
async function cablectl(container: string, socket: string, ...args: string[]): Promise<string> {
  return podman(['exec', container, 'cablectl', '--socket', socket, ...args], 30_000);
}

async function connectionsIn(container: string, socket: string): Promise<Connection[]> {
  const out = await cablectl(container, socket, 'connections', '-o', 'json');
  return ListConnectionsResponse.fromJSON(JSON.parse(out)).connections;
}

async function servingIn(container: string, socket: string): Promise<boolean> {
  const r = await podmanExit(['exec', container, 'cablectl', '--socket', socket, 'health'], 30_000);
  return r.code === 0 && r.stdout.trim() === 'SERVING';
}

/** Logs of the named containers on stderr (when a test failed or CABLED_TEST_LOGS is set). */
async function reportLogs(failed: boolean, names: string[]): Promise<void> {
  if (!failed && !process.env.CABLED_TEST_LOGS) return;
  for (const n of names) process.stderr.write(`--- container ${n} ---\n${(await containerLogs(n)).slice(-4000)}\n`);
}

describe('container image localhost/cabled (root, podman, real network namespaces)', function () {
  this.timeout(180_000);
  let buildOutput = '';

  before(async function () {
    if (!canUseNetns()) throw new Error('image tests need root (podman, network namespaces)');
    // Builds the image the first time (about 2 min with a cached base), then reuses it.
    this.timeout(25 * 60_000);
    buildOutput = await ensureImage();
  });

  describe('contents', () => {
    const name = `${TAG}-c`;
    before(async () => {
      await podman(['run', '--detach', '--name', name, '--network', 'none', '--entrypoint', 'sleep', IMAGE, '600']);
    });
    after(async () => removeContainer(name));

    it('should be the image the build script reported, with the version label of package.json', async () => {
      assert.match(buildOutput, new RegExp(`${IMAGE.replace(/[.]/g, '\\.')} [0-9a-f]{12} \\d+ MB`));
      const version = await podman([
        'image',
        'inspect',
        '--format',
        '{{index .Config.Labels "org.opencontainers.image.version"}}',
        IMAGE,
      ]);
      assert.equal(version.trim(), IMAGE_TAG);
    });

    it('should hold cabled, cablectl, both drivers, the labeler, pluto/whack/addconn/certutil, ip, ping and ethtool', async () => {
      const exec = (...cmd: string[]) => podman(['exec', name, ...cmd]);
      assert.match(await exec('cabled', 'version'), new RegExp(`^cabled ${IMAGE_TAG.replace(/[.]/g, '\\.')}`));
      assert.match(await exec('cablectl', '--help'), /Usage: cablectl/);
      assert.match(await exec('cabled', '--help'), /--driver/);
      assert.match(await exec('cabled', 'labeler', '--help'), /Usage: cabled labeler/);
      for (const driver of ['vxlan', 'libreswan'])
        await exec('test', '-f', `/opt/cabled/dist/drivers/${driver}/main.js`);
      assert.match(await exec('/usr/libexec/ipsec/pluto', '--version'), /Libreswan/);
      await exec('test', '-x', '/usr/libexec/ipsec/whack');
      await exec('test', '-x', '/usr/libexec/ipsec/addconn');
      await exec('sh', '-c', 'command -v certutil && command -v prlimit');
      assert.match(await exec('ip', '-V'), /iproute2/);
      assert.match(await exec('ping', '-V'), /iputils/);
      assert.match(await exec('ethtool', '--version'), /ethtool version/);
      assert.equal((await exec('node', '-p', 'process.version')).trim(), process.version);
    });
  });

  describe('two containerised engines with the VXLAN driver', () => {
    let nodes: Nodes;
    let work: string;
    const names = [`${TAG}-v1`, `${TAG}-v2`];
    const socket = (i: number) => join(work, `run${i + 1}`, 'engine.sock');

    before(async () => {
      nodes = await makeNodes('v', 71);
      work = await mkdtemp(join(tmpdir(), 'cabled-image-vxlan-'));
      await writeFile(join(work, 'endpoints.yaml'), stringify(endpointsOf(nodes, 'vxlan')));
      for (const i of [0, 1]) {
        await podman([
          'run',
          '--detach',
          '--name',
          names[i]!,
          '--privileged',
          '--network',
          `ns:/run/netns/${nodes.ns[i]}`,
          '--mount',
          `type=bind,src=${work},dst=${work}`,
          IMAGE,
          'run',
          '--cluster-id',
          `cluster${i + 1}`,
          '--private-ip',
          nodes.ip[i]!,
          '--subnets',
          nodes.subnet[i]!,
          '--endpoints',
          join(work, 'endpoints.yaml'),
          '--run-dir',
          join(work, `run${i + 1}`),
          '--cleanup-on-exit',
        ]);
      }
    });

    after(async function () {
      await reportLogs(this.currentTest?.state === 'failed', names);
      for (const n of names) await removeContainer(n);
      for (const ns of nodes?.ns ?? []) await deleteNetns(ns);
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('should serve health and show the cable connected in cablectl inside each container', async () => {
      for (const [i, n] of names.entries()) {
        await waitFor(`${n} SERVING`, () => servingIn(n, socket(i)), 60_000, 250);
        const peer = `cluster${2 - i}`;
        await waitFor(
          `${n}: cable to ${peer} connected`,
          async () =>
            (await connectionsIn(n, socket(i))).some(
              (c) => c.endpoint?.clusterId === peer && c.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED,
            ),
          60_000,
          250,
        );
        const table = await cablectl(n, socket(i), 'connections');
        assert.match(table, new RegExp(`${peer}.*connected`));
        assert.match(await cablectl(n, socket(i), 'status'), /vxlan/);
      }
    });

    it('should carry a ping between the cluster subnets over the overlay (ping run in the container)', async () => {
      const out = await podman([
        'exec',
        names[0]!,
        'ping',
        '-c',
        '3',
        '-i',
        '0.2',
        '-W',
        '2',
        '-I',
        nodes.lo[0],
        nodes.lo[1],
      ]);
      assert.match(out, / 0% packet loss/);
      const links = await ipJson<{ ifname: string }[]>(nodes.ns[0], 'link', 'show', 'vxlan-tunnel');
      assert.equal(links[0]?.ifname, 'vxlan-tunnel', 'the overlay device in the node namespace');
    });

    it('should stop on SIGTERM (podman stop) with exit code 0 and remove the datapath (--cleanup-on-exit)', async () => {
      await podman(['stop', '--time', '30', names[0]!], 60_000);
      assert.deepEqual(await containerState(names[0]!), { status: 'exited', exitCode: 0 });
      const links = await ipJson<{ ifname: string }[]>(nodes.ns[0], 'link', 'show').then((l) => l.map((x) => x.ifname));
      assert.ok(!links.includes('vxlan-tunnel'), `vxlan-tunnel removed (links: ${links.join(', ')})`);
    });
  });

  describe('two containerised engines with the libreswan driver (own pluto in each container)', () => {
    let nodes: Nodes;
    let work: string;
    const names = [`${TAG}-l1`, `${TAG}-l2`];
    const runDir = (i: number) => join(work, `run${i + 1}`);

    before(async () => {
      nodes = await makeNodes('l', 73);
      work = await mkdtemp(join(tmpdir(), 'cabled-image-ls-'));
      await writeFile(join(work, 'endpoints.yaml'), stringify(endpointsOf(nodes, 'libreswan')));
      for (const i of [0, 1]) {
        writeKubeletVolume(join(work, `config${i + 1}`), { ceCustomConfig: `ceIPSecPSK: "${PSK}"\n` });
        await podman([
          'run',
          '--detach',
          '--name',
          names[i]!,
          '--privileged',
          '--network',
          `ns:/run/netns/${nodes.ns[i]}`,
          '--mount',
          `type=bind,src=${work},dst=${work}`,
          IMAGE,
          'run',
          '--cluster-id',
          `cluster${i + 1}`,
          '--driver',
          'libreswan',
          '--config',
          join(work, `config${i + 1}`),
          '--private-ip',
          nodes.ip[i]!,
          '--subnets',
          nodes.subnet[i]!,
          '--endpoints',
          join(work, 'endpoints.yaml'),
          '--run-dir',
          runDir(i),
        ]);
      }
    });

    after(async function () {
      await reportLogs(this.currentTest?.state === 'failed', names);
      for (const n of names) await removeContainer(n);
      for (const ns of nodes?.ns ?? []) await deleteNetns(ns);
      if (work) await rm(work, { recursive: true, force: true });
    });

    it("should start each driver's pluto in its container and establish the IKE SA", async () => {
      for (const [i, n] of names.entries()) {
        const ctl = join(runDir(i), 'drivers', 'pluto', 'run', 'pluto.ctl');
        await waitFor(
          `${n}: IKE SA established`,
          async () => {
            const r = await podmanExit(['exec', n, '/usr/libexec/ipsec/whack', '--ctlsocket', ctl, '--showstates']);
            return r.code === 0 && parseShowStates(r.stdout).states.some((s) => s.kind === 'ike' && s.established);
          },
          120_000,
          500,
        );
        const top = await podman(['top', n, 'args']);
        assert.match(top, /\/usr\/libexec\/ipsec\/pluto/, 'pluto runs inside the container');
      }
    });

    it('should report the Child SA refused by the kernel (no ESP here) in cablectl, never connected', async () => {
      const socket = (i: number) => join(runDir(i), 'engine.sock');
      await waitFor(
        'a side reporting the kernel refusal',
        async () => {
          for (const [i, n] of names.entries()) {
            const c = (await connectionsIn(n, socket(i)))[0];
            if (c?.status === ConnectionStatus.CONNECTION_STATUS_ERROR && /refused by the kernel/.test(c.statusMessage))
              return true;
          }
          return false;
        },
        120_000,
        500,
      );
      for (const [i, n] of names.entries()) {
        for (const c of await connectionsIn(n, socket(i)))
          assert.notEqual(c.status, ConnectionStatus.CONNECTION_STATUS_CONNECTED, `${n}: ${c.endpoint?.cableName}`);
        assert.doesNotMatch(await cablectl(n, socket(i), 'connections'), /\bconnected\b/);
      }
    });
  });

  describe("the chart's gateway pod run as a kubelet would (helm template, podman)", () => {
    let nodes: Nodes;
    let work: string;
    const pods: { name: string; spec: PodSpec; ctx: PodContext }[] = [];

    before(async () => {
      nodes = await makeNodes('k', 75, true);
      work = await mkdtemp(join(tmpdir(), 'cabled-image-pod-'));
      for (const i of [0, 1] as const) {
        // One release per cluster; each lists the other gateway in its endpoints file.
        const peer = endpointsOf(nodes, 'libreswan')[1 - i];
        const objects = await renderChart(
          {
            clusterId: `cluster${i + 1}`,
            'ipsec.psk': PSK,
            'engine.endpointsSource': 'file',
            // No API server runs here: the pod is a standalone gateway (no Lease, nothing published), as the chart
            // renders it for a cluster without high availability. Election itself is tested in test/integration/ha.
            'highAvailability.leaderElection': 'false',
            'highAvailability.publish': 'false',
            'image.repository': IMAGE_REPOSITORY,
            'image.tag': IMAGE_TAG,
          },
          [
            '--set-json',
            `engine.subnets=${JSON.stringify([nodes.subnet[i]])}`,
            '--set-json',
            `engine.endpoints=${JSON.stringify([peer])}`,
          ],
        );
        const spec = podTemplate(find(objects, 'DaemonSet', '-gateway'));
        const name = `${TAG}-pod${i + 1}`;
        pods.push({
          name,
          spec,
          ctx: {
            name,
            nodeNetns: nodes.ns[i],
            nodeName: `node${i + 1}`,
            podIP: nodes.ip[i],
            namespace: 'cabled-system',
            nodeRoot: join(work, `node${i + 1}`),
            objects,
          },
        });
      }
      for (const p of pods) await startPod(p.spec, p.ctx);
    });

    after(async function () {
      await reportLogs(
        this.currentTest?.state === 'failed',
        pods.map((p) => p.name),
      );
      for (const p of pods) await removeContainer(p.name);
      for (const ns of nodes?.ns ?? []) await deleteNetns(ns);
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('should render the image this script builds, and run it unprivileged with the capabilities the chart adds', () => {
      for (const p of pods) {
        const c = p.spec.containers[0]!;
        assert.equal(c.image, IMAGE);
        assert.equal(c.securityContext?.privileged, false);
        assert.ok(c.securityContext?.capabilities?.add?.includes('NET_ADMIN'));
      }
    });

    it('should pass the startup probe (grpc, service "liveness") within its failure threshold', async () => {
      for (const p of pods) {
        const probe = p.spec.containers[0]!.startupProbe!;
        const r = await probeUntil(probe, p.ctx);
        assert.equal(
          r.last.result,
          'success',
          `${p.name}: startup probe failed ${r.attempts} times (${r.last.output}); kubelet would kill the container`,
        );
        if (process.env.CABLED_TEST_LOGS)
          process.stderr.write(`${p.name}: startup probe passed after ${r.seconds} s\n`);
      }
    });

    it('should pass the liveness probe (grpc, service "liveness")', async () => {
      for (const p of pods) {
        const r = await probeOnce(p.spec.containers[0]!.livenessProbe!, p.ctx);
        assert.equal(r.result, 'success', `${p.name}: ${r.output}`);
      }
    });

    it('should become ready: the readiness probe (grpc, service "") succeeds once the desired state is applied', async () => {
      for (const p of pods) {
        const probe = p.spec.containers[0]!.readinessProbe!;
        await waitFor(
          `${p.name} ready`,
          async () => (await probeOnce(probe, p.ctx)).result === 'success',
          90_000,
          (probe.periodSeconds ?? 10) * 100,
        );
      }
    });

    it('should reach IKE between the two pods (own pluto, tunnel mode) and show the kernel refusal, never connected', async () => {
      for (const p of pods) {
        await waitFor(
          `${p.name}: IKE SA established`,
          async () => {
            const r = await podmanExit([
              'exec',
              p.name,
              '/usr/libexec/ipsec/whack',
              '--ctlsocket',
              '/run/cabled/drivers/pluto/run/pluto.ctl',
              '--showstates',
            ]);
            return r.code === 0 && parseShowStates(r.stdout).states.some((s) => s.kind === 'ike' && s.established);
          },
          120_000,
          500,
        );
        for (const c of await connectionsIn(p.name, '/run/cabled/engine.sock'))
          assert.notEqual(c.status, ConnectionStatus.CONNECTION_STATUS_CONNECTED);
      }
    });

    it('should stop through the rendered preStop command (exit 0) and remove the datapath before SIGTERM is needed', async () => {
      const p = pods[0]!;
      const grace = (p.spec.terminationGracePeriodSeconds ?? 30) * 1000;
      const started = Date.now();
      const r = await runPreStop(p.spec, p.name, grace);
      assert.equal(r.code, 0, `preStop exited ${r.code}: ${r.stderr}${r.stdout}`);
      // The engine has stopped: the container exits by itself, well within the grace period (no SIGKILL).
      await waitFor(
        `${p.name} exited`,
        async () => (await containerState(p.name))?.status === 'exited',
        grace - (Date.now() - started),
        250,
      );
      assert.deepEqual(await containerState(p.name), { status: 'exited', exitCode: 0 });
      // --cleanup (own pluto mode): the XFRM policies and the cable's routes are gone from the node.
      const policies = (await run('ip', ['-n', p.ctx.nodeNetns, 'xfrm', 'policy', 'list'])).stdout;
      assert.doesNotMatch(
        policies,
        new RegExp(nodes.subnet[1].replace(/[./]/g, '\\$&')),
        'no policy to the peer subnet',
      );
    });
  });
});
