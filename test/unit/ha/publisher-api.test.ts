/**
 * Publication of the local Endpoint and the Gateway status, against the
 * local HTTP server standing in for the Kubernetes API (it enforces
 * resourceVersion conflicts and AlreadyExists as the API server does).
 */
import assert from 'node:assert/strict';
import type { GatewayView } from '../../../src/engine/gateway-view.js';
import type { Endpoint } from '../../../src/generated/cabled/driver/v1/driver.js';
import type { GatewayStatus } from '../../../src/generated/cabled/engine/v1/engine.js';
import { KubeRest } from '../../../src/ha/kube-rest.js';
import { Publisher } from '../../../src/ha/publisher.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';

const NS = 'cbt-ha-pub';
const local: Endpoint = {
  clusterId: 'cluster1',
  cableName: 'submariner-cable-cluster1-172-18-0-8',
  hostname: 'node-a',
  subnets: ['10.1.0.0/16'],
  privateIp: '172.18.0.8',
  publicIp: '',
  natEnabled: false,
  backend: 'vxlan',
  backendConfig: {},
  healthCheckIp: '',
};

function view(haStatus: () => string): GatewayView {
  return {
    status: (): GatewayStatus => ({
      version: 't',
      haStatus: haStatus(),
      localEndpoint: local,
      statusFailure: '',
      desiredEndpoints: 0,
      rejectedEndpoints: [],
      config: {},
      configError: '',
      lastReconcileUnixMs: 0,
      inSync: true,
      endpointSourceErrors: [],
      supersededEndpoints: [],
      endpointConflicts: [],
      endpointWarnings: [],
    }),
    connections: () => [],
    health: () => 'SERVING',
    driverHealth: () => new Map(),
    subscribe: () => () => undefined,
    subscribeHealth: () => () => undefined,
  };
}

describe('publication of the Endpoint and the Gateway (local HTTP server standing in for the Kubernetes API)', () => {
  let api: FakeKubeApi;
  let rest: KubeRest;

  beforeEach(async () => {
    api = new FakeKubeApi();
    await api.start();
    rest = new KubeRest(api.kubeConfig());
  });
  afterEach(async () => api.close());

  const post = (plural: string, body: object) =>
    rest.json({ method: 'POST', path: `/apis/submariner.io/v1/namespaces/${NS}/${plural}`, body, timeoutMs: 2000 });
  const names = (objs: Record<string, unknown>[]) => objs.map((o) => (o.metadata as { name: string }).name).sort();
  /** Node-a's publisher in NS, publishing every minute (the tests drive the rounds). */
  const publisher = (haStatus: () => string, more: Partial<ConstructorParameters<typeof Publisher>[0]> = {}) =>
    new Publisher({
      rest,
      local,
      nodeName: 'node-a',
      gatewayNamespace: NS,
      endpointNamespace: NS,
      view: view(haStatus),
      logger: silentLogger(),
      intervalMs: 60_000,
      ...more,
    });

  it('should label its own pod gateway.submariner.io/status passive while standing by, active while active, passive after a clean stop', async () => {
    api.addPod(NS, 'gw-a', { app: 'cabled' });
    const p = publisher(() => 'passive', { pod: { name: 'gw-a', namespace: NS } });
    const label = () => (api.pod(NS, 'gw-a')?.metadata as { labels: Record<string, string> } | undefined)?.labels ?? {};
    p.start();
    await p.deactivate();
    assert.deepEqual(label(), { app: 'cabled', 'gateway.submariner.io/status': 'passive' });
    await p.activate();
    assert.deepEqual(label(), { app: 'cabled', 'gateway.submariner.io/status': 'active' });
    const patches = api.requests.filter((r) => r.method === 'PATCH');
    assert.equal(patches.length, 2, 'written on change only');
    assert.ok(patches.every((r) => r.contentType === 'application/merge-patch+json'));
    await p.stop();
    assert.equal(label()['gateway.submariner.io/status'], 'passive');
  });

  it("should publish its Endpoint when active, delete its cluster's left-over Endpoints and stale Gateways, and withdraw all on stop", async () => {
    const nowS = 1_800_000_000;
    // Another gateway of cluster1 crashed: its Endpoint and a Gateway last updated 60 s ago.
    await post('endpoints', {
      metadata: { name: 'cluster1-old' },
      spec: { cluster_id: 'cluster1', cable_name: 'old', private_ip: '172.18.0.9', subnets: ['10.1.0.0/16'] },
    });
    await post('endpoints', {
      metadata: { name: 'cluster2-gw' },
      spec: { cluster_id: 'cluster2', cable_name: 'c2', private_ip: '172.18.1.1', subnets: ['10.2.0.0/16'] },
    });
    await post('gateways', {
      metadata: { name: 'node-old', annotations: { 'update-timestamp': String(nowS - 60) } },
      status: { haStatus: 'active', localEndpoint: { cluster_id: 'cluster1' } },
    });
    await post('gateways', {
      metadata: { name: 'node-b', annotations: { 'update-timestamp': String(nowS - 3) } },
      status: { haStatus: 'passive', localEndpoint: { cluster_id: 'cluster1' } },
    });
    let ha = 'passive';
    const p = publisher(() => ha, { now: () => nowS * 1000 });
    p.start();
    await p.deactivate();
    assert.deepEqual(names(api.endpointObjects()), ['cluster1-old', 'cluster2-gw'], 'a standby publishes no Endpoint');
    assert.deepEqual(names(api.gatewayObjects(NS)), ['node-a', 'node-b', 'node-old'], 'only the active one cleans up');

    ha = 'active';
    await p.activate();
    assert.deepEqual(names(api.endpointObjects()), ['cluster1-submariner-cable-cluster1-172-18-0-8', 'cluster2-gw']);
    const mine = api.endpointObjects().find((o) => (o.spec as { cluster_id: string }).cluster_id === 'cluster1');
    assert.ok(mine);
    assert.equal((mine.spec as { private_ip: string }).private_ip, '172.18.0.8');
    assert.deepEqual(names(api.gatewayObjects(NS)), ['node-a', 'node-b'], 'the gateway stale for 60 s is gone');
    const gw = api.gatewayObjects(NS).find((g) => (g.metadata as { name: string }).name === 'node-a');
    assert.ok(gw);
    assert.equal((gw.status as { haStatus: string }).haStatus, 'active');
    assert.equal(
      (gw.metadata as { annotations: Record<string, string> }).annotations['update-timestamp'],
      String(nowS),
    );

    await p.stop();
    assert.deepEqual(names(api.endpointObjects()), ['cluster2-gw']);
    assert.deepEqual(names(api.gatewayObjects(NS)), ['node-b']);
  });
});
