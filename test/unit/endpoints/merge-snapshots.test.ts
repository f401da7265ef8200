/**
 * mergeSnapshots: file + Kubernetes endpoints in one snapshot, the same cable
 * from both kept once (the newer), with the duplicate listed as rejected.
 */
import assert from 'node:assert/strict';
import { mergeSnapshots } from '../../../src/endpoints/merge-snapshots.js';
import { buildSnapshot, type EndpointsSnapshot } from '../../../src/endpoints/snapshot.js';

const snap = (source: string, entries: Record<string, unknown>[]): EndpointsSnapshot =>
  buildSnapshot({ entries, path: source, source, whereOf: (i) => `${source}#${i}` });
const ep = (cluster: string, ip: string, created: string, extra: Record<string, unknown> = {}) => ({
  cluster_id: cluster,
  private_ip: ip,
  creationTimestamp: created,
  ...extra,
});

describe('mergeSnapshots', () => {
  it('should keep the endpoints and the rejections of every source', () => {
    const m = mergeSnapshots([
      snap('file:/e.yaml', [ep('c2', '10.0.0.2', '2026-01-01T00:00:00Z'), ep('bad', '10.0.0', '2026-01-01T00:00:00Z')]),
      snap('kubernetes:ns', [ep('c3', '10.0.0.3', '2026-01-01T00:00:00Z')]),
    ]);
    assert.deepEqual(
      m.endpoints.map((e) => `${e.spec.clusterId}@${e.source}`),
      ['c2@file:/e.yaml', 'c3@kubernetes:ns'],
    );
    assert.deepEqual(
      m.rejected.map((r) => r.where),
      ['file:/e.yaml#1 (cluster_id "bad")'],
    );
  });

  it('should keep the newer of the same cable from two sources and list the other as rejected', () => {
    const m = mergeSnapshots([
      snap('file:/e.yaml', [ep('c2', '10.0.0.2', '2026-01-01T00:00:00Z', { subnets: ['10.2.0.0/16'] })]),
      snap('kubernetes:ns', [ep('c2', '10.0.0.2', '2026-02-01T00:00:00Z', { subnets: ['10.22.0.0/16'] })]),
    ]);
    assert.deepEqual(
      m.endpoints.map((e) => e.spec.subnets),
      [['10.22.0.0/16']],
    );
    assert.deepEqual(m.rejected, [
      {
        where: 'file:/e.yaml (cluster_id "c2")',
        reason:
          'same cable submariner-cable-c2-10-0-0-2 as kubernetes:ns, which is newer or listed first; remove one of them',
      },
    ]);
  });

  it('should keep the first source on a tie', () => {
    const m = mergeSnapshots([
      snap('file:/e.yaml', [ep('c2', '10.0.0.2', '2026-01-01T00:00:00Z')]),
      snap('kubernetes:ns', [ep('c2', '10.0.0.2', '2026-01-01T00:00:00Z')]),
    ]);
    assert.deepEqual(
      m.endpoints.map((e) => e.source),
      ['file:/e.yaml'],
    );
  });
});
