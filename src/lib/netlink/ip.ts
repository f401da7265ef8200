/**
 * IPv4 and MAC text <-> bytes conversions used by the netlink adapter, and
 * the input checks shared with the overlay. Pure functions, no kernel access.
 * IPs are dotted strings ("10.0.0.1"), CIDRs "10.1.0.0/16", MACs
 * "00:00:00:00:00:00" (lower case).
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * The address as an unsigned 32-bit number, or undefined unless `text` is a
 * dotted quad with octets 0-255 and no leading zeros. One pass over the
 * characters, nothing allocated: the overlay checks and converts a few
 * addresses per cable, thousands per burst (issue 15).
 */
function parseIpv4(text: string): number | undefined {
  const n = text.length;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return undefined; // a leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

/** True when `text` is a dotted-quad IPv4 address with octets 0-255 and no leading zeros. */
export function isIpv4(text: string): boolean {
  return typeof text === 'string' && parseIpv4(text) !== undefined;
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
  const v = ipv4Value(ip);
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/** The address as an unsigned 32-bit number; throws InvalidArgumentError unless it is one. */
/** The address as a 32-bit number (10.0.0.1 -> 0x0a000001); throws on an invalid one. */
export function ipv4Value(ip: string): number {
  const v = typeof ip === 'string' ? parseIpv4(ip) : undefined;
  if (v === undefined) assertIpv4(ip, 'IPv4 address');
  return v as number;
}

/** 4-byte network-order buffer for an IPv4 address. */
export function ipv4ToBuffer(ip: string): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt32BE(ipv4Value(ip));
  return buf;
}

/** Dotted string of a 4-byte buffer, or undefined for a missing / non-IPv4 buffer. */
export function bufferToIpv4(buf: Buffer | undefined): string | undefined {
  if (buf?.length !== 4) return undefined;
  return ipv4At(buf, 0);
}

/** Dotted string of the 4 bytes at `offset` (no view of them made: the dump reader's hot path). */
export function ipv4At(buf: Uint8Array, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
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
  const value = ipv4Value(ip);
  const size = 2 ** (32 - prefixLength);
  const net = Math.floor(value / size) * size;
  return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}`;
}

/** "a.b.c.d/len" text of a CIDR. */
export function formatCidr(c: Ipv4Cidr): string {
  return `${c.address}/${c.prefixLength}`;
}

/** Lower-case colon-separated text of a MAC buffer, or undefined. */
export function bufferToMac(buf: Buffer | undefined): string | undefined {
  if (buf?.length !== 6) return undefined;
  return macAt(buf, 0);
}

/** Lower-case colon-separated text of the 6 bytes at `offset`. */
export function macAt(buf: Uint8Array, offset: number): string {
  let any = 0;
  for (let i = offset; i < offset + 6; i++) any |= buf[i]!;
  if (any === 0) return ZERO_MAC; // every VXLAN remote's
  let out = '';
  for (let i = 0; i < 6; i++) out += `${i ? ':' : ''}${buf[offset + i]!.toString(16).padStart(2, '0')}`;
  return out;
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
