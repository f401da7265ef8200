/**
 * The files own mode prepares before pluto starts: the directories, a
 * minimal ipsec.conf, an NSS database, an empty secrets file, and removal
 * of a stale pid file / ctl socket left by a killed pluto (the cause of
 * ovn-kubernetes#5355: a forking pluto refuses to start over its pid file).
 */
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../../src/lib/exec/index.js';
import { writeSecretsFile } from './secrets.js';

/** Where own mode keeps pluto's files. */
export interface PlutoPaths {
  config: string;
  rundir: string;
  nssdir: string;
  secrets: string;
  log: string;
}

/** The default layout under one directory (keep it short: the ctl socket path must fit in 108 bytes). */
export function pathsUnder(dir: string): PlutoPaths {
  return {
    config: join(dir, 'ipsec.conf'),
    rundir: join(dir, 'run'),
    nssdir: join(dir, 'nss'),
    secrets: join(dir, 'ipsec.secrets'),
    log: join(dir, 'pluto.log'),
  };
}

/** pluto's IKE socket buffers (SO_SNDBUFFORCE/SO_RCVBUFFORCE; the kernel doubles it): 4 MiB instead of 208 KiB. */
export const IKE_SOCKET_BUFSIZE = 4 * 1024 * 1024;

/**
 * `config setup` only. No conn sections: the driver adds connections with
 * whack and re-adds them after a restart.
 * - uniqueids=yes: a new IKE SA for the same IDs replaces the old one.
 * - ike-socket-errqueue=no and a larger ike-socket-bufsize: with errqueue on,
 *   pluto (4.10 to 5.x, iface_udp.c check_msg_errqueue) waits with poll(-1)
 *   before every IKE packet until its socket is writable, i.e. until less than
 *   half its send buffer is queued. Packets to peers on the gateway's own
 *   subnet that do not answer ARP stay queued about 3 s each (the neighbour
 *   resolution): with some hundreds of such dead peers (500 in bench/dead-peers.ts
 *   --on-link) the default 208 KiB buffer stays over half full, pluto's single event loop blocks in that poll and it
 *   stops answering whack (issue 12: the install stalled after 500 cables).
 *   Without errqueue a full buffer fails the send (EAGAIN) and pluto
 *   retransmits later, like a packet lost on the wire; the buffer holds about
 *   3,600 packets in flight. ICMP errors are then not read (cabled does not
 *   use them).
 */
export function renderPlutoConfig(): string {
  return [
    '# written by cabled; do not edit',
    'config setup',
    '\tuniqueids=yes',
    '\tike-socket-errqueue=no',
    `\tike-socket-bufsize=${IKE_SOCKET_BUFSIZE}`,
    '',
  ].join('\n');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates an empty NSS db (`certutil -N -d sql:DIR --empty-password`) unless one is there. */
export async function ensureNssDb(nssdir: string, timeoutMs = 15_000): Promise<void> {
  await mkdir(nssdir, { recursive: true, mode: 0o700 });
  if (await exists(join(nssdir, 'cert9.db'))) return;
  await run('certutil', ['-N', '-d', `sql:${nssdir}`, '--empty-password'], { timeoutMs });
}

/** Creates directories, the config, the NSS db and (if missing) an empty 0600 secrets file. */
export async function preparePlutoFiles(paths: PlutoPaths): Promise<void> {
  await mkdir(paths.rundir, { recursive: true, mode: 0o755 });
  await writeFile(paths.config, renderPlutoConfig(), { mode: 0o644 });
  await ensureNssDb(paths.nssdir);
  if (!(await exists(paths.secrets))) await writeSecretsFile(paths.secrets, []);
}

/** True when `pid` is a live process named pluto. */
export async function isLivePluto(pid: number): Promise<boolean> {
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
  if (comm.trim() !== 'pluto') return false;
  const st = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return !/\) Z /.test(st);
}

/** Reads `<rundir>/pluto.pid`; undefined when absent or unreadable. */
export async function readPidFile(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Removes pluto.pid and pluto.ctl when the pid they name is not a live pluto. Returns the stale pid, if any. */
export async function removeStaleRunFiles(rundir: string): Promise<number | undefined> {
  const pidFile = join(rundir, 'pluto.pid');
  const pid = await readPidFile(pidFile);
  if (pid !== undefined && (await isLivePluto(pid))) return undefined;
  await rm(pidFile, { force: true });
  await rm(join(rundir, 'pluto.ctl'), { force: true });
  return pid;
}
