/**
 * A dead peer costs nothing (issue 12, item 4), the libreswan driver's side:
 * status readings of pluto back off while nothing moves, and initiation
 * retries of a connection pluto gave up on back off with a cap. Pure (a fake
 * clock; the whack calls are recorded). The end-to-end figures come from
 * bench/dead-peers.ts on real pluto.
 */
import assert from 'node:assert/strict';
import { InitiateBackoff } from '../../../drivers/libreswan/initiate-backoff.js';
import { RefreshSchedule } from '../../../drivers/libreswan/refresh-schedule.js';
import { silentLogger } from '../../../src/lib/logger.js';

describe('libreswan status readings while nothing moves (refresh schedule)', () => {
  it('should read pluto at every request while status moves, then back off doubling to the cap', () => {
    let now = 0;
    const s = new RefreshSchedule({ firstMs: 4000, maxMs: 30_000, now: () => now });
    assert.equal(s.due(), true);
    s.polled(false);
    assert.equal(s.due(), true, 'something moved: the next request reads pluto again');
    const intervals: number[] = [];
    for (let k = 0; k < 6; k++) {
      s.polled(true);
      intervals.push(s.currentMs);
      now += 1000;
      assert.equal(s.due(), false);
      now += s.currentMs;
      assert.equal(s.due(), true);
    }
    assert.deepEqual(intervals, [4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('should read pluto at the next request after an install, a removal or an Init', () => {
    let now = 0;
    const s = new RefreshSchedule({ now: () => now });
    s.polled(true);
    s.polled(true);
    now += 100;
    assert.equal(s.due(), false);
    s.invalidate();
    assert.equal(s.due(), true);
    s.polled(true);
    assert.equal(s.currentMs, 4000, 'the backoff starts over');
  });
});

describe('initiation retries of connections whose peer does not answer (libreswan 4.x)', () => {
  function harness() {
    let now = 0;
    const calls: string[][] = [];
    const b = new InitiateBackoff({
      initiate: async (names) => void calls.push([...names]),
      logger: silentLogger(),
      firstMs: 10_000,
      maxMs: 300_000,
      now: () => now,
    });
    return { b, calls, advance: (ms: number) => (now += ms) };
  }

  it('should wait before the first retry, then back off doubling, capped at 5 minutes', async () => {
    const { b, calls, advance } = harness();
    assert.deepEqual(b.consider(['c1']), [], 'just found idle: not at once');
    const gaps: number[] = [];
    let last = 0;
    let t = 0;
    for (let step = 0; step < 4000; step++) {
      advance(1000);
      t += 1000;
      if (b.consider(['c1']).length) {
        gaps.push(t - last);
        last = t;
        await Promise.resolve();
        await Promise.resolve();
      }
    }
    assert.deepEqual(gaps.slice(0, 7), [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    assert.ok(calls.every((c) => c.length === 1 && c[0] === 'c1'));
  });

  it('should start over once the connection is no longer idle (established or negotiating)', async () => {
    const { b, advance } = harness();
    b.consider(['c1', 'c2']);
    advance(10_000);
    assert.deepEqual(b.consider(['c1', 'c2']), ['c1', 'c2']);
    await new Promise((r) => setImmediate(r));
    assert.equal(b.attempts('c1'), 1);
    b.consider(['c2']);
    assert.equal(b.attempts('c1'), 0, 'c1 has state now: its backoff is gone');
    assert.equal(b.attempts('c2'), 1);
    b.consider(['c1', 'c2']);
    advance(9_000);
    assert.deepEqual(b.consider(['c1', 'c2']), [], 'c1 waits its first delay again; c2 waits 20 s');
  });

  it('should not start a second burst while one is still running', () => {
    let now = 0;
    const b = new InitiateBackoff({
      initiate: () => new Promise(() => undefined),
      logger: silentLogger(),
      now: () => now,
    });
    b.consider(['a']);
    now += 30_000;
    assert.deepEqual(b.consider(['a']), ['a']);
    now += 100_000;
    assert.deepEqual(b.consider(['a']), []);
  });
});
