/**
 * Tests for building a snapshot: bad entries rejected alone, the local
 * cluster dropped, duplicate cables rejected, and creation times that stay
 * stable across re-reads.
 */
import assert from 'node:assert/strict';
import { FirstSeen } from '../../../src/endpoints/created-at.js';
import { buildSnapshot } from '../../../src/endpoints/snapshot.js';

const ep = (cluster: string, ip: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  cluster_id: cluster,
  private_ip: ip,
  ...extra,
});

describe('buildSnapshot', () => {
  let clock: number;
  let firstSeen: FirstSeen;
  const build = (entries: unknown[], localClusterId?: string) =>
    buildSnapshot({ entries, path: '/e.yaml', firstSeen, localClusterId });
  beforeEach(() => {
    clock = 1_000;
    firstSeen = new FirstSeen(() => clock);
  });

  it('should reject a bad entry alone and keep the good ones', () => {
    const s = build([ep('c2', '10.0.0.2'), ep('c3', '10.0.0'), ep('c4', '10.0.0.4')]);
    assert.deepEqual(
      s.endpoints.map((e) => e.spec.clusterId),
      ['c2', 'c4'],
    );
    assert.deepEqual(s.rejected, [
      {
        where: '/e.yaml[1] (cluster_id "c3")',
        reason: 'private_ip="10.0.0": not an IPv4 address; use a dotted quad such as 172.18.0.8',
      },
    ]);
    assert.equal(s.endpoints[0]?.source, 'file:/e.yaml');
  });

  it('should drop entries of the local cluster without rejecting them', () => {
    const s = build([ep('local', '10.0.0.1'), ep('c2', '10.0.0.2')], 'local');
    assert.deepEqual(
      s.endpoints.map((e) => e.spec.clusterId),
      ['c2'],
    );
    assert.deepEqual(s.rejected, []);
  });

  it('should reject a second entry with the same cable', () => {
    const s = build([ep('c2', '10.0.0.2'), ep('c2', '10.0.0.2', { hostname: 'other' })]);
    assert.equal(s.endpoints.length, 1);
    assert.match(
      s.rejected[0]?.reason ?? '',
      /same cable submariner-cable-c2-10-0-0-2 as \/e\.yaml\[0\]; remove one of them/,
    );
  });

  describe('createdAt', () => {
    it('should use an explicit creation time', () => {
      assert.equal(
        build([ep('c2', '10.0.0.2', { creationTimestamp: '2026-11-22T10:00:00Z' })]).endpoints[0]?.createdAt,
        Date.parse('2026-11-22T10:00:00Z'),
      );
    });
    it('should keep the first-seen time of an entry across re-reads and edits', () => {
      assert.equal(build([ep('c2', '10.0.0.2')]).endpoints[0]?.createdAt, 1_000);
      clock = 2_000;
      const again = build([ep('c3', '10.0.0.3'), ep('c2', '10.0.0.2', { subnets: ['10.2.0.0/16'] })]);
      assert.deepEqual(
        again.endpoints.map((e) => [e.spec.clusterId, e.createdAt]),
        [
          ['c3', 2_000],
          ['c2', 1_000],
        ],
      );
    });
    it('should give a new time to an entry that left and came back', () => {
      build([ep('c2', '10.0.0.2')]);
      clock = 2_000;
      build([]);
      clock = 3_000;
      assert.equal(build([ep('c2', '10.0.0.2')]).endpoints[0]?.createdAt, 3_000);
    });
    it('should make a replacement endpoint of a cluster (new private IP) the newest', () => {
      build([ep('c2', '10.0.0.2')]);
      clock = 2_000;
      const s = build([ep('c2', '10.0.0.2'), ep('c2', '10.0.0.9')]);
      const newest = [...s.endpoints].sort((a, b) => b.createdAt - a.createdAt)[0];
      assert.equal(newest?.spec.privateIp, '10.0.0.9');
    });
  });
});
