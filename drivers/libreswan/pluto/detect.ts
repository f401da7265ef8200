/**
 * Finds another IKE daemon in a network namespace before own mode starts
 * pluto there. The kernel will not stop a second pluto: pluto binds UDP
 * 500/4500 with SO_REUSEADDR, so both run and fight over the same SPD/SAD.
 * Checks: processes named "pluto" whose /proc/<pid>/ns/net is the target
 * namespace, and UDP sockets on 500/4500 in it (another IKE daemon such as
 * charon, or a pluto in a container's pid namespace).
 */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { FailedPreconditionError } from '../../../src/lib/errors.js';
import { run } from '../../../src/lib/exec/index.js';

/** dev:ino of a network namespace. */
async function nsId(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/** The id of the target namespace: /run/netns/<name>, or ours. */
export function targetNetns(netns: string | undefined): Promise<string | undefined> {
  return nsId(netns ? `/run/netns/${netns}` : '/proc/self/ns/net');
}

/** pids of live processes named pluto in the target namespace (zombies have no ns link and are skipped). */
export async function plutoPidsIn(netns: string | undefined, ignore: readonly number[] = []): Promise<number[]> {
  const target = await targetNetns(netns);
  if (!target) return [];
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (ignore.includes(pid)) continue;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() !== 'pluto') continue;
    if ((await nsId(`/proc/${pid}/ns/net`)) === target) out.push(pid);
  }
  return out;
}

/** A UDP socket bound to an IKE port. */
export interface IkeSocket {
  port: number;
  inode: number;
  /** The owning process, when it is visible from here. */
  pid?: number;
  comm?: string;
}

/** UDP sockets on 500/4500 in the namespace (from /proc/net/udp{,6} as seen inside it). */
export async function ikeSocketsIn(
  netns: string | undefined,
  ports: readonly number[] = [500, 4500],
): Promise<IkeSocket[]> {
  const out: IkeSocket[] = [];
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = netns
      ? (await run('ip', ['netns', 'exec', netns, 'cat', table], { timeoutMs: 5000, allowFailure: true })).stdout
      : await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const port = parseInt((f[1] ?? '').split(':')[1] ?? '', 16);
      const inode = Number(f[9]);
      if (ports.includes(port) && inode > 0) out.push({ port, inode });
    }
  }
  if (out.length) await ownersOf(out);
  return out;
}

async function ownersOf(sockets: IkeSocket[]): Promise<void> {
  const wanted = new Map(sockets.map((s) => [`socket:[${s.inode}]`, s]));
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const s = wanted.get(await readlink(`/proc/${entry}/fd/${fd}`).catch(() => ''));
      if (s && s.pid === undefined) {
        s.pid = Number(entry);
        s.comm = (await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')).trim();
      }
    }
  }
}

/**
 * Throws FailedPreconditionError when another pluto (or another IKE daemon)
 * runs in the namespace, naming its pid and pointing at host mode.
 */
export async function assertNoOtherIkeDaemon(
  netns: string | undefined,
  ignorePids: readonly number[] = [],
): Promise<void> {
  const where = netns ? `network namespace ${netns}` : 'this network namespace';
  const plutos = await plutoPidsIn(netns, ignorePids);
  if (plutos.length) {
    throw new FailedPreconditionError(
      `another pluto (pid ${plutos.join(', ')}) is already running in ${where}; two plutos in one namespace fight over ` +
        'the same IKE ports and kernel SAs. Use that pluto instead: set ceIPSecPlutoMode: host and ceIPSecPlutoSocket to its ctl socket',
    );
  }
  const busy = (await ikeSocketsIn(netns)).filter((s) => s.pid === undefined || !ignorePids.includes(s.pid));
  const first = busy[0];
  if (first) {
    const who = first.pid ? `pid ${first.pid} (${first.comm ?? '?'})` : 'a process not visible from here';
    throw new FailedPreconditionError(
      `UDP port ${first.port} is already bound in ${where} by ${who}: another IKE daemon runs there. ` +
        'If it is pluto, use ceIPSecPlutoMode: host with its ctl socket; otherwise stop it',
    );
  }
}
