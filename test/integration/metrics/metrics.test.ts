/**
 * Metrics end to end: two namespaces, a real engine with the real VXLAN
 * driver in each, cluster1's engine serving metrics on --metrics-listen.
 * /metrics is scraped over HTTP from inside cluster1's namespace (as a
 * Prometheus there would) while a third endpoint is added to and removed from
 * the endpoints file: its series appear with Submariner's labels, its status
 * label follows the health checker (its gateway never answers), and every one
 * of its series disappears with it. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { canUseNetns, connectVeth, createNetns, nsExec, run, runNodeInNetns, waitFor } from '../../../lab/netns.js';
import { parsePrometheusText, samplesOf, type PromSample } from '../../helpers/prometheus-text.js';

const tag = `${process.pid % 100000}`;
const NS1 = `mt-${tag}-c1`;
const NS2 = `mt-${tag}-c2`;
const IP1 = '172.30.12.1';
const IP2 = '172.30.12.2';
const IP3 = '172.30.12.3'; // a third cluster's gateway: listed, never reachable
const METRICS = `http://${IP1}:32780/metrics`;
const SCRAPER = fileURLToPath(new URL('./scrape-in-netns.js', import.meta.url));

const endpoint = (cluster: string, ip: string, subnet: string, healthCheckIP: string) => ({
  cluster_id: cluster,
  hostname: `gw-${cluster}`,
  private_ip: ip,
  subnets: [subnet],
  backend: 'vxlan',
  healthCheckIP,
});
const C1 = endpoint('cluster1', IP1, '10.21.0.0/16', '10.21.0.1');
const C2 = endpoint('cluster2', IP2, '10.22.0.0/16', '10.22.0.1');
const C3 = endpoint('cluster3', IP3, '10.23.0.0/16', '10.23.0.1');

const PER_CABLE = [
  'submariner_connections',
  'submariner_connection_established_timestamp',
  'submariner_connection_latency_seconds',
  'submariner_requested_connections',
];

describe('metrics scraped over HTTP while connections come and go (integration, root)', function () {
  this.timeout(60000);
  let work: string;
  let endpointsPath: string;
  let hostname: string;
  let e1: EngineProcess;
  let e2: EngineProcess;

  const scrape = async (): Promise<PromSample[]> => {
    const res = await runNodeInNetns<{ status: number; contentType: string; body: string }>(NS1, SCRAPER, {
      url: METRICS,
    });
    assert.equal(res.status, 200);
    return parsePrometheusText(res.body);
  };
  const remotes = (samples: PromSample[], name: string) =>
    samplesOf(samples, name)
      .map((s) => s.labels.remote_cluster)
      .sort();
  const cableLabels = (cluster: string, ip: string) => ({
    cable_driver: 'vxlan',
    local_cluster: 'cluster1',
    local_hostname: hostname,
    local_endpoint_ip: IP1,
    remote_cluster: cluster,
    remote_hostname: `gw-${cluster}`,
    remote_endpoint_ip: ip,
  });

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-mt-'));
    endpointsPath = join(work, 'endpoints.yaml');
    await writeFile(endpointsPath, stringify([C1, C2]));
    await createNetns(NS1);
    await createNetns(NS2);
    await connectVeth({ ns: NS1, name: 'eth-c1', cidr: `${IP1}/24` }, { ns: NS2, name: 'eth-c2', cidr: `${IP2}/24` });
    await run('ip', ['-n', NS1, 'addr', 'add', `${C1.healthCheckIP}/32`, 'dev', 'lo']);
    await run('ip', ['-n', NS2, 'addr', 'add', `${C2.healthCheckIP}/32`, 'dev', 'lo']);
    hostname = (await nsExec(NS1, 'hostname', [])).stdout.trim();
    const probes = (hc: string) => [
      '--health-check-ip',
      hc,
      '--health-check-interval',
      '0.2',
      '--health-check-max-packet-loss-count',
      '3',
    ];
    e1 = new EngineProcess({
      ns: NS1,
      clusterId: 'cluster1',
      privateIp: IP1,
      subnets: [C1.subnets[0]!],
      endpointsPath,
      runDir: join(work, 'run1'),
      extraArgs: [...probes(C1.healthCheckIP), '--metrics-listen', `${IP1}:32780`],
    });
    e2 = new EngineProcess({
      ns: NS2,
      clusterId: 'cluster2',
      privateIp: IP2,
      subnets: [C2.subnets[0]!],
      endpointsPath,
      runDir: join(work, 'run2'),
      extraArgs: probes(C2.healthCheckIP),
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
    });
  });

  it("should expose the connection to cluster2 under Submariner's names and labels, with its latency", async () => {
    // The first probe can wait about a second for neighbour resolution across the new overlay; later ones are veth round trips.
    const fast = (samples: PromSample[]) =>
      samplesOf(samples, 'submariner_connection_latency_seconds').some(
        (s) => s.labels.remote_cluster === 'cluster2' && s.value < 0.1,
      );
    await waitFor('a sub-100 ms latency series for cluster2', async () => fast(await scrape()), 15000);
    const samples = await scrape();
    const cable = cableLabels('cluster2', IP2);
    assert.deepEqual(samplesOf(samples, 'submariner_connections'), [
      { name: 'submariner_connections', labels: { ...cable, status: 'connected' }, value: 1 },
    ]);
    const [latency] = samplesOf(samples, 'submariner_connection_latency_seconds');
    assert.deepEqual(latency?.labels, cable);
    assert.ok(latency.value > 0, `latency ${latency.value} s`);
    const [established] = samplesOf(samples, 'submariner_connection_established_timestamp');
    assert.ok(Math.abs(established!.value - Date.now() / 1000) < 120, 'established moments ago');
    assert.deepEqual(
      samplesOf(samples, 'submariner_requested_connections').map((s) => s.labels),
      [
        {
          local_cluster: 'cluster1',
          local_hostname: hostname,
          remote_cluster: 'cluster2',
          remote_hostname: 'gw-cluster2',
          status: 'connected',
        },
      ],
    );
    assert.deepEqual(
      samplesOf(samples, 'submariner_gateways').map((s) => s.value),
      [1],
    );
    assert.deepEqual(
      samplesOf(samples, 'submariner_gateway_creation_timestamp').map((s) => s.labels),
      [{ local_cluster: 'cluster1', local_hostname: hostname }],
    );
    // The plain VXLAN driver counts no traffic: no rx/tx series rather than a false 0.
    assert.deepEqual(samplesOf(samples, 'submariner_gateway_rx_bytes'), []);
    assert.deepEqual(samplesOf(samples, 'submariner_gateway_tx_bytes'), []);
    assert.deepEqual(
      ['cabled_ipsec_east_west_enabled', 'cabled_ipsec_north_south_enabled'].map(
        (n) => samplesOf(samples, n)[0]?.value,
      ),
      [0, 0],
    );
  });

  it('should add the series of an endpoint added to the file, follow its status, and remove every one of them when it is removed', async () => {
    await writeFile(endpointsPath, stringify([C1, C2, C3]));
    await waitFor(
      'cluster3 in submariner_connections',
      async () => remotes(await scrape(), 'submariner_connections').includes('cluster3'),
      15000,
    );
    // cluster3's gateway never answers its probes: the health checker turns it to error, and the status label follows.
    const status3 = (samples: PromSample[]) =>
      samplesOf(samples, 'submariner_connections')
        .filter((s) => s.labels.remote_cluster === 'cluster3')
        .map((s) => s.labels.status);
    await waitFor('cluster3 in error', async () => status3(await scrape()).join() === 'error', 15000);
    let samples = await scrape();
    assert.deepEqual(
      samplesOf(samples, 'submariner_connections').find((s) => s.labels.remote_cluster === 'cluster3')?.labels,
      { ...cableLabels('cluster3', IP3), status: 'error' },
    );
    assert.deepEqual(
      remotes(samples, 'submariner_connection_latency_seconds'),
      ['cluster2'],
      'no latency for a cable in error',
    );
    assert.deepEqual(
      samplesOf(samples, 'submariner_connections_short')
        .map((s) => `${s.labels.cable_driver}/${s.labels.status}=${s.value}`)
        .sort(),
      ['vxlan/connected=1', 'vxlan/error=1'],
    );

    await writeFile(endpointsPath, stringify([C1, C2]));
    await waitFor(
      'cluster3 gone from submariner_connections',
      async () => !remotes(await scrape(), 'submariner_connections').includes('cluster3'),
      15000,
    );
    samples = await scrape();
    for (const name of PER_CABLE)
      assert.ok(!remotes(samples, name).includes('cluster3'), `${name} no longer lists cluster3`);
    assert.deepEqual(remotes(samples, 'submariner_connections'), ['cluster2']);
    assert.deepEqual(
      samplesOf(samples, 'submariner_connections_short').map((s) => `${s.labels.status}=${s.value}`),
      ['connected=1'],
    );
  });
});
