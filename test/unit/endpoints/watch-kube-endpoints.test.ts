/**
 * watchKubeEndpoints against a local HTTP server standing in for the
 * Kubernetes API (test/helpers/fake-kube-api.ts): list, watch events, a
 * dropped watch resumed from its resourceVersion, a 410 relist, a failed list
 * retried, and a bad Endpoint rejected alone.
 */
import assert from 'node:assert/strict';
import { policyFor } from '../../../src/endpoints/endpoint-policy.js';
import type { EndpointsSnapshot } from '../../../src/endpoints/snapshot.js';
import { watchKubeEndpoints, type KubeEndpointsWatch } from '../../../src/endpoints/watch-kube-endpoints.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';
import { waitFor } from '../config/wait-for.js';

const NS = 'submariner-operator';

function endpoint(
  cluster: string,
  ip: string,
  namespace = NS,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'submariner.io/v1',
    kind: 'Endpoint',
    metadata: {
      name: `${cluster}-submariner-cable-${cluster}-${ip.replaceAll('.', '-')}`,
      namespace,
      creationTimestamp: '2026-11-20T10:00:00Z',
    },
    spec: {
      cluster_id: cluster,
      cable_name: `submariner-cable-${cluster}-${ip.replaceAll('.', '-')}`,
      hostname: `gw-${cluster}`,
      private_ip: ip,
      public_ip: '',
      subnets: ['10.9.0.0/16'],
      nat_enabled: false,
      backend: 'libreswan',
      backend_config: { 'udp-port': '4500' },
      ...extra,
    },
  };
}

describe('watchKubeEndpoints (local HTTP server standing in for the Kubernetes API)', () => {
  let api: FakeKubeApi;
  let watch: KubeEndpointsWatch | undefined;
  let snapshots: EndpointsSnapshot[];
  let errors: Error[];
  const last = (): EndpointsSnapshot | undefined => snapshots.at(-1);
  const clusters = (): string[] => (last()?.endpoints ?? []).map((e) => e.spec.clusterId).sort();
  const start = (namespace = NS): KubeEndpointsWatch =>
    (watch = watchKubeEndpoints({
      kubeConfig: api.kubeConfig(),
      namespace,
      localClusterId: 'local',
      debounceMs: 10,
      retryInitialMs: 20,
      onChange: (s) => snapshots.push(s),
      onError: (e) => errors.push(e),
    }));
  const watchRequests = () => api.requests.filter((r) => r.query.watch === 'true');
  const listRequests = () =>
    api.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/endpoints') && r.query.watch === undefined);

  beforeEach(async () => {
    api = new FakeKubeApi();
    await api.start();
    snapshots = [];
    errors = [];
  });
  afterEach(async () => {
    await watch?.close();
    watch = undefined;
    await api.close();
  });

  it('should list the namespace, leave out the local cluster, then watch from the list resourceVersion', async () => {
    api.putEndpoint(endpoint('c2', '172.18.0.7'));
    api.putEndpoint(endpoint('local', '172.18.0.8'));
    api.putEndpoint(endpoint('other-ns', '172.18.0.9', 'elsewhere'));
    const w = start();
    await w.ready;
    assert.deepEqual(clusters(), ['c2']);
    const ep = last()?.endpoints[0];
    assert.equal(ep?.spec.cableName, 'submariner-cable-c2-172-18-0-7');
    assert.equal(ep?.createdAt, Date.parse('2026-11-20T10:00:00Z'));
    assert.equal(ep?.source, `kubernetes:${NS}`);
    await waitFor(() => watchRequests().length === 1, 4000, 'a watch request');
    assert.equal(listRequests()[0]?.path, `/apis/submariner.io/v1/namespaces/${NS}/endpoints`);
    assert.equal(watchRequests()[0]?.query.resourceVersion, '103', 'the watch starts at the list resourceVersion');
  });

  it('should deliver an empty first snapshot when there are no Endpoints', async () => {
    const w = start();
    await w.ready;
    assert.deepEqual(last(), { endpoints: [], rejected: [], warnings: [] });
  });

  it('should list every namespace when no namespace is given', async () => {
    api.putEndpoint(endpoint('c2', '172.18.0.7'));
    api.putEndpoint(endpoint('c3', '172.18.0.9', 'elsewhere'));
    await start('').ready;
    assert.deepEqual(clusters(), ['c2', 'c3']);
    assert.equal(listRequests()[0]?.path, '/apis/submariner.io/v1/endpoints');
  });

  it('should follow watch events: added, modified, deleted', async () => {
    await start().ready;
    await waitFor(() => api.openWatches === 1, 4000, 'the watch to open');
    api.putEndpoint(endpoint('c2', '172.18.0.7'));
    await waitFor(() => clusters().join() === 'c2', 4000, 'c2 added');
    api.putEndpoint(endpoint('c2', '172.18.0.7', NS, { subnets: ['10.9.0.0/16', '10.99.0.0/16'] }));
    await waitFor(() => last()?.endpoints[0]?.spec.subnets.length === 2, 4000, 'c2 modified');
    api.deleteEndpoint(NS, 'c2-submariner-cable-c2-172-18-0-7');
    await waitFor(() => last()?.endpoints.length === 0, 4000, 'c2 deleted');
    assert.equal(listRequests().length, 1, 'events came through the watch, not relists');
  });

  it('should reject a bad Endpoint alone, naming it and the field', async () => {
    api.putEndpoint(endpoint('c2', '172.18.0.7'));
    api.putEndpoint(endpoint('c3', '172.18.0.999'));
    await start().ready;
    assert.deepEqual(clusters(), ['c2']);
    assert.equal(last()?.rejected.length, 1);
    assert.equal(last()?.rejected[0]?.where, `kubernetes:${NS}/c3-submariner-cable-c3-172-18-0-999 (cluster_id "c3")`);
    assert.match(last()?.rejected[0]?.reason ?? '', /^spec\.private_ip="172\.18\.0\.999": not an IPv4 address/);
  });

  it("should apply the endpoint policy: a default route, the local cluster's subnet and own address refused, naming the field", async () => {
    const local = {
      clusterId: 'local',
      cableName: 'submariner-cable-local-172-18-0-8',
      hostname: 'gw',
      subnets: ['10.1.0.0/16'],
      privateIp: '172.18.0.8',
      publicIp: '',
      natEnabled: false,
      backend: 'libreswan',
      backendConfig: {},
      healthCheckIp: '',
    };
    api.putEndpoint(endpoint('c2', '172.18.0.7'));
    api.putEndpoint(endpoint('c3', '172.18.0.3', NS, { subnets: ['0.0.0.0/0'] }));
    api.putEndpoint(endpoint('c4', '172.18.0.4', NS, { subnets: ['10.1.5.0/24'] }));
    api.putEndpoint(endpoint('c5', '172.18.0.8'));
    watch = watchKubeEndpoints({
      kubeConfig: api.kubeConfig(),
      namespace: NS,
      localClusterId: 'local',
      policy: policyFor(local),
      debounceMs: 10,
      retryInitialMs: 20,
      onChange: (s) => snapshots.push(s),
    });
    await watch.ready;
    assert.deepEqual(clusters(), ['c2']);
    const reasons = (last()?.rejected ?? []).map((r) => `${r.where}: ${r.reason}`).join('\n');
    assert.match(reasons, /c3-.*spec\.subnets="0\.0\.0\.0\/0": a default route/);
    assert.match(reasons, /c4-.*spec\.subnets="10\.1\.5\.0\/24": overlaps the local cluster's subnet 10\.1\.0\.0\/16/);
    assert.match(reasons, /c5-.*spec\.private_ip="172\.18\.0\.8": is this gateway's own private IP/);
  });

  it('should resume a dropped watch from the last resourceVersion, without listing again', async () => {
    api.putEndpoint(endpoint('c2', '172.18.0.7'));
    await start().ready;
    await waitFor(() => api.openWatches === 1, 4000, 'the watch to open');
    api.putEndpoint(endpoint('c3', '172.18.0.9'));
    await waitFor(() => clusters().join() === 'c2,c3', 4000, 'c3 added');
    api.dropWatches();
    api.putEndpoint(endpoint('c4', '172.18.0.10')); // while no watch is open
    await waitFor(() => clusters().join() === 'c2,c3,c4', 4000, 'c4 seen after the re-watch');
    assert.equal(listRequests().length, 1);
    const rewatch = watchRequests().at(-1);
    assert.equal(rewatch?.query.resourceVersion, '102', 'resumed after the last event seen (c3)');
  });

  it('should relist when the watch answers 410 Gone, and drop what the relist no longer has', async () => {
    api.putEndpoint(endpoint('c2', '172.18.0.7'));
    await start().ready;
    await waitFor(() => api.openWatches === 1, 4000, 'the watch to open');
    api.dropWatches();
    api.deleteEndpoint(NS, 'c2-submariner-cable-c2-172-18-0-7');
    api.putEndpoint(endpoint('c3', '172.18.0.9'));
    api.compact(); // the missed events are gone: the re-watch gets 410 Expired
    await waitFor(() => clusters().join() === 'c3', 4000, 'the relist');
    assert.equal(listRequests().length, 2);
  });

  it('should report a forbidden list with the RBAC to grant, and retry until it works', async () => {
    api.putEndpoint(endpoint('c2', '172.18.0.7'));
    api.failNext('GET', /\/endpoints$/, 403);
    const w = start();
    await w.ready;
    assert.deepEqual(clusters(), ['c2']);
    assert.match(
      errors[0]?.message ?? '',
      /HTTP 403 Forbidden; grant the service account get, list and watch on endpoints\.submariner\.io in namespace submariner-operator/,
    );
    assert.equal(w.lastError(), undefined, 'the error clears once the list worked');
  });
});
