/**
 * Finds the interfaces of this network namespace that offload ESP: every link
 * (from the netlink adapter) is asked with `ethtool -k` (src/lib/exec, 5 s
 * timeout). Virtual devices (lo, veth, vxlan) report the features off
 * [fixed], so they come out not capable without a special case. A link that
 * vanished between listing and asking is skipped; any other ethtool failure
 * is reported for that interface alone.
 */
import { run } from '../lib/exec/index.js';
import { errorMessage } from '../lib/errors.js';
import { openNetlink } from '../lib/netlink/index.js';
import { parseEthtoolFeatures } from './ethtool-features.js';
import { espOffloadOf, type EspOffload } from './esp-offload.js';

/** How detection reads the system; tests inject recorded answers. */
export interface OffloadProbe {
  /** Names of the links to check. */
  listLinks(): Promise<readonly string[]>;
  /** `ethtool -k <ifname>` output. */
  readFeatures(ifname: string): Promise<string>;
}

/** The result of one detection pass. */
export interface OffloadReport {
  /** Every checked interface, by name. */
  readonly interfaces: readonly EspOffload[];
  /** Interfaces that could not be checked, with why. */
  readonly errors: readonly { ifname: string; error: string }[];
}

/** The real probe: rtnetlink for the links, ethtool for the features. */
export const systemProbe: OffloadProbe = {
  async listLinks() {
    const nl = openNetlink();
    try {
      return (await nl.listLinks()).map((l) => l.name).filter(Boolean);
    } finally {
      nl.close();
    }
  },
  async readFeatures(ifname) {
    return (await run('ethtool', ['-k', ifname], { timeoutMs: 5000 })).stdout;
  },
};

/** Checks every link; sorted by name. */
export async function detectEspOffload(probe: OffloadProbe = systemProbe): Promise<OffloadReport> {
  const names = [...(await probe.listLinks())].sort();
  const interfaces: EspOffload[] = [];
  const errors: { ifname: string; error: string }[] = [];
  for (const ifname of names) {
    try {
      interfaces.push(espOffloadOf(ifname, parseEthtoolFeatures(await probe.readFeatures(ifname))));
    } catch (err) {
      const message = errorMessage(err);
      if (/No such device/i.test(message)) continue;
      errors.push({ ifname, error: message });
    }
  }
  return { interfaces, errors };
}

/** Names of the capable interfaces. */
export function capableInterfaces(report: OffloadReport): string[] {
  return report.interfaces.filter((i) => i.capable).map((i) => i.ifname);
}
