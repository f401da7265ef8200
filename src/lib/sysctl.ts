/**
 * Kernel settings that are not netlink: per-device IPv4 sysctls written under
 * /proc/sys/net/ipv4/conf/<dev>/ (rp_filter, forwarding). /proc/sys/net
 * follows the network namespace of the writing process.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CabledError, InvalidArgumentError, errorMessage } from './errors.js';

/** rp_filter values: 0 off, 1 strict (RFC 3704), 2 loose. */
export type RpFilterMode = 'off' | 'strict' | 'loose';

const RP_FILTER: Record<RpFilterMode, string> = { off: '0', strict: '1', loose: '2' };

/** The per-device sysctls cabled sets; injectable so overlay tests can record calls. */
export interface Sysctl {
  /** Writes net.ipv4.conf.<dev>.rp_filter. */
  setRpFilter(dev: string, mode: RpFilterMode): Promise<void>;
  /** Writes net.ipv4.conf.<dev>.forwarding (dev may be "all" or "default"). */
  setForwarding(dev: string, enabled: boolean): Promise<void>;
  /** Reads one sysctl by dotted key, e.g. "net.ipv4.conf.all.rp_filter". */
  read(key: string): Promise<string>;
}

function checkDevice(dev: string): void {
  if (typeof dev !== 'string' || !/^[^/\s]{1,15}$/.test(dev) || dev === '.' || dev === '..') {
    throw new InvalidArgumentError(`invalid device name ${JSON.stringify(dev)} for a sysctl`);
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(key)) {
    throw new InvalidArgumentError(
      `invalid sysctl key ${JSON.stringify(key)}: expected dotted names like net.ipv4.ip_forward`,
    );
  }
}

/** Options for {@link procSysctl}. */
export interface ProcSysctlOptions {
  /** Root of the sysctl tree. @default "/proc/sys" */
  root?: string;
}

/**
 * Sysctl access through /proc/sys. Dotted keys map to path segments; device
 * names are passed as a single segment, so names with dots work too.
 */
export function procSysctl(options: ProcSysctlOptions = {}): Sysctl {
  const root = options.root ?? '/proc/sys';

  async function write(segments: string[], value: string): Promise<void> {
    const path = join(root, ...segments);
    try {
      await writeFile(path, `${value}\n`);
    } catch (err) {
      throw new CabledError(`set ${segments.join('.')}=${value} (${path}): ${errorMessage(err)}`, undefined, {
        cause: err,
      });
    }
  }

  return {
    async setRpFilter(dev, mode) {
      checkDevice(dev);
      const value = RP_FILTER[mode];
      if (value === undefined)
        throw new InvalidArgumentError(`invalid rp_filter mode ${JSON.stringify(mode)}: off, strict or loose`);
      await write(['net', 'ipv4', 'conf', dev, 'rp_filter'], value);
    },
    async setForwarding(dev, enabled) {
      checkDevice(dev);
      await write(['net', 'ipv4', 'conf', dev, 'forwarding'], enabled ? '1' : '0');
    },
    async read(key) {
      checkKey(key);
      const path = join(root, ...key.split('.'));
      try {
        return (await readFile(path, 'utf8')).trim();
      } catch (err) {
        throw new CabledError(`read ${key} (${path}): ${errorMessage(err)}`, undefined, { cause: err });
      }
    },
  };
}
