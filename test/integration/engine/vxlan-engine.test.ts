/**
 * Two "clusters" on real network namespaces joined by a veth pair, one real
 * cabled engine in each with the real VXLAN driver as its child process, and
 * one endpoints file. Everything is checked the way an operator would: the
 * kernel state read back with iproute2, traffic with ping, status through
 * cablectl and the gRPC API. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  ConnectionEvent_Kind,
  ConnectionStatus,
  type ConnectionEvent,
} from '../../../src/generated/cabled/driver/v1/driver.js';
import { CABLECTL_MAIN, ENGINE_MAIN, EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import {
  bridgeJson,
  canUseNetns,
  connectVeth,
  createNetns,
  ipJson,
  nsExec,
  nsSysctl,
  run,
  waitFor,
} from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const NS1 = `cbt-eng-${tag}-c1`;
const NS2 = `cbt-eng-${tag}-c2`;
const IP1 = '172.30.9.1';
const IP2 = '172.30.9.2';
const IP3 = '172.30.9.3'; // a third cluster's gateway: listed, never reachable

const endpoint = (cluster: string, ip: string, subnet: string) => ({
  cluster_id: cluster,
  hostname: `gw-${cluster}`,
  private_ip: ip,
  subnets: [subnet],
  backend: 'vxlan',
});
const ALL = [
  endpoint('cluster1', IP1, '10.1.0.0/16'),
  endpoint('cluster2', IP2, '10.2.0.0/16'),
  endpoint('cluster3', IP3, '10.3.0.0/16'),
];

interface LinkJson {
  ifindex: number;
  ifname: string;
  mtu: number;
  operstate: string;
  flags: string[];
  linkinfo?: { info_kind: string; info_data: { id: number; port: number; local: string } };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}
interface FdbJson {
  mac: string;
  dst?: string;
  flags?: string[];
  state?: string;
}
interface RouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
}
interface RuleJson {
  priority: number;
  table: string;
  src?: string;
}

async function vxlanLink(ns: string): Promise<LinkJson | undefined> {
  try {
    const links = await ipJson<LinkJson[]>(ns, '-d', 'addr', 'show', 'dev', 'vxlan-tunnel');
    return links[0];
  } catch {
    return undefined;
  }
}
const fdb = (ns: string) =>
  bridgeJson<FdbJson[]>(ns, 'fdb', 'show', 'dev', 'vxlan-tunnel').catch(() => [] as FdbJson[]);
const zeroMacDsts = async (ns: string) =>
  (await fdb(ns))
    .filter((e) => e.mac === '00:00:00:00:00:00')
    .map((e) => e.dst)
    .sort();
const table100 = (ns: string) => ipJson<RouteJson[]>(ns, 'route', 'show', 'table', '100');
const rules100 = async (ns: string) => (await ipJson<RuleJson[]>(ns, 'rule', 'show')).filter((r) => r.table === '100');
const ping = (ns: string, src: string, dst: string) =>
  nsExec(ns, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', '-I', src, dst]);

describe('engine with the VXLAN driver on two namespaces (integration, root)', function () {
  this.timeout(60000);
  let work: string;
  let endpointsPath: string;
  let configDir: string;
  let e1: EngineProcess;
  let e2: EngineProcess;

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-eng-'));
    endpointsPath = join(work, 'endpoints.yaml');
    await writeFile(endpointsPath, stringify(ALL));
    await createNetns(NS1);
    await createNetns(NS2);
    await connectVeth({ ns: NS1, name: 'eth-c1', cidr: `${IP1}/24` }, { ns: NS2, name: 'eth-c2', cidr: `${IP2}/24` });
    await run('ip', ['-n', NS1, 'addr', 'add', '10.1.0.1/32', 'dev', 'lo']);
    await run('ip', ['-n', NS2, 'addr', 'add', '10.2.0.1/32', 'dev', 'lo']);
    configDir = join(work, 'configmap');
    writeKubeletVolume(configDir, { ceCustomConfig: 'ceIPSecNATTPort: 4500,\nceIPSecDebug: false\n' });
    e1 = new EngineProcess({
      ns: NS1,
      clusterId: 'cluster1',
      privateIp: IP1,
      subnets: ['10.1.0.0/16'],
      endpointsPath,
      runDir: join(work, 'run1'),
      extraArgs: ['--config', configDir],
    });
    e2 = new EngineProcess({
      ns: NS2,
      clusterId: 'cluster2',
      privateIp: IP2,
      subnets: ['10.2.0.0/16'],
      endpointsPath,
      runDir: join(work, 'run2'),
    });
    e1.start();
    e2.start();
    await waitFor('both engines SERVING', async () => (await e1.serving()) && (await e2.serving()), 30000);
  });

  after(async function () {
    await tearDownEngines({
      engines: [e1, e2],
      namespaces: [NS1, NS2],
      work,
      failed: this.currentTest?.state === 'failed',
      signal: 'SIGKILL',
    });
  });

  it('should create the VXLAN device as Submariner does (VNI 1000, port 4500, 241.x VTEP, MTU underlay-50, rp_filter loose)', async () => {
    const link = await vxlanLink(NS1);
    assert.ok(link, 'vxlan-tunnel exists');
    assert.equal(link.linkinfo?.info_kind, 'vxlan');
    assert.equal(link.linkinfo?.info_data.id, 1000);
    assert.equal(link.linkinfo?.info_data.port, 4500);
    assert.equal(link.linkinfo?.info_data.local, IP1);
    assert.equal(link.mtu, 1450);
    assert.ok(link.flags.includes('UP'));
    assert.deepEqual(
      link.addr_info?.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      ['241.30.9.1/8'],
    );
    assert.equal(await nsSysctl(NS1, 'net.ipv4.conf.vxlan-tunnel.rp_filter'), '2');
  });

  it('should add one FDB entry per remote gateway, one route per remote subnet in table 100, and one rule', async () => {
    assert.deepEqual(await zeroMacDsts(NS1), [IP2, IP3]);
    const routes = (await table100(NS1)).map((r) => `${r.dst} via ${r.gateway} dev ${r.dev}`).sort();
    assert.deepEqual(routes, [
      '10.2.0.0/16 via 241.30.9.2 dev vxlan-tunnel',
      '10.3.0.0/16 via 241.30.9.3 dev vxlan-tunnel',
    ]);
    const rules = await rules100(NS1);
    assert.equal(rules.length, 1);
    assert.equal(rules[0]?.priority, 100);
    assert.deepEqual(await zeroMacDsts(NS2), [IP1, IP3]);
  });

  it("should carry a ping from cluster1's subnet to cluster2's across the overlay", async () => {
    await ping(NS1, '10.1.0.1', '10.2.0.1');
  });

  it('should show the remote as connected in cablectl', async () => {
    const { stdout } = await run(process.execPath, [CABLECTL_MAIN, '--socket', e1.socket, 'connections', '-o', 'json']);
    const parsed = JSON.parse(stdout) as { connections: { endpoint: { clusterId: string }; status: string }[] };
    const byCluster = Object.fromEntries(parsed.connections.map((c) => [c.endpoint.clusterId, c.status]));
    assert.deepEqual(byCluster, { cluster2: 'CONNECTION_STATUS_CONNECTED', cluster3: 'CONNECTION_STATUS_CONNECTED' });
    const table = (await run(process.execPath, [CABLECTL_MAIN, '--socket', e1.socket, 'connections'])).stdout;
    assert.match(table, /cluster2\s+172\.30\.9\.2\s+no\s+vxlan\s+10\.2\.0\.0\/16\s+connected/);
  });

  it('should answer health for the gateway and for the driver over grpc.health.v1', async () => {
    assert.equal(await e1.serving(''), true);
    assert.equal(await e1.serving('driver/vxlan'), true);
  });

  context('when an endpoint is removed from the file, then added back', () => {
    it('should remove exactly its entries, stream the change, and reinstall it', async () => {
      const events: ConnectionEvent[] = [];
      const stream = e1.gatewayClient().watchConnections({});
      stream.on('data', (m: { event?: ConnectionEvent }) => m.event && events.push(m.event));
      stream.on('error', () => undefined);
      try {
        await waitFor(
          'watch snapshot',
          async () => events.filter((e) => e.kind === ConnectionEvent_Kind.KIND_SNAPSHOT).length === 2,
        );
        const before1 = (await vxlanLink(NS1))?.ifindex;

        await writeFile(endpointsPath, stringify(ALL.slice(0, 2)));
        await waitFor('cluster3 removed from the kernel', async () => !(await zeroMacDsts(NS1)).includes(IP3), 10000);
        assert.deepEqual(await zeroMacDsts(NS1), [IP2]);
        assert.deepEqual(
          (await table100(NS1)).map((r) => r.dst),
          ['10.2.0.0/16'],
        );
        assert.equal((await vxlanLink(NS1))?.ifindex, before1, 'the device is untouched');
        await ping(NS1, '10.1.0.1', '10.2.0.1');
        await waitFor('a REMOVED event for cluster3', async () =>
          events.some(
            (e) => e.kind === ConnectionEvent_Kind.KIND_REMOVED && e.connection?.endpoint?.clusterId === 'cluster3',
          ),
        );

        await writeFile(endpointsPath, stringify(ALL));
        await waitFor('cluster3 back in the kernel', async () => (await zeroMacDsts(NS1)).includes(IP3), 10000);
        await waitFor('an ADDED event for cluster3', async () =>
          events.some(
            (e) => e.kind === ConnectionEvent_Kind.KIND_ADDED && e.connection?.endpoint?.clusterId === 'cluster3',
          ),
        );
      } finally {
        stream.cancel();
      }
    });
  });

  context('when the mounted ConfigMap gets a bad update (kubelet ..data swap)', () => {
    it('should report the key, value and reason, keep the last good config and the datapath, and recover', async () => {
      const ifindex = (await vxlanLink(NS1))?.ifindex;
      writeKubeletVolume(configDir, { ceCustomConfig: 'ceIPSecNATTPort: 99999\n' });
      await waitFor(
        'the config error in the status',
        async () => /ceIPSecNATTPort="99999"/.test((await e1.status()).configError),
        10000,
      );
      const st = await e1.status();
      assert.equal(st.config.ceIPSecNATTPort, '4500', 'the last good config stays in force');
      assert.equal((await vxlanLink(NS1))?.ifindex, ifindex);
      await ping(NS1, '10.1.0.1', '10.2.0.1');
      writeKubeletVolume(configDir, { ceCustomConfig: 'ceIPSecNATTPort: 4500\nceIPSecDebug: true\n' });
      await waitFor(
        'the error cleared and the new config in force',
        async () => {
          const now = await e1.status();
          return now.configError === '' && now.config.ceIPSecDebug === 'true';
        },
        10000,
      );
      assert.equal((await vxlanLink(NS1))?.ifindex, ifindex, 'a config change re-inits the driver in place');
    });
  });

  context('when the driver process is killed with SIGKILL', () => {
    it('should restart it, keep the kernel state, and push the desired state again', async () => {
      const before = await e1.status();
      const oldPid = before.driver?.pid ?? 0;
      const ifindex = (await vxlanLink(NS1))?.ifindex;
      assert.ok(oldPid > 0);
      process.kill(oldPid, 'SIGKILL');
      // The datapath does not depend on the driver process.
      await ping(NS1, '10.1.0.1', '10.2.0.1');
      await waitFor(
        'a new driver process, running',
        async () => {
          const s = await e1.status();
          return s.driver?.state === 'running' && s.driver.pid !== oldPid && (s.driver.restarts ?? 0) >= 1;
        },
        20000,
      );
      await waitFor('engine in sync again', async () => (await e1.status()).inSync && (await e1.serving()), 20000);
      assert.equal((await vxlanLink(NS1))?.ifindex, ifindex, 'same device');
      assert.deepEqual(await zeroMacDsts(NS1), [IP2, IP3]);
      const conns = await e1.connections();
      assert.ok(conns.every((c) => c.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED));
    });
  });

  context('when the engine is killed with SIGKILL and started again', () => {
    it('should adopt the device (same ifindex), keep the routes, and keep the ping working throughout', async () => {
      const ifindex = (await vxlanLink(NS1))?.ifindex;
      await e1.stop('SIGKILL');
      await ping(NS1, '10.1.0.1', '10.2.0.1');
      e1.start();
      await waitFor('engine1 SERVING again', () => e1.serving(), 30000);
      assert.equal((await vxlanLink(NS1))?.ifindex, ifindex, 'same ifindex: adopted, not recreated');
      assert.deepEqual(await zeroMacDsts(NS1), [IP2, IP3]);
      assert.equal((await rules100(NS1)).length, 1);
      await ping(NS1, '10.1.0.1', '10.2.0.1');
    });
  });

  context('when an engine stops normally', () => {
    it('should leave the datapath in place (a restart loses nothing)', async () => {
      await e2.stop('SIGTERM');
      assert.ok(await vxlanLink(NS2));
      assert.deepEqual(await zeroMacDsts(NS2), [IP1, IP3]);
    });
  });

  context('when the gateway is cleaned up', () => {
    it('should leave no device, no table-100 route and no rule behind', async () => {
      await e1.stop('SIGTERM');
      for (const e of [e1, e2]) {
        await nsExec(
          e.spec.ns,
          process.execPath,
          [
            ENGINE_MAIN,
            'cleanup',
            '--cluster-id',
            e.spec.clusterId,
            '--private-ip',
            e.spec.privateIp,
            '--endpoints',
            endpointsPath,
            '--run-dir',
            e.spec.runDir,
          ],
          30000,
        );
        assert.equal(await vxlanLink(e.spec.ns), undefined, `no vxlan-tunnel in ${e.spec.ns}`);
        assert.deepEqual(await table100(e.spec.ns), []);
        assert.deepEqual(await rules100(e.spec.ns), []);
      }
    });
  });
});
