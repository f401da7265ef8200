/**
 * The engine's status readings back off while nothing changes (issue 12,
 * item 4) and come back to the base interval on any change. Real timers,
 * short intervals.
 */
import assert from 'node:assert/strict';
import { StatusCadence } from '../../../src/engine/status-cadence.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('engine status cadence', () => {
  it('should read every base interval while readings change, and back off doubling to the cap while they do not', async () => {
    const at: number[] = [];
    let changing = true;
    const c = new StatusCadence(
      async () => {
        at.push(Date.now());
        return changing;
      },
      { baseMs: 20, maxMs: 160 },
    );
    c.start();
    try {
      await sleep(150);
      assert.ok(at.length >= 4, `read ${at.length} times in 150 ms at a 20 ms base`);
      assert.equal(c.currentMs, 20);
      changing = false;
      await sleep(700);
      assert.equal(c.currentMs, 160, 'steady: backed off to the cap');
      const n = at.length;
      await sleep(200);
      assert.ok(at.length - n <= 2, 'at the cap: at most a reading per 160 ms');
      c.changed();
      const before = at.length;
      await sleep(60);
      assert.ok(at.length > before, 'a change elsewhere brings the next reading within the base interval');
    } finally {
      c.stop();
    }
  });

  it('should cap at 15 times the base, at most 30 s, by default', () => {
    const read = async () => false;
    assert.equal(new StatusCadence(read, { baseMs: 2000 }).maxMs, 30_000);
    assert.equal(new StatusCadence(read, { baseMs: 500 }).maxMs, 7500);
    assert.equal(new StatusCadence(read, { baseMs: 60_000 }).maxMs, 60_000);
  });
});
