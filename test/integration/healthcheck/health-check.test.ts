/**
 * The health checker end to end: two namespaces joined by a veth pair, one
 * real engine in each with the real VXLAN driver, each endpoint with a
 * health-check IP on lo inside its cluster subnet (reachable only across the
 * overlay). Latency appears on the connection; a `prohibit` routing rule in
 * cluster2 for traffic from its health-check IP to cluster1's (iproute2 only)
 * cuts the path both ways and turns the connection to error on both
 * gateways, and deleting the rule brings both back. Status is polled, never
 * slept on. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConnectionStatus, type Connection } from '../../../src/generated/cabled/driver/v1/driver.js';
import { CABLECTL_MAIN, EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { canUseNetns, connectVeth, createNetns, run, waitFor } from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const NS1 = `hc-${tag}-c1`;
const NS2 = `hc-${tag}-c2`;
const IP1 = '172.30.11.1';
const IP2 = '172.30.11.2';
const HC1 = '10.11.0.1';
const HC2 = '10.12.0.1';
const MAX_LOSS = 3;

const endpoint = (cluster: string, ip: string, subnet: string, healthCheckIP: string) => ({
  cluster_id: cluster,
  hostname: `gw-${cluster}`,
  private_ip: ip,
  subnets: [subnet],
  backend: 'vxlan',
  healthCheckIP,
});

describe('health checker on two namespaces with the VXLAN driver (integration, root)', function () {
  this.timeout(60000);
  let work: string;
  let e1: EngineProcess;
  let e2: EngineProcess;

  const toCluster2 = async (): Promise<Connection | undefined> =>
    (await e1.connections()).find((c) => c.endpoint?.clusterId === 'cluster2');
  const toCluster1 = async (): Promise<Connection | undefined> =>
    (await e2.connections()).find((c) => c.endpoint?.clusterId === 'cluster1');
  const BLOCK = ['from', HC2, 'to', HC1, 'prohibit', 'priority', '50'];
  const block = () => run('ip', ['-n', NS2, 'rule', 'add', ...BLOCK]);
  const unblock = () => run('ip', ['-n', NS2, 'rule', 'del', ...BLOCK]);

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-hc-'));
    const endpointsPath = join(work, 'endpoints.yaml');
    await writeFile(
      endpointsPath,
      stringify([endpoint('cluster1', IP1, '10.11.0.0/16', HC1), endpoint('cluster2', IP2, '10.12.0.0/16', HC2)]),
    );
    await createNetns(NS1);
    await createNetns(NS2);
    await connectVeth({ ns: NS1, name: 'eth-c1', cidr: `${IP1}/24` }, { ns: NS2, name: 'eth-c2', cidr: `${IP2}/24` });
    await run('ip', ['-n', NS1, 'addr', 'add', `${HC1}/32`, 'dev', 'lo']);
    await run('ip', ['-n', NS2, 'addr', 'add', `${HC2}/32`, 'dev', 'lo']);
    const probeArgs = (hc: string) => [
      '--health-check-ip',
      hc,
      '--health-check-interval',
      '0.2',
      '--health-check-max-packet-loss-count',
      String(MAX_LOSS),
    ];
    e1 = new EngineProcess({
      ns: NS1,
      clusterId: 'cluster1',
      privateIp: IP1,
      subnets: ['10.11.0.0/16'],
      endpointsPath,
      runDir: join(work, 'run1'),
      extraArgs: probeArgs(HC1),
    });
    e2 = new EngineProcess({
      ns: NS2,
      clusterId: 'cluster2',
      privateIp: IP2,
      subnets: ['10.12.0.0/16'],
      endpointsPath,
      runDir: join(work, 'run2'),
      extraArgs: probeArgs(HC2),
    });
    e1.start();
    e2.start();
    await waitFor('both engines SERVING', async () => (await e1.serving()) && (await e2.serving()), 30000);
  });

  after(async function () {
    // SIGTERM: the engines stop their ping children before exiting.
    await tearDownEngines({
      engines: [e1, e2],
      namespaces: [NS1, NS2],
      work,
      failed: this.currentTest?.state === 'failed',
    });
  });

  it('should measure the RTT to the remote health-check IP across the overlay and report it on the connection', async () => {
    // The first probe may wait about a second for neighbour resolution across the overlay; later ones are plain veth round trips.
    const fast = (ns: number | undefined) => ns !== undefined && ns > 0 && ns < 100e6;
    await waitFor(
      'a sub-100 ms RTT on the connection to cluster2',
      async () => fast((await toCluster2())?.latencyRtt?.minNs),
      15000,
    );
    const c = await toCluster2();
    assert.equal(c?.status, ConnectionStatus.CONNECTION_STATUS_CONNECTED);
    const rtt = c!.latencyRtt!;
    assert.ok(rtt.minNs > 0 && rtt.minNs <= rtt.averageNs && rtt.averageNs <= rtt.maxNs, JSON.stringify(rtt));
    const table = (await run(process.execPath, [CABLECTL_MAIN, '--socket', e1.socket, 'connections', '-o', 'wide']))
      .stdout;
    assert.match(table, /cluster2\s.*\sconnected\s+\d+(\.\d+)?(ns|µs|ms)\s/, 'cablectl shows the average RTT');
  });

  it('should keep the RTT current while the connection stays up (new samples reach the status without a state change)', async () => {
    const before = (await toCluster2())?.latencyRtt;
    assert.ok(before, 'an RTT to start from');
    await waitFor(
      'a newer RTT reading on the connection to cluster2',
      async () => {
        const now = (await toCluster2())?.latencyRtt;
        return !!now && (now.lastNs !== before.lastNs || now.averageNs !== before.averageNs);
      },
      20000,
    );
    assert.equal((await toCluster2())?.status, ConnectionStatus.CONNECTION_STATUS_CONNECTED);
  });

  it('should turn the connection to error on both gateways once the path is cut, and back to connected once it is restored', async () => {
    const connected = ConnectionStatus.CONNECTION_STATUS_CONNECTED;
    const error = ConnectionStatus.CONNECTION_STATUS_ERROR;
    await waitFor(
      'both directions connected',
      async () => (await toCluster2())?.status === connected && (await toCluster1())?.status === connected,
      15000,
    );
    await block();
    try {
      await waitFor(
        'both directions in error',
        async () => (await toCluster2())?.status === error && (await toCluster1())?.status === error,
        15000,
      );
      assert.equal(
        (await toCluster2())?.statusMessage,
        `Failed to successfully ping the remote endpoint IP "${HC2}": ${MAX_LOSS} probes in a row unanswered (last: no answer)`,
      );
      assert.match(
        (await toCluster1())?.statusMessage ?? '',
        new RegExp(`^Failed to successfully ping the remote endpoint IP "${HC1.replaceAll('.', '\\.')}"`),
      );
      assert.ok(((await toCluster2())?.latencyRtt?.lastNs ?? 0) > 0, 'the RTT seen before the outage stays visible');
    } finally {
      await unblock();
    }
    await waitFor(
      'both directions connected again',
      async () => (await toCluster2())?.status === connected && (await toCluster1())?.status === connected,
      15000,
    );
    assert.equal((await toCluster2())?.statusMessage.startsWith('Failed'), false);
  });
});
