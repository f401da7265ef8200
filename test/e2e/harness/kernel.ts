/**
 * The stock Debian kernel the end-to-end tests boot: resolved from Debian's
 * registry (`apt-cache depends linux-image-amd64`), fetched with
 * `apt-get download`, unpacked with `dpkg -x` into the cache and indexed with
 * `depmod -b`. A kernel already in the cache is reused (no network).
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec.js';
import { CACHE_DIR } from './paths.js';

/** An unpacked kernel package. */
export interface StockKernel {
  /** e.g. `6.1.0-56-amd64` */
  version: string;
  /** The folder the package was unpacked into (it holds boot/ and lib/modules/). */
  root: string;
  /** The bzImage to boot. */
  vmlinuz: string;
  /** `<root>/lib/modules/<version>` (depmod'ed). */
  modules: string;
}

/** Throws an error naming what is missing and how to install it. */
function missing(what: string, cause?: unknown): never {
  throw new Error(
    `e2e: ${what}. The end-to-end suite needs a stock Debian kernel and qemu; install them with ` +
      '`sudo bash scripts/install-deps.sh` (qemu-system-x86, busybox-static, kmod, cpio, iperf3) ' +
      'and make sure `apt-get download linux-image-amd64` works.',
    { cause },
  );
}

/** The versioned kernel package behind the `linux-image-amd64` metapackage, e.g. `linux-image-6.1.0-56-amd64`. */
export async function resolveKernelPackage(): Promise<string> {
  if (process.env.CABLED_E2E_KERNEL_PKG) return process.env.CABLED_E2E_KERNEL_PKG;
  let out: string;
  try {
    out = await exec('apt-cache', ['depends', 'linux-image-amd64']);
  } catch (err) {
    return missing('cannot resolve the kernel package (apt-cache depends linux-image-amd64 failed)', err);
  }
  const pkg = /Depends:\s+(linux-image-[0-9][^\s]*-amd64)\b/.exec(out)?.[1];
  if (!pkg) return missing(`apt-cache depends linux-image-amd64 names no linux-image-<version>-amd64:\n${out}`);
  return pkg;
}

/** Looks for a kernel already unpacked in the cache. */
function cached(version: string): StockKernel | undefined {
  const root = join(CACHE_DIR, 'kernel', version);
  const kernel: StockKernel = {
    version,
    root,
    vmlinuz: join(root, 'boot', `vmlinuz-${version}`),
    modules: join(root, 'lib', 'modules', version),
  };
  return existsSync(kernel.vmlinuz) && existsSync(join(kernel.modules, 'modules.dep')) ? kernel : undefined;
}

/**
 * Returns the stock kernel, downloading and unpacking it on first use.
 * Offline, any kernel already in the cache is used.
 */
export async function ensureKernel(): Promise<StockKernel> {
  let pkg: string;
  try {
    pkg = await resolveKernelPackage();
  } catch (err) {
    // Offline: fall back on whatever the cache holds.
    const dir = join(CACHE_DIR, 'kernel');
    const versions = existsSync(dir) ? readdirSync(dir).sort().reverse() : [];
    for (const v of versions) {
      const k = cached(v);
      if (k) return k;
    }
    throw err;
  }
  const version = pkg.replace(/^linux-image-/, '');
  const hit = cached(version);
  if (hit) return hit;

  const download = join(CACHE_DIR, 'download');
  const root = join(CACHE_DIR, 'kernel', version);
  mkdirSync(download, { recursive: true });
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  try {
    // apt-get download writes into its working directory.
    const get = () => exec('apt-get', ['download', pkg], { cwd: download, timeoutMs: 300000 });
    await get().catch(async () => {
      // The package index may be stale (a newer ABI was published): refresh once.
      await exec('apt-get', ['update', '-qq'], { timeoutMs: 300000 });
      await get();
    });
  } catch (err) {
    return missing(`cannot download ${pkg} from Debian's registry`, err);
  }
  return unpack(pkg, version, download, root);
}

async function unpack(pkg: string, version: string, download: string, root: string): Promise<StockKernel> {
  const deb = readdirSync(download).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) return missing(`apt-get download ${pkg} left no .deb in ${download}`);
  const path = join(download, deb);
  await exec('dpkg', ['-x', path, root], { timeoutMs: 300000 });
  await exec('depmod', ['-b', root, version], { timeoutMs: 120000 }).catch((err: unknown) =>
    missing('depmod failed (package kmod)', err),
  );
  const kernel = cached(version);
  if (!kernel) return missing(`${path} holds no boot/vmlinuz-${version}`);
  return kernel;
}
