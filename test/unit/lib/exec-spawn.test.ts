/** exec's spawn: a child that is also the promise of its end, settled after its output (real child processes). */
import assert from 'node:assert/strict';
import { STDIO_DRAIN_MS, spawn } from '../../../src/lib/exec/index.js';

function collect(stream: NodeJS.ReadableStream): () => string {
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

describe('exec spawn (real child processes)', function () {
  this.timeout(20000);

  it('should settle after what the child wrote has been read, even when the write lands after its exit', async () => {
    // The shell exits at once; what it left behind writes 150 ms later, then closes the pipe.
    const child = spawn('sh', ['-c', '(sleep 0.15; echo "unknown host" >&2) & echo first >&2; exit 2']);
    const stderr = collect(child.stderr);
    const result = await child;
    assert.equal(result.exitCode, 2);
    assert.equal(stderr(), 'first\nunknown host\n');
  });

  it('should not wait longer than STDIO_DRAIN_MS for output another process keeps open', async () => {
    const started = Date.now();
    const child = spawn('sh', ['-c', 'sleep 4 & exit 0']);
    const result = await child;
    const took = Date.now() - started;
    assert.equal(result.exitCode, 0);
    assert.ok(took >= STDIO_DRAIN_MS - 50 && took < 3500, `settled after ${took} ms`);
  });

  it('should settle with the reason when the program cannot be started', async () => {
    const result = await spawn('/nonexistent/cabled-test-program', []);
    assert.match(result.shortMessage ?? '', /ENOENT/);
  });
});
