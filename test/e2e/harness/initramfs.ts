/**
 * The initramfs the guest boots with: a static busybox, the virtio/9p modules
 * in load order (from `modprobe --show-depends`), and an /init that mounts the
 * host root read-only over 9p, makes busybox modprobe the kernel's module
 * helper (on the stock kernel's depmod'ed modules), loads the IPsec and
 * overlay modules (including `drbg`: without the kernel's default RNG, ESP SA
 * installs fail with ENOENT), mounts the writable results share and runs
 * `<results>/guest.sh` chrooted into the host root, then powers off.
 * Built once per content and cached as `.cache/e2e/initrd-<hash>.gz`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { exec } from './exec.js';
import type { StockKernel } from './kernel.js';
import { CACHE_DIR } from './paths.js';

/** Where the static busybox is (package busybox-static). */
export const BUSYBOX = process.env.CABLED_E2E_BUSYBOX ?? '/bin/busybox';

/** Modules loaded by /init from the initramfs itself, to reach the 9p shares. */
export const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p'];

/**
 * Modules /init loads from the stock kernel once the host root is mounted.
 * drbg, jitterentropy_rng, sha512_generic and sha3_generic: the default RNG
 * that seqiv/echainiv need (without it: `Add SA ... errno 2`, reported to the
 * peer as TS_UNACCEPTABLE).
 */
export const GUEST_MODULES = [
  'esp4',
  'xfrm_user',
  'xfrm_interface',
  'vxlan',
  'veth',
  'dummy',
  'gcm',
  'ghash-generic',
  'ctr',
  'aesni-intel',
  'ghash-clmulni-intel',
  'seqiv',
  'echainiv',
  'authenc',
  'drbg',
  'jitterentropy_rng',
  'sha512_generic',
  'sha3_generic',
  'xt_policy',
];

/** The /init script. `e2eout=<path>` on the kernel command line names the results share's mount point. */
export function initScript(kernel: StockKernel, bootModules: string[]): string {
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
fail() { echo "E2E-INIT: FAIL $*"; poweroff -f; }
echo "E2E-INIT: start"
for m in ${bootModules.join(' ')}; do insmod /mods/$m.ko || echo "E2E-INIT: insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 host /host || fail "cannot mount the host root over 9p"
ln -s /host${join(kernel.root, 'lib', 'modules')} /lib/modules
echo /bin/modprobe > /proc/sys/kernel/modprobe
for m in ${GUEST_MODULES.join(' ')}; do modprobe $m 2>/dev/null || echo "E2E-INIT: modprobe $m failed"; done
grep -q '^esp4 ' /proc/modules || fail "esp4 did not load"
grep -q '^drbg ' /proc/modules || fail "drbg did not load"
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
OUT=
for a in $(cat /proc/cmdline); do case $a in e2eout=*) OUT=\${a#e2eout=};; esac; done
[ -n "$OUT" ] || fail "no e2eout= on the kernel command line"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /host$OUT || fail "cannot mount the results share on $OUT"
echo "E2E-INIT: running $OUT/guest.sh"
chroot /host /bin/sh $OUT/guest.sh
echo "E2E-INIT: guest exit $?"
poweroff -f
`;
}

/** The module files `modprobe --show-depends` lists for `names`, in load order. */
async function moduleFiles(kernel: StockKernel, names: string[]): Promise<string[]> {
  const out = await exec('modprobe', ['-d', kernel.root, '-S', kernel.version, '--show-depends', '-a', ...names]);
  const files: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^insmod\s+(\S+\.ko(?:\.xz|\.zst|\.gz)?)/.exec(line.trim());
    if (m?.[1] && !files.includes(m[1])) files.push(m[1]);
  }
  if (files.length === 0) throw new Error(`e2e: modprobe --show-depends ${names.join(' ')} listed no module:\n${out}`);
  return files;
}

/** Builds (or reuses) the initramfs for `kernel`; returns the path of the gzipped cpio archive. */
export async function ensureInitramfs(kernel: StockKernel): Promise<string> {
  if (!existsSync(BUSYBOX))
    throw new Error(`e2e: no static busybox at ${BUSYBOX} (install busybox-static: sudo bash scripts/install-deps.sh)`);
  const files = await moduleFiles(kernel, BOOT_MODULES);
  const names = files.map((f) => basename(f).replace(/\.ko(\.\w+)?$/, ''));
  if (files.some((f) => !f.endsWith('.ko')))
    throw new Error(`e2e: compressed boot modules are not supported by this initramfs: ${files.join(' ')}`);
  const init = initScript(kernel, names);
  const hash = createHash('sha256')
    .update(init)
    .update(files.join('\n'))
    .update(String(statSync(BUSYBOX).size))
    .digest('hex')
    .slice(0, 16);
  const out = join(CACHE_DIR, `initrd-${hash}.gz`);
  if (existsSync(out)) return out;

  const tree = join(CACHE_DIR, `initrd-${hash}.tree`);
  rmSync(tree, { recursive: true, force: true });
  for (const d of ['bin', 'mods', 'dev', 'proc', 'sys', 'host', 'lib', 'tmp'])
    mkdirSync(join(tree, d), { recursive: true });
  copyFileSync(BUSYBOX, join(tree, 'bin', 'busybox'));
  for (const f of files) copyFileSync(f, join(tree, 'mods', basename(f)));
  writeFileSync(join(tree, 'init'), init, { mode: 0o755 });
  await exec('mknod', ['-m', '600', join(tree, 'dev', 'console'), 'c', '5', '1']);
  const list = `${(await exec('find', ['.'], { cwd: tree })).split('\n').filter(Boolean).join('\n')}\n`;

  const cpio = spawn('cpio', ['-o', '-H', 'newc', '-R', '0:0', '--quiet'], {
    cwd: tree,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  cpio.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    cpio.once('error', (e) => reject(new Error(`e2e: cannot run cpio (install package cpio): ${e.message}`)));
    cpio.once('exit', (code) => resolve(code ?? 1));
  });
  cpio.stdin.end(list);
  const tmp = `${out}.tmp`;
  await pipeline(cpio.stdout, createGzip({ level: 1 }), createWriteStream(tmp));
  const code = await exited;
  if (code !== 0) throw new Error(`e2e: cpio failed (exit ${code}): ${err}`);
  renameSync(tmp, out);
  rmSync(tree, { recursive: true, force: true });
  return out;
}
