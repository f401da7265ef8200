/**
 * Where the end-to-end harness keeps things on the host: the repository root
 * (this file runs from dist/test/e2e/harness/) and the git-ignored cache
 * `.cache/e2e/` holding the stock kernel, the initramfs and every run's
 * results share.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** `.cache/e2e/` in the repository (git-ignored); `CABLED_E2E_CACHE` overrides it. */
export const CACHE_DIR = process.env.CABLED_E2E_CACHE ?? join(REPO_ROOT, '.cache', 'e2e');

/** The compiled guest program, as seen inside the guest (the host root is shared at the same paths). */
export const GUEST_MAIN = join(REPO_ROOT, 'dist', 'test', 'e2e', 'guest', 'main.js');
