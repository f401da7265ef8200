/**
 * Tests for building a snapshot: bad entries rejected alone, the local
 * cluster dropped, duplicate cables rejected, creation times only from the
 * entry itself, the entry-count limit and warnings.
 */
import assert from 'node:assert/strict';
import { DEFAULT_ENDPOINT_LIMITS } from '../../../src/endpoints/endpoint-policy.js';
import { buildSnapshot } from '../../../src/endpoints/snapshot.js';

const ep = (cluster: string, ip: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  cluster_id: cluster,
  private_ip: ip,
  ...extra,
});

describe('buildSnapshot', () => {
  const build = (entries: unknown[], localClusterId?: string) =>
    buildSnapshot({ entries, path: '/e.yaml', localClusterId });

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
    it('should leave the time unset when the entry has none, whatever was read before', () => {
      assert.equal(build([ep('c2', '10.0.0.2')]).endpoints[0]?.createdAt, undefined);
      const again = build([ep('c3', '10.0.0.3'), ep('c2', '10.0.0.2', { subnets: ['10.2.0.0/16'] })]);
      assert.deepEqual(
        again.endpoints.map((e) => [e.spec.clusterId, e.createdAt]),
        [
          ['c3', undefined],
          ['c2', undefined],
        ],
      );
    });
  });

  describe('limits', () => {
    it('should take the first entries up to the endpoints-max-count limit and name the rest', () => {
      const limits = { ...DEFAULT_ENDPOINT_LIMITS, maxEndpoints: 2 };
      const s = buildSnapshot({
        entries: [ep('c2', '10.0.0.2'), ep('c3', '10.0.0.3'), ep('c4', '10.0.0.4'), ep('c5', '10.0.0.5')],
        path: '/e.yaml',
        policy: { limits },
      });
      assert.deepEqual(
        s.endpoints.map((e) => e.spec.clusterId),
        ['c2', 'c3'],
      );
      assert.deepEqual(s.rejected, [
        {
          where: '/e.yaml[2] to /e.yaml[3]',
          reason: '4 entries, more than 2 (the endpoints-max-count limit); entries past the first 2 are ignored',
        },
      ]);
    });
    it('should carry warnings with the entry and the field', () => {
      const s = build([ep('c2', '10.0.0.2', { backend_config: { 'udp-port': 'x' } })]);
      assert.equal(s.endpoints.length, 1);
      assert.match(s.warnings[0] ?? '', /^\/e\.yaml\[0\] \(cluster_id "c2"\): backend_config\.udp-port="x"/);
    });
  });
});
