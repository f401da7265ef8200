/**
 * Only whole files count (issue 12, item 2): the settled read, the removal
 * hold's decisions with a fake clock, and the file watch on a real temp file
 * written in place in chunks.
 */
import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RemovalHold, readSettled } from '../../../src/endpoints/file-stability.js';
import type { EndpointsSnapshot } from '../../../src/endpoints/snapshot.js';
import { watchEndpointsFile } from '../../../src/endpoints/watch-endpoints.js';
import { removeDir, tempDir } from '../../../lab/fs-helpers.js';

const snap = (n: number): EndpointsSnapshot =>
  ({
    endpoints: Array.from({ length: n }, (_, i) => ({ spec: { cableName: `cable-${i}` }, createdAt: 0, source: 't' })),
    rejected: [],
  }) as unknown as EndpointsSnapshot;

const entries = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    cluster_id: `c${i}`,
    private_ip: `172.19.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    subnets: [`10.${Math.floor(i / 250) + 100}.${i % 250}.0/24`],
  }));

describe('file stability (unit)', () => {
  it('readSettled: the text when two reads agree, undefined while it changes', async () => {
    let n = 0;
    assert.equal(await readSettled(async () => 'same', 5), 'same');
    assert.equal(await readSettled(async () => String(n++), 5), undefined);
  });

  it('RemovalHold: holds a removal of more than half until unchanged for holdMs, restarting on change', () => {
    let now = 1000;
    const hold = new RemovalHold({ holdMs: 10000, minimum: 10, now: () => now });
    assert.deepEqual(hold.decide(snap(20), snap(10), 'a'), { apply: true }, 'exactly half applies');
    const d1 = hold.decide(snap(20), snap(9), 'b');
    assert.equal(d1.apply, false);
    assert.ok(!d1.apply && d1.started && d1.retryInMs === 10000 && /removes 11 of 20/.test(d1.message));
    now += 6000;
    const d2 = hold.decide(snap(20), snap(8), 'c');
    assert.ok(!d2.apply && d2.started, 'a different content restarts the clock');
    now += 6000;
    const d3 = hold.decide(snap(20), snap(8), 'c');
    assert.ok(!d3.apply && !d3.started && d3.retryInMs === 4000);
    now += 4000;
    const d4 = hold.decide(snap(20), snap(8), 'c');
    assert.ok(d4.apply && /unchanged for 10 s/.test(d4.released ?? ''));
    assert.deepEqual(hold.decide(snap(9), snap(0), 'd'), { apply: true }, 'below the minimum: no hold');
    assert.deepEqual(
      new RemovalHold({ holdMs: 0, minimum: 1 }).decide(snap(20), snap(0), 'e'),
      { apply: true },
      '0 turns it off',
    );
  });

  it('a file rewritten in place in chunks never publishes a shorter list, and its final content applies', async function () {
    this.timeout(20000);
    const dir = tempDir('cabled-stable-');
    const path = join(dir, 'endpoints.yaml');
    const all = entries(300);
    await writeFile(path, stringify(all));
    const sizes: number[] = [];
    const watch = await watchEndpointsFile({
      path,
      debounceMs: 20,
      pollMs: 0,
      settleMs: 400,
      onChange: (s) => sizes.push(s.endpoints.length),
    });
    try {
      assert.equal(watch.current().endpoints.length, 300);
      const final = stringify([...all, ...entries(301).slice(300)]);
      const fh = await open(path, 'w');
      for (let at = 0; at < final.length; ) {
        const size = 4096 + Math.floor(Math.random() * 4096);
        await fh.write(final.slice(at, at + size));
        at += size;
        await new Promise((r) => setTimeout(r, 200));
      }
      await fh.close();
      const end = Date.now() + 10000;
      while (!sizes.includes(301) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(sizes, [301], 'only the whole file was published');
    } finally {
      watch.close();
      removeDir(dir);
    }
  });
});
