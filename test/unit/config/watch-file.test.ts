/**
 * Tests for watchPath's safety-net poll on real temp directories: it calls
 * back when what it watches changed behind inotify's back (a symlinked file
 * elsewhere), and not while nothing changed (an idle gateway's poll is a stat,
 * not a read and parse).
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathSignature, watchPath, type PathWatch } from '../../../src/config/watch-file.js';
import { removeDir, tempDir, writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { settle, waitFor } from './wait-for.js';

describe('watchPath safety-net poll', () => {
  let dir: string;
  let watch: PathWatch | undefined;

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    watch?.close();
    watch = undefined;
    removeDir(dir);
  });

  it('should call back when a symlinked file elsewhere is rewritten in place, and not again while it stays the same', async () => {
    mkdirSync(join(dir, 'watched'));
    mkdirSync(join(dir, 'elsewhere'));
    const target = join(dir, 'elsewhere', 'endpoints.json');
    writeFileSync(target, '[]');
    const link = join(dir, 'watched', 'endpoints.json');
    symlinkSync(target, link);
    let calls = 0;
    watch = watchPath({ path: link, onEvent: () => void calls++, debounceMs: 10, pollMs: 50, pollSigned: true });
    // The first poll has no signature to compare with: one call back.
    await waitFor(() => calls === 1, 4000, 'the first poll');
    // Ten poll intervals with nothing changed: no call back.
    await settle(500);
    assert.equal(calls, 1, 'the poll called back although nothing changed');
    // inotify on "watched" does not see this write; the poll's signature does.
    writeFileSync(target, '[{}]');
    await waitFor(() => calls === 2, 4000, 'the poll to notice the in-place write');
  });

  it('should sign a file by inode, size and times, following symlinks', async () => {
    const file = join(dir, 'f');
    writeFileSync(file, 'aaaa');
    const a = await pathSignature(file, false);
    assert.equal(await pathSignature(file, false), a, 'unchanged file, different signature');
    await waitFor(
      async () => {
        writeFileSync(file, 'bbbb'); // same size, in place: only the times tell
        return (await pathSignature(file, false)) !== a;
      },
      4000,
      'a same-size rewrite to change the signature',
    );
    assert.match((await pathSignature(join(dir, 'missing'), false)) ?? '', /^error:ENOENT$/);
  });

  it('should sign a directory by its entries, so an in-place write to a key or a ..data swap shows', async () => {
    writeKubeletVolume(dir, { ceIPSecPSK: 'x', ceIPSecDebug: 'false' });
    const a = await pathSignature(dir, true);
    assert.ok(a);
    writeKubeletVolume(dir, { ceIPSecPSK: 'x', ceIPSecDebug: 'true' });
    assert.notEqual(await pathSignature(dir, true), a, 'a ..data swap left the signature unchanged');
    for (let i = 0; i < 70; i++) writeFileSync(join(dir, `extra-${i}`), '');
    assert.equal(await pathSignature(dir, true), undefined, 'a directory of over 64 entries is not signed');
  });
});
