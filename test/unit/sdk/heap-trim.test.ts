/** After a burst, a driver started with --expose-gc gives its grown heap back once quiet (issue 15, P4). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { waitFor } from '../../../lab/netns.js';
import { HeapTrim } from '../../../src/sdk/heap-trim.js';

const run = promisify(execFile);
const MODULE = new URL('../../../src/sdk/heap-trim.js', import.meta.url).href;

/** A burst that leaves most of what it allocated behind as garbage, then the trim; heap sizes before and after, MB. */
const SCRIPT = `
const { HeapTrim } = await import(${JSON.stringify(MODULE)});
let keep = [];
for (let i = 0; i < 100000; i++) keep.push({ i, name: 'cable-' + i, subnets: ['10.' + (i % 250) + '.0.0/16'] });
keep = keep.slice(0, 1000);
const before = process.memoryUsage().heapTotal;
new HeapTrim(100).afterWork();
setTimeout(() => {
  const after = process.memoryUsage().heapTotal;
  console.log(JSON.stringify({ before: before / 1048576, after: after / 1048576, kept: keep.length }));
}, 600);
`;

async function measure(flags: string[]): Promise<{ before: number; after: number }> {
  const { stdout } = await run(process.execPath, [...flags, '--input-type=module', '-e', SCRIPT], { timeout: 60000 });
  return JSON.parse(stdout) as { before: number; after: number };
}

describe('heap trim after a burst (child node processes)', function () {
  this.timeout(120000);

  it('should shrink the heap to what is live once quiet, with --expose-gc', async () => {
    const m = await measure(['--max-semi-space-size=1', '--expose-gc']);
    assert.ok(m.after < m.before / 2, `heap ${m.before.toFixed(1)} MB -> ${m.after.toFixed(1)} MB`);
  });
});

describe('heap trim after status readings', () => {
  it('should collect once after readings in a row, when they have been quiet for a moment', async () => {
    let collections = 0;
    const trim = new HeapTrim(50, () => collections++);
    const read = trim.around(async () => ['cable']);
    const started = Date.now();
    for (let i = 0; i < 3; i++) assert.deepEqual(await read(), ['cable']);
    assert.equal(collections, 0, 'no collection while readings follow each other');
    await waitFor('the trim', async () => collections > 0, 10000, 5);
    assert.ok(Date.now() - started >= 50);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(collections, 1);
  });

  it('should count a failed reading as work, and pass its error on', async () => {
    let collections = 0;
    const trim = new HeapTrim(10, () => collections++);
    const read = trim.around(async () => {
      throw new Error('netlink dump failed');
    });
    await assert.rejects(read(), /netlink dump failed/);
    await waitFor('the trim', async () => collections === 1, 10000, 5);
  });
});
