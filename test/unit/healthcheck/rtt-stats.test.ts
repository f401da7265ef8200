/** RTT statistics: last, min, average, max, stddev over a sliding window. */
import assert from 'node:assert/strict';
import { RttStats } from '../../../src/healthcheck/rtt-stats.js';

describe('RttStats', () => {
  it('should report nothing before the first sample', () => {
    assert.equal(new RttStats().snapshot(), undefined);
  });

  it('should compute last, min, average, max and the population standard deviation', () => {
    const s = new RttStats();
    for (const ns of [2000, 4000, 4000, 4000, 5000, 5000, 7000, 9000]) s.add(ns);
    assert.deepEqual(s.snapshot(), { lastNs: 9000, minNs: 2000, averageNs: 5000, maxNs: 9000, stddevNs: 2000 });
  });

  it('should forget samples that left the window', () => {
    const s = new RttStats(3);
    for (const ns of [100, 1, 2, 3]) s.add(ns);
    assert.deepEqual(s.snapshot(), { lastNs: 3, minNs: 1, averageNs: 2, maxNs: 3, stddevNs: 1 });
  });

  it('should give the same statistics object until the next sample, and new figures after it', () => {
    const s = new RttStats();
    s.add(1000);
    const first = s.snapshot();
    assert.equal(s.snapshot(), first);
    s.add(3000);
    assert.notEqual(s.snapshot(), first);
    assert.equal(s.snapshot()?.lastNs, 3000);
    assert.equal(s.snapshot()?.averageNs, 2000);
  });

  it('should reject a window that is not a positive integer', () => {
    assert.throws(() => new RttStats(0), /RTT window must be a positive integer, got 0/);
  });
});
