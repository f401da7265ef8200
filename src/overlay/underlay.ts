/**
 * Finds the underlay of the overlay from the kernel's routing state: the
 * local private IP (the source the kernel picks towards a target, like
 * Submariner's UDP "dial" to 8.8.8.8, but with RTM_GETROUTE so no packet is
 * sent), the device holding it, and the MTU to subtract the overhead from.
 */
import { FailedPreconditionError } from '../lib/errors.js';
import type { NetlinkAdapter } from '../lib/netlink/index.js';

/** What the overlay needs to know about the underlay. */
export interface Underlay {
  /** Local private IP. */
  localIp: string;
  /** Device holding `localIp`, if one does (undefined e.g. for an address on lo). */
  ifindex?: number;
  /** Name of that device. */
  ifname?: string;
  /** MTU of that device, else of the default route's device. */
  mtu: number;
}

/** Inputs of {@link detectUnderlay}; anything given is used as is. */
export interface DetectUnderlayOptions {
  /** Known private IP; when absent it is the kernel's source address towards `target`. */
  localIp?: string;
  /** Address whose route decides the private IP; only looked up, never contacted. @default "8.8.8.8" */
  target?: string;
  /** Known underlay ifindex. */
  ifindex?: number;
  /** Known underlay MTU. */
  mtu?: number;
}

/**
 * Resolves the underlay. Throws FailedPreconditionError when the private IP
 * or an MTU cannot be found (no route towards `target`, no default route).
 */
export async function detectUnderlay(nl: NetlinkAdapter, options: DetectUnderlayOptions = {}): Promise<Underlay> {
  const target = options.target ?? '8.8.8.8';
  let localIp = options.localIp;
  if (!localIp) {
    const route = await nl.routeTo(target);
    if (!route?.src) {
      throw new FailedPreconditionError(
        `detect the local private IP: no route to ${target} with a source address; set the private IP explicitly`,
      );
    }
    localIp = route.src;
  }

  let ifindex = options.ifindex;
  if (ifindex === undefined) {
    const owner = (await nl.listAddresses()).find((a) => a.address === localIp);
    ifindex = owner?.linkIndex;
  }
  const device = ifindex !== undefined ? await nl.getLink(ifindex) : undefined;
  if (ifindex !== undefined && !device) {
    throw new FailedPreconditionError(`detect the underlay: ifindex ${ifindex} does not exist`);
  }
  // An address on lo (a test host, a node IP on lo) gives no underlay device.
  const useDevice = device && device.name !== 'lo' ? device : undefined;

  let mtu = options.mtu ?? useDevice?.mtu;
  if (mtu === undefined) {
    const def = await nl.getDefaultRoute();
    const defDev = def?.oif !== undefined ? await nl.getLink(def.oif) : undefined;
    if (!defDev) {
      throw new FailedPreconditionError(
        `detect the underlay MTU: ${localIp} is on no device other than lo and there is no default route; ` +
          'add a default route, or use a private IP held by a real device (its MTU is the underlay MTU)',
      );
    }
    mtu = defDev.mtu;
  }
  return { localIp, ifindex: useDevice?.index, ifname: useDevice?.name, mtu };
}
