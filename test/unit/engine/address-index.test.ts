import assert from 'node:assert/strict';
import fc from 'fast-check';
import { blockOf, containsIp, overlaps } from '../../../src/endpoints/index.js';
import { Addresses, Blocks } from '../../../src/engine/address-index.js';

// Small address space (10.0.0.x) so that blocks often overlap and addresses repeat.
const ip = fc.integer({ min: 0, max: 31 }).map((n) => `10.0.0.${n}`);
const cidr = fc
  .tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 27, max: 32 }))
  .map(([n, p]) => `10.0.0.${n - (n % 2 ** (32 - p))}/${p}`);

describe('address index for desired state (unit)', () => {
  it('answers every lookup as a scan in insertion order would, overlapping blocks or not', () => {
    fc.assert(
      fc.property(fc.array(cidr, { maxLength: 12 }), fc.array(ip, { maxLength: 12 }), cidr, ip, (cs, ips, q, a) => {
        const blocks = new Blocks<string>();
        for (const c of cs) blocks.add(blockOf(c), c);
        const addrs = new Addresses<number>();
        ips.forEach((x, i) => {
          addrs.add(x, i);
        });
        assert.equal(
          blocks.firstOverlapping(blockOf(q)),
          cs.find((c) => overlaps(blockOf(c), blockOf(q))),
        );
        assert.equal(
          blocks.containing(blockOf(a).first),
          cs.find((c) => containsIp(blockOf(c), a)),
        );
        const firstInside = ips.findIndex((x) => containsIp(blockOf(q), x));
        assert.equal(addrs.firstInside(blockOf(q)), firstInside < 0 ? undefined : firstInside);
        const exact = ips.indexOf(a);
        assert.equal(addrs.get(a), exact < 0 ? undefined : exact);
      }),
      { numRuns: 3000 },
    );
  });
});
