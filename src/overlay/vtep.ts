/**
 * Pure address and MTU arithmetic of the VXLAN overlay: the VTEP address of a
 * gateway is its private IP with the first octet replaced by a fixed prefix
 * (Submariner: 241 -> 241.<b>.<c>.<d>/8), and the overlay MTU is the underlay
 * MTU minus the encapsulation overhead (50 bytes for VXLAN over IPv4).
 */
import { InvalidArgumentError } from '../lib/errors.js';
import { assertIpv4, ipv4Octets } from '../lib/netlink/index.js';

/** First octet of cable-driver VTEP addresses (Submariner's VxlanVTepNetworkPrefix). */
export const DEFAULT_VTEP_PREFIX = 241;
/** Prefix length of the VTEP address on the device. */
export const DEFAULT_VTEP_PREFIX_LENGTH = 8;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
export const VXLAN_MTU_OVERHEAD = 50;
/** The smallest MTU IPv4 allows on a link. */
export const MIN_IPV4_MTU = 68;

/** Throws unless `prefix` can be a unicast first octet (1-255, not 127). */
export function assertVtepPrefix(prefix: unknown): asserts prefix is number {
  if (typeof prefix !== 'number' || !Number.isInteger(prefix) || prefix < 1 || prefix > 255 || prefix === 127) {
    throw new InvalidArgumentError(`invalid VTEP prefix ${JSON.stringify(prefix)}: a first octet 1-255, not 127`);
  }
}

/**
 * VTEP address derived from a private IP: `vtepIpFor("172.18.0.8") === "241.18.0.8"`.
 * @param prefix first octet to put in place. @default 241
 */
export function vtepIpFor(privateIp: string, prefix: number = DEFAULT_VTEP_PREFIX): string {
  assertIpv4(privateIp, 'private IP');
  assertVtepPrefix(prefix);
  const [, b, c, d] = ipv4Octets(privateIp);
  return `${prefix}.${b}.${c}.${d}`;
}

/**
 * The VTEP address with its prefix length, as put on the device:
 * `vtepCidrFor("172.18.0.8") === "241.18.0.8/8"`.
 */
export function vtepCidrFor(
  privateIp: string,
  prefix: number = DEFAULT_VTEP_PREFIX,
  prefixLength: number = DEFAULT_VTEP_PREFIX_LENGTH,
): string {
  if (!Number.isInteger(prefixLength) || prefixLength < 1 || prefixLength > 32) {
    throw new InvalidArgumentError(`invalid VTEP prefix length ${JSON.stringify(prefixLength)}: 1 to 32`);
  }
  return `${vtepIpFor(privateIp, prefix)}/${prefixLength}`;
}

/**
 * Overlay device MTU for an underlay MTU: `overlayMtu(1500) === 1450`.
 * Rejects results below 68 (IPv4's minimum) instead of building a useless device.
 * @param overhead bytes of encapsulation. @default 50
 */
export function overlayMtu(underlayMtu: number, overhead: number = VXLAN_MTU_OVERHEAD): number {
  if (!Number.isInteger(underlayMtu) || underlayMtu < MIN_IPV4_MTU || underlayMtu > 65535) {
    throw new InvalidArgumentError(`invalid underlay MTU ${JSON.stringify(underlayMtu)}: ${MIN_IPV4_MTU} to 65535`);
  }
  if (!Number.isInteger(overhead) || overhead < 0 || overhead > 65535) {
    throw new InvalidArgumentError(`invalid MTU overhead ${JSON.stringify(overhead)}: a non-negative integer`);
  }
  const mtu = underlayMtu - overhead;
  if (mtu < MIN_IPV4_MTU) {
    throw new InvalidArgumentError(
      `underlay MTU ${underlayMtu} minus overhead ${overhead} leaves ${mtu}, below the IPv4 minimum ${MIN_IPV4_MTU}`,
    );
  }
  return mtu;
}
