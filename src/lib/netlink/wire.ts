/**
 * Writing netlink messages straight into a buffer (and reading numbers out of
 * dumped ones, dump-read.ts), for the batch path's hot
 * messages (FDB entries and routes: issue 15, P2). The package's generic
 * encoder builds a Buffer per header, attribute and value and an array per
 * level for each message; at thousands of writes per burst that garbage cost
 * the VXLAN driver more than the kernel did. The bytes are the same (the unit
 * test compares them with the package's encoder): host byte order for
 * numbers, network order for addresses, each attribute starting 4-aligned.
 */
import { endianness } from 'node:os';

const LE = endianness() === 'LE';

/** Bytes of struct nlmsghdr. */
export const NLMSG_HDRLEN = 16;

/** Route attribute types (linux/rtnetlink.h), for the routes written and read byte by byte. */
export const RTA = { DST: 1, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, TABLE: 15 } as const;

// Plain byte stores rather than Buffer's write methods: the VXLAN driver runs with --lite-mode (no
// optimising compiler), where each of those is several interpreted calls (argument and bounds checks).
// Every caller writes inside a buffer it sized itself.

export function putU16(buf: Uint8Array, value: number, offset: number): void {
  if (LE) {
    buf[offset] = value & 0xff;
    buf[offset + 1] = (value >>> 8) & 0xff;
  } else {
    buf[offset] = (value >>> 8) & 0xff;
    buf[offset + 1] = value & 0xff;
  }
}

export function putU32(buf: Uint8Array, value: number, offset: number): void {
  if (LE) putU32LE(buf, value, offset);
  else putU32BE(buf, value, offset);
}

/** A 16-bit number in host order at `offset` (the dump reader's; plain byte loads, as the stores above). */
export function getU16(buf: Uint8Array, offset: number): number {
  return LE ? buf[offset]! | (buf[offset + 1]! << 8) : (buf[offset]! << 8) | buf[offset + 1]!;
}

/** An unsigned 32-bit number in host order at `offset`. */
export function getU32(buf: Uint8Array, offset: number): number {
  const lo = getU16(buf, LE ? offset : offset + 2);
  const hi = getU16(buf, LE ? offset + 2 : offset);
  return (lo | (hi << 16)) >>> 0;
}

/** A signed 32-bit number (two's complement) in host order. */
export function putS32(buf: Uint8Array, value: number, offset: number): void {
  putU32(buf, value >>> 0, offset);
}

/** Network byte order (addresses). */
export function putU32BE(buf: Uint8Array, value: number, offset: number): void {
  buf[offset] = (value >>> 24) & 0xff;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

function putU32LE(buf: Uint8Array, value: number, offset: number): void {
  buf[offset] = value & 0xff;
  buf[offset + 1] = (value >>> 8) & 0xff;
  buf[offset + 2] = (value >>> 16) & 0xff;
  buf[offset + 3] = (value >>> 24) & 0xff;
}

/** Bytes an attribute with `length` bytes of data takes, padding to the next one included. */
export function attrSpace(length: number): number {
  return (4 + length + 3) & ~3;
}

/** Writes an attribute header (rtattr) at `offset`; returns where its data starts. */
export function putAttrHeader(buf: Buffer, type: number, length: number, offset: number): number {
  putU16(buf, 4 + length, offset);
  putU16(buf, type, offset + 2);
  return offset + 4;
}

/** An attribute holding a 32-bit number (host order); returns the offset after it. */
export function putU32Attr(buf: Buffer, type: number, value: number, offset: number): number {
  putU32(buf, value, putAttrHeader(buf, type, 4, offset));
  return offset + 8;
}

/** An attribute holding an IPv4 address (network order) given as a number; returns the offset after it. */
export function putIpv4Attr(buf: Buffer, type: number, value: number, offset: number): number {
  putU32BE(buf, value, putAttrHeader(buf, type, 4, offset));
  return offset + 8;
}

/** Writes struct nlmsghdr at `offset`. */
export function putHeader(
  buf: Buffer,
  offset: number,
  length: number,
  type: number,
  flags: number,
  seq: number,
  port: number,
): void {
  putU32(buf, length, offset);
  putU16(buf, type, offset + 4);
  putU16(buf, flags, offset + 6);
  putU32(buf, seq, offset + 8);
  putU32(buf, port, offset + 12);
}

/** A zero-filled buffer of `length` bytes (from Node's pool when small: no allocation of its own). */
export function zeroed(length: number): Buffer {
  return Buffer.allocUnsafe(length).fill(0);
}
