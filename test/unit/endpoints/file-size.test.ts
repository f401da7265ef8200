/** readFileBounded: the endpoints file size limit, checked before the text reaches the parser. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileBounded } from '../../../src/endpoints/file-size.js';
import { InvalidArgumentError } from '../../../src/lib/errors.js';

describe('readFileBounded', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cabled-size-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should read a file up to the limit', async () => {
    await writeFile(join(dir, 'ok'), 'x'.repeat(1024));
    assert.equal((await readFileBounded(join(dir, 'ok'), 1024, 'test')).length, 1024);
  });
  it('should refuse a larger file, naming the size and the limit', async () => {
    await writeFile(join(dir, 'big'), 'x'.repeat(1025));
    await assert.rejects(readFileBounded(join(dir, 'big'), 1024, 'endpoints-max-file-bytes'), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.match(err.message, /is 1025 bytes, more than 1024 \(the endpoints-max-file-bytes limit\)/);
      return true;
    });
  });
  it('should pass a missing file on as the system error', async () => {
    await assert.rejects(readFileBounded(join(dir, 'none'), 1024, 'test'), { code: 'ENOENT' });
  });
});
