import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore } from '../../../src/sdk/state-store.js';

describe('driver state store (a temporary directory)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `cbt-p15b-${process.pid}-store-`));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should write a burst of 1000 changes made in one turn once, and read them back', async () => {
    const store = new StateStore<{ n: number }>(join(dir, 'state.json'));
    for (let n = 0; n < 1000; n++) store.set(`cable-${n}`, { n });
    await store.flush();
    assert.equal(store.writes, 1);
    const again = new StateStore<{ n: number }>(join(dir, 'state.json'));
    await again.load();
    assert.equal(again.values().length, 1000);
    assert.deepEqual(again.get('cable-999'), { n: 999 });
  });

  it('should take changes made while a write is on its way in exactly one more write', async () => {
    const path = join(dir, 'state.json');
    const store = new StateStore<number>(path);
    store.set('a', 1);
    await new Promise((r) => setImmediate(r)); // the first write has taken its snapshot
    for (let n = 0; n < 100; n++) store.set(`b${n}`, n);
    store.delete('a');
    await store.flush();
    assert.equal(store.writes, 2);
    const text = JSON.parse(await readFile(path, 'utf8')) as Record<string, number>;
    assert.equal(text.a, undefined);
    assert.equal(Object.keys(text).length, 100);
  });

  it('should not write when nothing changed', async () => {
    const store = new StateStore<number>(join(dir, 'state.json'));
    store.delete('absent');
    await store.flush();
    assert.equal(store.writes, 0);
  });
});
