/**
 * What `cabled run` and `cabled cleanup` check before they start anything,
 * so that a cause that cannot fix itself ends the process once, with what to
 * do, instead of a stack of EACCES/EPERM errors retried every 5 s:
 * CAP_NET_ADMIN, a writable run directory, and a --private-ip this host holds.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { FailedPreconditionError } from '../lib/errors.js';
import type { NetlinkAdapter } from '../lib/netlink/index.js';

/** CAP_NET_ADMIN's bit in the capability masks of /proc/<pid>/status. */
const CAP_NET_ADMIN = 12n;

export const NEED_PRIVILEGES = 'run as root or with CAP_NET_ADMIN';

/** Whether the `CapEff:` line of a /proc/<pid>/status text holds CAP_NET_ADMIN; undefined when absent. */
export function hasNetAdmin(procStatus: string): boolean | undefined {
  const hex = /^CapEff:\s*([0-9a-f]+)\s*$/im.exec(procStatus)?.[1];
  if (hex === undefined) return undefined;
  return ((BigInt(`0x${hex}`) >> CAP_NET_ADMIN) & 1n) === 1n;
}

/** Throws FailedPreconditionError when this process lacks CAP_NET_ADMIN. */
export async function checkPrivileges(
  readStatus: () => Promise<string> = () => readFile('/proc/self/status', 'utf8'),
  uid: number = process.getuid?.() ?? -1,
): Promise<void> {
  const has = hasNetAdmin(await readStatus().catch(() => ''));
  // Without /proc (not Linux) nothing can be told in advance: let the kernel answer.
  if (has === false) {
    throw new FailedPreconditionError(
      `cabled programs links, routes and IPsec: ${NEED_PRIVILEGES} (this process runs as uid ${uid} without CAP_NET_ADMIN)`,
    );
  }
}

/** Creates the run directory (0700); says what to do when this user cannot. */
export async function prepareRunDir(runDir: string): Promise<void> {
  try {
    await mkdir(runDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new FailedPreconditionError(
      `cannot create the run directory ${runDir} (${code}): ${NEED_PRIVILEGES}, or pass --run-dir a directory this user can write`,
    );
  }
}

/** Throws FailedPreconditionError when `privateIp` is on none of this host's devices. */
export async function checkPrivateIp(privateIp: string, netlink: NetlinkAdapter): Promise<void> {
  const addresses = await netlink.listAddresses();
  if (addresses.some((a) => a.address === privateIp)) return;
  const held = [...new Set(addresses.map((a) => a.address))].filter((a) => !a.startsWith('127.'));
  throw new FailedPreconditionError(
    `--private-ip ${privateIp} is on no device of this host (its addresses: ${held.join(', ') || 'none'}); ` +
      'pass an address this host holds, or leave --private-ip out to use the source address of the default route',
  );
}
