/** A dead peer costs nothing (issue 12, item 4): the cheap prefilters of pluto's log lines change nothing. */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLogEvent, parseLogEventUnfiltered } from '../../../src/lib/whack/log-events.js';

describe('pluto log prefilter (unit, every captured log line)', () => {
  it('should recognise exactly what the full rules recognise', async () => {
    const root = join(process.cwd(), 'test/fixtures/whack');
    const files: string[] = [];
    for (const rel of await readdir(root, { recursive: true }))
      if (/\.(log|txt)$/.test(rel)) files.push(join(root, rel));
    let lines = 0;
    let events = 0;
    for (const f of files) {
      for (const line of (await readFile(f, 'utf8')).split('\n')) {
        lines++;
        const want = parseLogEventUnfiltered(line);
        if (want) events++;
        assert.deepEqual(parseLogEvent(line), want, `${f}: ${line}`);
      }
    }
    assert.ok(lines > 500 && events > 50, `${lines} lines, ${events} events`);
  });
});
