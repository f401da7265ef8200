/**
 * Boots the stock kernel under qemu (TCG: /dev/kvm here is a software nested
 * hypervisor under which the stock kernel hangs), runs the guest program once
 * for a job, and reads back its typed result. The host root is shared
 * read-only over 9p; a per-run folder in the cache is the writable results
 * share (job.json in, result.json, logs and pcaps out). The console goes to
 * `<run>/console.log`. Anything that keeps the guest from producing a result
 * (no qemu, no kernel, no boot, timeout) throws an error saying so: the
 * suite fails, it never skips.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec.js';
import { ensureInitramfs } from './initramfs.js';
import { ensureKernel } from './kernel.js';
import { CACHE_DIR, GUEST_MAIN, REPO_ROOT } from './paths.js';
import type { GuestJob, GuestResult } from './types.js';

export const QEMU = process.env.CABLED_E2E_QEMU ?? 'qemu-system-x86_64';

/** Options of {@link bootGuest}. */
export interface BootOptions {
  /** Names the run folder (`.cache/e2e/runs/<name>-<time>`). */
  name: string;
  job: GuestJob;
  /** Whole boot, qemu start to exit. @default 600000 */
  timeoutMs?: number;
  /** Called with each console line (e.g. to show progress). */
  onConsole?: (line: string) => void;
}

/** A finished boot. */
export interface BootOutcome {
  result: GuestResult;
  /** The results share on the host (logs, pcaps). */
  runDir: string;
  consoleLog: string;
  /** Seconds from qemu start to the guest script starting (kernel, modules, 9p). */
  bootSeconds: number;
  /** Seconds from qemu start to qemu exit. */
  totalSeconds: number;
  /** The ceiling of the whole boot, in seconds. */
  timeoutSeconds: number;
}

/** The shell script /init runs chrooted into the host root. */
function guestScript(out: string): string {
  return `#!/bin/sh
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/tmp /run/netns /run/lock
export TMPDIR=/run/tmp HOME=/run/tmp PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
echo "E2E-GUEST: start"
cd ${REPO_ROOT}
${process.execPath} ${GUEST_MAIN} ${out}/job.json ${out}
echo "E2E-GUEST: exit $?"
`;
}

async function requireQemu(): Promise<void> {
  try {
    await exec(QEMU, ['--version'], { timeoutMs: 20000 });
  } catch (err) {
    throw new Error(
      `e2e: ${QEMU} is missing or does not run (install qemu-system-x86: sudo bash scripts/install-deps.sh)`,
      { cause: err },
    );
  }
  if (!existsSync(GUEST_MAIN)) throw new Error(`e2e: ${GUEST_MAIN} is missing: build first (npx tsc -p tsconfig.json)`);
}

/** Boots the guest once, runs `job` in it and returns the result it wrote. */
export async function bootGuest(options: BootOptions): Promise<BootOutcome> {
  await requireQemu();
  const kernel = await ensureKernel();
  const initrd = await ensureInitramfs(kernel);
  const runDir = join(CACHE_DIR, 'runs', `${options.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'job.json'), JSON.stringify(options.job, null, 2));
  writeFileSync(join(runDir, 'guest.sh'), guestScript(runDir), { mode: 0o755 });
  const consoleLog = join(runDir, 'console.log');
  const log = createWriteStream(consoleLog);
  const timeoutMs = options.timeoutMs ?? 600000;

  const args = [
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-m',
    '2048',
    '-smp',
    '2',
    '-nographic',
    '-no-reboot',
    '-nic',
    'none',
    '-kernel',
    kernel.vmlinuz,
    '-initrd',
    initrd,
    '-append',
    `console=ttyS0 panic=-1 quiet e2eout=${runDir}`,
    '-virtfs',
    'local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap',
    '-virtfs',
    `local,path=${runDir},mount_tag=out,security_model=none,multidevs=remap`,
  ];
  const started = Date.now();
  let bootSeconds = NaN;
  let tail = '';
  const qemu = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let partial = '';
  const onData = (d: Buffer) => {
    log.write(d);
    const text = partial + d.toString();
    const lines = text.split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail = `${tail + line}\n`.slice(-6000);
      if (Number.isNaN(bootSeconds) && line.includes('E2E-GUEST: start')) bootSeconds = (Date.now() - started) / 1000;
      options.onConsole?.(line);
    }
  };
  qemu.stdout.on('data', onData);
  qemu.stderr.on('data', onData);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    qemu.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    qemu.once('error', (e) => reject(new Error(`e2e: cannot start ${QEMU}: ${e.message}`)));
    qemu.once('exit', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  await new Promise<void>((r) => log.end(r));
  const totalSeconds = (Date.now() - started) / 1000;
  tail += partial;

  const resultPath = join(runDir, 'result.json');
  const where = `console: ${consoleLog}\n--- console tail ---\n${tail}`;
  if (Number.isNaN(bootSeconds)) {
    throw new Error(
      `e2e: the guest did not boot to its script (qemu exit ${String(code)}${timedOut ? `, killed after ${timeoutMs} ms` : ''}). ${where}`,
    );
  }
  if (!existsSync(resultPath))
    throw new Error(
      `e2e: the guest wrote no result.json${timedOut ? ` (killed after ${timeoutMs} ms)` : ''}. ${where}`,
    );
  const result = JSON.parse(readFileSync(resultPath, 'utf8')) as GuestResult;
  if (!result.finished) {
    throw new Error(
      `e2e: the guest program did not finish${timedOut ? ` (killed after ${timeoutMs} ms)` : ''}; partial result in ${resultPath}. ${where}`,
    );
  }
  return { result, runDir, consoleLog, bootSeconds, totalSeconds, timeoutSeconds: timeoutMs / 1000 };
}
