/**
 * IPv4 address and CIDR checks and arithmetic for endpoint fields. Each check
 * returns the reason a value is bad (with what to write instead) or undefined.
 */
import { isIPv4 } from 'node:net';

/** Why `value` is not a dotted-quad IPv4 address, or undefined. */
export function checkIPv4(value: string): string | undefined {
  return isIPv4(value) ? undefined : 'not an IPv4 address; use a dotted quad such as 172.18.0.8';
}

/** The address as an unsigned 32-bit number (the caller has checked it is IPv4). */
export function ipv4ToInt(ip: string): number {
  // A character loop: no arrays or strings per call (endpoint checks call it many times per entry).
  let acc = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46 /* . */) {
      acc = acc * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return acc * 256 + octet;
}

function toDotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Why `value` is not an IPv4 CIDR with its host bits clear (e.g. 10.0.0.0/16), or undefined. */
export function checkIPv4Cidr(value: string): string | undefined {
  if (value.length > 18) return 'not a CIDR; write ADDRESS/PREFIX, e.g. 10.0.0.0/16';
  const m = /^([^/]+)\/(\d{1,2})$/.exec(value.trim());
  if (!m?.[1] || !m[2]) return 'not a CIDR; write ADDRESS/PREFIX, e.g. 10.0.0.0/16';
  if (!isIPv4(m[1])) return 'not an IPv4 CIDR; write ADDRESS/PREFIX, e.g. 10.0.0.0/16';
  const prefix = Number(m[2]);
  if (prefix > 32) return 'prefix length above 32; use 0 to 32';
  const ip = ipv4ToInt(m[1]);
  const size = 2 ** (32 - prefix);
  const network = ip - (ip % size);
  if (network !== ip) return `host bits are set; use ${toDotted(network)}/${prefix}`;
  return undefined;
}

/** A CIDR as the first address and the number of addresses in it. */
export interface Block {
  readonly first: number;
  readonly size: number;
  readonly prefix: number;
}

/** The block of a valid CIDR ("10.0.0.0/16") or of one address ("10.0.0.1" -> /32). */
export function blockOf(cidrOrIp: string): Block {
  const [ip = '', len] = cidrOrIp.trim().split('/');
  const prefix = len === undefined ? 32 : Number(len);
  const size = 2 ** (32 - prefix);
  const n = ipv4ToInt(ip);
  return { first: n - (n % size), size, prefix };
}

/** Whether two blocks share at least one address (one contains the other, for CIDRs). */
export function overlaps(a: Block, b: Block): boolean {
  return a.first < b.first + b.size && b.first < a.first + a.size;
}

/** Whether `block` holds the address `ip`. */
export function containsIp(block: Block, ip: string): boolean {
  const n = ipv4ToInt(ip);
  return n >= block.first && n < block.first + block.size;
}
