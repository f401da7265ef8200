/**
 * Files for tests and benchmarks: temp dirs, fixture paths, and a kubelet-style
 * ConfigMap volume (`<dir>/<key> -> ..data/<key>`, `..data -> ..<timestamp>`)
 * whose update swaps the `..data` symlink atomically, as kubelet's
 * AtomicWriter does.
 */
import {
  mkdtempSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  readlinkSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/lab/). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The path of a fixture, e.g. fixture('config', 'seed-example.txt'). */
export function fixture(folder: string, name: string): string {
  return join(ROOT, 'test', 'fixtures', folder, name);
}

/** A fresh temp directory; remove it with `rmSync(dir, { recursive: true, force: true })`. */
export function tempDir(prefix = 'cabled-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a temp directory. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

let generation = 0;

/** Writes `files` as a kubelet ConfigMap volume in `dir`, or updates it by swapping `..data`. */
export function writeKubeletVolume(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  const stamp = `..2026_11_22_10_00_${String(generation++).padStart(2, '0')}.${process.pid}`;
  mkdirSync(join(dir, stamp));
  for (const [key, text] of Object.entries(files)) writeFileSync(join(dir, stamp, key), text);
  const data = join(dir, '..data');
  const old = existsSync(data) ? readlinkSync(data) : undefined;
  symlinkSync(stamp, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), data);
  for (const key of Object.keys(files)) {
    if (!existsSync(join(dir, key))) symlinkSync(join('..data', key), join(dir, key));
  }
  if (old) rmSync(join(dir, old), { recursive: true, force: true });
}

/** Replaces `path` atomically: write a temp file beside it, then rename over it. */
export function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${generation++}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
