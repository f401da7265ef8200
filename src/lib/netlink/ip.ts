/**
 * IPv4 and MAC text <-> bytes conversions used by the netlink adapter, and
 * the input checks shared with the overlay. Pure functions, no kernel access.
 * IPs are dotted strings ("10.0.0.1"), CIDRs "10.1.0.0/16", MACs
 * "00:00:00:00:00:00" (lower case).
 */
import { InvalidArgumentError } from '../errors.js';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True when `text` is a dotted-quad IPv4 address with octets 0-255 and no leading zeros. */
export function isIpv4(text: string): boolean {
  const m = IPV4.exec(text);
  if (!m) return false;
  return m.slice(1).every((o) => String(Number(o)) === o && Number(o) <= 255);
}

/** Throws InvalidArgumentError naming `what` unless `text` is an IPv4 address. */
export function assertIpv4(text: unknown, what: string): asserts text is string {
  if (typeof text !== 'string' || !isIpv4(text)) {
    throw new InvalidArgumentError(
      `invalid ${what} ${JSON.stringify(text)}: expected an IPv4 address such as 10.0.0.1`,
    );
  }
}

/** The four octets of an IPv4 address. */
export function ipv4Octets(ip: string): [number, number, number, number] {
  assertIpv4(ip, 'IPv4 address');
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  return [a, b, c, d];
}

/** 4-byte network-order buffer for an IPv4 address. */
export function ipv4ToBuffer(ip: string): Buffer {
  return Buffer.from(ipv4Octets(ip));
}

/** Dotted string of a 4-byte buffer, or undefined for a missing / non-IPv4 buffer. */
export function bufferToIpv4(buf: Buffer | undefined): string | undefined {
  if (buf?.length !== 4) return undefined;
  return `${buf[0]}.${buf[1]}.${buf[2]}.${buf[3]}`;
}

/** An IPv4 prefix split into its parts. */
export interface Ipv4Cidr {
  /** Address part as written, e.g. "10.1.0.0" (or a host address for interface addresses). */
  address: string;
  /** Prefix length, 0-32. */
  prefixLength: number;
}

/**
 * Parses "a.b.c.d/len". With `network: true` the host bits must be zero (a
 * route destination); otherwise any address is accepted (an interface address).
 */
export function parseCidr(text: unknown, what: string, opts: { network?: boolean } = {}): Ipv4Cidr {
  const bad = (why: string) => new InvalidArgumentError(`invalid ${what} ${JSON.stringify(text)}: ${why}`);
  if (typeof text !== 'string') throw bad('expected an IPv4 CIDR such as 10.1.0.0/16');
  const slash = text.indexOf('/');
  if (slash < 0) throw bad('expected an IPv4 CIDR such as 10.1.0.0/16');
  const address = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  if (!isIpv4(address) || !/^\d{1,2}$/.test(lenText) || Number(lenText) > 32) {
    throw bad('expected an IPv4 CIDR such as 10.1.0.0/16');
  }
  const prefixLength = Number(lenText);
  if (opts.network && networkOf(address, prefixLength) !== address) {
    throw bad(`host bits are set; the network is ${networkOf(address, prefixLength)}/${prefixLength}`);
  }
  return { address, prefixLength };
}

/** The network address of `ip` under a prefix length. */
export function networkOf(ip: string, prefixLength: number): string {
  const value = ipv4Octets(ip).reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefixLength);
  const net = Math.floor(value / size) * size;
  return [24, 16, 8, 0].map((shift) => Math.floor(net / 2 ** shift) % 256).join('.');
}

/** "a.b.c.d/len" text of a CIDR. */
export function formatCidr(c: Ipv4Cidr): string {
  return `${c.address}/${c.prefixLength}`;
}

/** Lower-case colon-separated text of a MAC buffer, or undefined. */
export function bufferToMac(buf: Buffer | undefined): string | undefined {
  if (buf?.length !== 6) return undefined;
  return [...buf].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** 6-byte buffer of a MAC written "aa:bb:cc:dd:ee:ff". */
export function macToBuffer(mac: string): Buffer {
  if (typeof mac !== 'string' || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) {
    throw new InvalidArgumentError(`invalid MAC address ${JSON.stringify(mac)}: expected aa:bb:cc:dd:ee:ff`);
  }
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

/** The all-zero MAC that VXLAN uses as the default (flood) FDB destination. */
export const ZERO_MAC = '00:00:00:00:00:00';
