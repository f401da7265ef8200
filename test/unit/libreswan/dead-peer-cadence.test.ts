/**
 * A dead peer costs nothing (issue 12, item 4), the libreswan driver's side:
 * status readings of pluto back off while nothing moves. Pure (a fake clock). The end-to-end figures come from
 * bench/dead-peers.ts on real pluto.
 */
import assert from 'node:assert/strict';
import { RefreshSchedule } from '../../../drivers/libreswan/refresh-schedule.js';

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

  it('should read pluto again after a reading that an install overtook (it may predate the install)', () => {
    let now = 0;
    const s = new RefreshSchedule({ now: () => now });
    s.polled(true);
    now += 100;
    const started = s.generation;
    s.invalidate(); // an install while the reading was under way
    s.polled(true, started);
    assert.equal(s.due(), true, 'the reading began before the install: the next request reads pluto');
    s.polled(true, s.generation);
    assert.equal(s.due(), false);
  });
});
