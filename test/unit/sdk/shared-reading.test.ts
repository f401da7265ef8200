/** One status reading shared by the callers that ask at once, never across a change (issue 15, P2). */
import assert from 'node:assert/strict';
import type { Connection } from '../../../src/generated/cabled/driver/v1/driver.js';
import { SharedReading } from '../../../src/sdk/shared-reading.js';

/** A fetch that counts its readings and finishes when told to. */
function gatedFetch() {
  const pending: ((list: Connection[]) => void)[] = [];
  return {
    started: () => pending.length,
    fetch: () => new Promise<Connection[]>((resolve) => pending.push(resolve)),
    finish: (i: number, list: Connection[] = []) => pending[i]!(list),
  };
}

describe('shared status reading', () => {
  it('should give callers that ask while a reading is under way that reading', async () => {
    const f = gatedFetch();
    const readings = new SharedReading(f.fetch);
    const a = readings.read();
    const b = readings.read();
    assert.equal(f.started(), 1);
    const list: Connection[] = [];
    f.finish(0, list);
    assert.equal(await a, list);
    assert.equal(await b, list);
  });

  it('should start a new reading for a caller that asks after a change began, or after the reading ended', async () => {
    const f = gatedFetch();
    const readings = new SharedReading(f.fetch);
    const before = readings.read();
    readings.changed(); // a change starts: what `before` reads may miss it
    const during = readings.read();
    assert.equal(f.started(), 2);
    readings.changed(); // and ends
    const after = readings.read();
    assert.equal(f.started(), 3);
    assert.equal(readings.read(), after); // asked after the change, like `after`: shares it
    for (let i = 0; i < 3; i++) f.finish(i);
    await Promise.all([before, during, after]);
    void readings.read();
    assert.equal(f.started(), 4); // nothing under way: a new reading
    f.finish(3);
  });

  it('should give a failed reading to every caller that shared it, and read afresh next time', async () => {
    let n = 0;
    const readings = new SharedReading(async () => {
      n++;
      throw new Error('netlink dump failed');
    });
    const results = await Promise.allSettled([readings.read(), readings.read()]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(n, 1);
    await assert.rejects(readings.read(), /netlink dump failed/);
    assert.equal(n, 2);
  });
});
