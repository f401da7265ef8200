/**
 * Whether the interface that carries traffic to one remote address offloads
 * ESP: a route lookup (`ip route get`, through the netlink adapter) gives the
 * output interface, whose ethtool features decide. A bridge or bond on the
 * path (e.g. OVN-Kubernetes' br-ex) is judged by its own features, which
 * normally report ESP offload off: such a path counts as not capable.
 */
import type { NetlinkAdapter } from '../lib/netlink/index.js';
import { systemProbe, type OffloadProbe } from './detect.js';
import { espOffloadOf, type EspOffload } from './esp-offload.js';
import { parseEthtoolFeatures } from './ethtool-features.js';

/** The ESP offload of the interface towards `ip`, or undefined when there is no route. */
export async function offloadTowards(
  ip: string,
  netlink: Pick<NetlinkAdapter, 'routeTo' | 'getLink'>,
  probe: Pick<OffloadProbe, 'readFeatures'> = systemProbe,
): Promise<EspOffload | undefined> {
  const route = await netlink.routeTo(ip);
  if (!route) return undefined;
  const link = await netlink.getLink(route.oif);
  if (!link) return undefined;
  return espOffloadOf(link.name, parseEthtoolFeatures(await probe.readFeatures(link.name)));
}
