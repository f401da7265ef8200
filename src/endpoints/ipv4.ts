/**
 * IPv4 address and CIDR checks for endpoint fields. Each check returns the
 * reason a value is bad (with what to write instead) or undefined.
 */
import { isIPv4 } from 'node:net';

/** Why `value` is not a dotted-quad IPv4 address, or undefined. */
export function checkIPv4(value: string): string | undefined {
  return isIPv4(value) ? undefined : 'not an IPv4 address; use a dotted quad such as 172.18.0.8';
}

function toInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function toDotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Why `value` is not an IPv4 CIDR with its host bits clear (e.g. 10.0.0.0/16), or undefined. */
export function checkIPv4Cidr(value: string): string | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(value.trim());
  if (!m?.[1] || !m[2]) return 'not a CIDR; write ADDRESS/PREFIX, e.g. 10.0.0.0/16';
  if (!isIPv4(m[1])) return 'not an IPv4 CIDR; write ADDRESS/PREFIX, e.g. 10.0.0.0/16';
  const prefix = Number(m[2]);
  if (prefix > 32) return 'prefix length above 32; use 0 to 32';
  const ip = toInt(m[1]);
  const size = 2 ** (32 - prefix);
  const network = ip - (ip % size);
  if (network !== ip) return `host bits are set; use ${toDotted(network)}/${prefix}`;
  return undefined;
}
