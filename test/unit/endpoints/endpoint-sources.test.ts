/**
 * startEndpointSources with --endpoints-source both: a temp endpoints file and
 * a local HTTP server standing in for the Kubernetes API. The engine gets a
 * merged snapshot only once both sources have delivered.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startEndpointSources, type EndpointSources } from '../../../src/endpoints/endpoint-sources.js';
import type { EndpointsSnapshot } from '../../../src/endpoints/snapshot.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';
import { removeDir, tempDir, writeAtomically } from '../../../lab/fs-helpers.js';
import { waitFor } from '../config/wait-for.js';

describe('startEndpointSources (local HTTP server standing in for the Kubernetes API)', () => {
  let api: FakeKubeApi;
  let dir: string;
  let sources: EndpointSources | undefined;
  let snapshots: EndpointsSnapshot[];
  let sourceErrors: Map<string, string>;
  const clusters = (): string[] => (snapshots.at(-1)?.endpoints ?? []).map((e) => e.spec.clusterId).sort();

  beforeEach(async () => {
    api = new FakeKubeApi();
    await api.start();
    dir = tempDir();
    snapshots = [];
    sourceErrors = new Map();
  });
  afterEach(async () => {
    await sources?.close();
    sources = undefined;
    await api.close();
    removeDir(dir);
  });

  const start = (kind: 'file' | 'kubernetes' | 'both', filePath = '') =>
    startEndpointSources({
      kind,
      filePath,
      kube: async () => ({ kubeConfig: api.kubeConfig(), namespace: 'ns' }),
      localClusterId: 'local',
      logger: silentLogger(),
      onChange: (s) => snapshots.push(s),
      onSourceError: (source, error) =>
        error === undefined ? sourceErrors.delete(source) : sourceErrors.set(source, error),
    });

  it('should merge the file and the Kubernetes Endpoints, delivering nothing before both have answered', async () => {
    const file = join(dir, 'endpoints.yaml');
    writeAtomically(file, '- {cluster_id: c2, private_ip: 172.18.0.7}\n');
    api.putEndpoint({
      apiVersion: 'submariner.io/v1',
      kind: 'Endpoint',
      metadata: { name: 'c3', namespace: 'ns' },
      spec: { cluster_id: 'c3', private_ip: '172.18.0.9' },
    });
    sources = await start('both', file);
    await waitFor(() => snapshots.length > 0, 4000, 'a merged snapshot');
    assert.deepEqual(clusters(), ['c2', 'c3'], 'the first snapshot the engine sees already holds both sources');
    writeAtomically(file, '[]\n');
    await waitFor(() => clusters().join() === 'c3', 4000, 'the file entry removed');
  });

  it('should not touch the API with the file source', async () => {
    const file = join(dir, 'endpoints.yaml');
    writeAtomically(file, '[]\n');
    sources = await start('file', file);
    assert.deepEqual(snapshots, [{ endpoints: [], rejected: [], warnings: [] }]);
    assert.deepEqual(api.requests, []);
  });

  it('should report a failing API source with what to grant, and clear it once listing works again', async () => {
    api.failNext('GET', /\/endpoints$/, 403);
    sources = await start('kubernetes');
    await waitFor(() => sourceErrors.has('kubernetes'), 4000, 'the source error');
    assert.match(
      sourceErrors.get('kubernetes') ?? '',
      /^Kubernetes Endpoint resources: .*403 Forbidden; grant the service account get, list and watch/,
    );
    await waitFor(
      () => !sourceErrors.has('kubernetes') && snapshots.length > 0,
      8000,
      'the error cleared after the retry',
    );
  });

  it('should report an unreadable endpoints file, and clear it when the same content is back', async () => {
    const file = join(dir, 'endpoints.yaml');
    writeAtomically(file, '- {cluster_id: c2, private_ip: 172.18.0.7}\n');
    sources = await start('file', file);
    writeAtomically(file, 'cluster_id: [unclosed\n');
    await waitFor(() => sourceErrors.has('file'), 4000, 'the file error');
    assert.match(sourceErrors.get('file') ?? '', new RegExp(`^endpoints file ${file}: `));
    writeAtomically(file, '- {cluster_id: c2, private_ip: 172.18.0.7}\n');
    await waitFor(() => !sourceErrors.has('file'), 4000, 'the file error cleared');
    assert.equal(snapshots.length, 1, 'no new snapshot: the content is what it was');
  });
});
