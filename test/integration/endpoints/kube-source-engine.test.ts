/**
 * `cabled run --endpoints-source kubernetes` end to end: the real engine and
 * VXLAN driver in a namespace (prefix kb-), reading Submariner Endpoints from
 * a local HTTP server standing in for the Kubernetes API (reached over a veth
 * pair from the namespace to the test process). Cables follow the resources:
 * added, a bad one rejected alone, deleted, and still followed after the
 * watch connection is cut.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionStatus } from '../../../src/generated/cabled/driver/v1/driver.js';
import { EngineProcess } from '../../../lab/engine-process.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';
import { linkToHost } from '../../helpers/host-link.js';
import { canUseNetns, createNetns, deleteNetns, waitFor } from '../../../lab/netns.js';

const NS = `kb-eng-${process.pid}`;
const HOST_IF = `kbh${process.pid % 100000}`;
const HOST_IP = '10.254.77.1';
const GW_IP = '10.254.77.2';

const endpoint = (cluster: string, ipAddr: string, subnet: string) => ({
  apiVersion: 'submariner.io/v1',
  kind: 'Endpoint',
  metadata: { name: `${cluster}-gw`, namespace: 'submariner-operator', creationTimestamp: '2026-11-20T10:00:00Z' },
  spec: { cluster_id: cluster, hostname: `gw-${cluster}`, private_ip: ipAddr, subnets: [subnet], backend: 'vxlan' },
});

describe('engine with --endpoints-source kubernetes (local HTTP server standing in for the Kubernetes API, real namespace)', function () {
  this.timeout(60000);
  let api: FakeKubeApi;
  let work: string;
  let engine: EngineProcess;
  const connected = async (): Promise<string[]> =>
    (await engine.connections())
      .filter((c) => c.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED)
      .map((c) => c.endpoint?.clusterId ?? '')
      .sort();

  before(async function () {
    if (!canUseNetns()) this.skip();
    await deleteNetns(NS);
    await createNetns(NS);
    await linkToHost({ ns: NS, hostIf: HOST_IF, hostIp: HOST_IP, nsIf: 'kbn0', nsIp: GW_IP });
    api = new FakeKubeApi();
    await api.start(HOST_IP);
    api.putEndpoint(endpoint('cluster2', '10.254.77.3', '10.2.0.0/16'));
    api.putEndpoint(endpoint('local', GW_IP, '10.1.0.0/16'));
    work = await mkdtemp(join(tmpdir(), 'kb-eng-'));
    const kubeconfig = join(work, 'kubeconfig');
    await writeFile(kubeconfig, api.kubeconfigText());
    engine = new EngineProcess({
      ns: NS,
      clusterId: 'local',
      privateIp: GW_IP,
      subnets: ['10.1.0.0/16'],
      endpointsPath: '',
      runDir: join(work, 'run'),
      extraArgs: ['--endpoints-source', 'kubernetes', '--kubeconfig', kubeconfig, '--cleanup-on-exit'],
    });
    engine.start();
    await waitFor('the engine SERVING', () => engine.serving(), 30000);
  });

  after(async function () {
    await engine?.stop('SIGTERM');
    if (this.currentTest?.state === 'failed' || process.env.CABLED_TEST_LOGS)
      process.stderr.write(`--- engine log ---\n${(await engine?.log())?.slice(-4000)}\n`);
    await api?.close();
    await deleteNetns(NS); // removes kbn0 and with it its host peer
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('should connect the cable of an Endpoint listed from the API, skipping its own cluster', async () => {
    await waitFor('cluster2 connected', async () => (await connected()).join() === 'cluster2', 20000);
  });

  it('should reject a bad Endpoint alone and show it in the status', async () => {
    api.putEndpoint(endpoint('cluster3', '10.254.77.300', '10.3.0.0/16'));
    await waitFor(
      'the rejection in the status',
      async () =>
        (await engine.status()).rejectedEndpoints.some((r) => r.includes('kubernetes:submariner-operator/cluster3-gw')),
      20000,
    );
    assert.deepEqual(await connected(), ['cluster2']);
  });

  it('should follow a deletion, and keep following after the watch connection is cut', async () => {
    api.deleteEndpoint('submariner-operator', 'cluster2-gw');
    await waitFor('cluster2 gone', async () => (await engine.connections()).length === 0, 20000);
    api.dropWatches();
    api.putEndpoint(endpoint('cluster4', '10.254.77.4', '10.4.0.0/16'));
    await waitFor(
      'cluster4 connected after the re-watch',
      async () => (await connected()).join() === 'cluster4',
      20000,
    );
  });
});
