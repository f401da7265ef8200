/**
 * The node-feature-discovery local feature file: `<features.d>/cabled-ipsec-offload`
 * holding `cabled.io/ipsec-offload=true` (NFD's local source reads
 * `<key>[=<value>]` lines, `#` comments, and ignores files whose name starts
 * with a dot). It is written to a dot-file and renamed, so NFD never reads a
 * half-written file, and removed when no interface offloads ESP. Nothing is
 * written when the content is already right.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OFFLOAD_LABEL } from './node-labels.js';

export const NFD_FEATURE_FILE = 'cabled-ipsec-offload';

/** The file's text for these capable interfaces, or undefined when there should be no file. */
export function nfdFeatureText(capable: readonly string[]): string | undefined {
  if (!capable.length) return undefined;
  return `# written by cabled labeler: interfaces offloading ESP: ${[...capable].sort().join(',')}\n${OFFLOAD_LABEL}=true\n`;
}

/** Writes or removes the file in `dir`; returns whether it changed anything. */
export async function syncNfdFeatureFile(dir: string, capable: readonly string[]): Promise<boolean> {
  const path = join(dir, NFD_FEATURE_FILE);
  const want = nfdFeatureText(capable);
  const have = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (have === want) return false;
  if (want === undefined) {
    await rm(path, { force: true });
    return true;
  }
  const tmp = join(dir, `.${NFD_FEATURE_FILE}.tmp`);
  await writeFile(tmp, want, { mode: 0o644 });
  await rename(tmp, path);
  return true;
}
