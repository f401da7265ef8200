/**
 * Reading the two dumps a status reading makes (the overlay table's routes,
 * the device's FDB entries) field by field out of each message's bytes. The
 * package's generic decoder builds an object per attribute, a Buffer per
 * value and wraps every read in argument checks: ~15 MB of garbage per
 * reading of 1000 routes and 1000 FDB entries, which a watched VXLAN driver
 * made every 2 s (issue 15, P4: its heap grew by that much). What is read
 * here is what listRoutes and listFdb used to read through the package:
 * dump-read.test.ts reads back messages the package's encoder wrote, and the
 * adapter's integration tests compare the results with the kernel's state.
 */
import netlink from 'netlink';
import { ipv4At, macAt } from './ip.js';
import type { FdbEntry, RouteInfo } from './types.js';
import { getU16, getU32, putS32, RTA } from './wire.js';

/** Bytes of struct rtmsg and of struct ndmsg: their attributes follow. */
const RTMSG_LEN = 12;
const NDMSG_LEN = 12;
const NLA_TYPE_MASK = 0x3fff;

const NDA_DST = 1;
const NDA_LLADDR = 2;
const NUD_PERMANENT = 0x80;
const NTF_SELF = 0x02;

/**
 * Calls `fn(type, offset, length)` for each attribute from `from` on (the
 * payload's offset and length); stops at a malformed length rather than
 * reading past the message.
 */
function forEachAttr(b: Uint8Array, from: number, fn: (type: number, at: number, len: number) => void): void {
  let o = from;
  while (o + 4 <= b.length) {
    const len = getU16(b, o);
    if (len < 4 || o + len > b.length) return;
    fn(getU16(b, o + 2) & NLA_TYPE_MASK, o + 4, len - 4);
    o += (len + 3) & ~3;
  }
}

/**
 * The RTM_GETROUTE dump request of IPv4 routes; `headerTable` is rtm_table (tables from 256 on are only in
 * RTA_TABLE: the reader filters, the kernel dumps every table).
 */
export function routeDumpRequest(headerTable: number): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b[0] = 2; // AF_INET
  b[4] = headerTable;
  return b;
}

/** The RTM_GETNEIGH dump request of AF_BRIDGE neighbours (FDB entries). */
export function fdbDumpRequest(linkIndex: number): Buffer {
  const b = Buffer.alloc(NDMSG_LEN);
  b[0] = 7; // AF_BRIDGE
  putS32(b, linkIndex, 4);
  return b;
}

/** One RTM_NEWROUTE message's payload as a RouteInfo, or undefined for a family other than IPv4. */
export function readRoute(b: Uint8Array): RouteInfo | undefined {
  if (b.length < RTMSG_LEN || b[0] !== 2) return undefined;
  const dstLen = b[1]!;
  let table = b[4]!;
  let dst = '0.0.0.0';
  let gateway: string | undefined;
  let oif: number | undefined;
  let src: string | undefined;
  let priority: number | undefined;
  forEachAttr(b, RTMSG_LEN, (type, at, len) => {
    if (type === RTA.TABLE && len >= 4) table = getU32(b, at);
    else if (type === RTA.DST && len === 4) dst = ipv4At(b, at);
    else if (type === RTA.GATEWAY && len === 4) gateway = ipv4At(b, at);
    else if (type === RTA.OIF && len >= 4) oif = getU32(b, at);
    else if (type === RTA.PREFSRC && len === 4) src = ipv4At(b, at);
    else if (type === RTA.PRIORITY && len >= 4) priority = getU32(b, at);
  });
  return {
    dst: `${dst}/${dstLen}`,
    gateway,
    oif,
    table,
    src,
    priority,
    type: routeTypeName(b[7]!),
    protocol: b[5]!,
  };
}

/** One RTM_NEWNEIGH message's payload as an FdbEntry when it is an AF_BRIDGE entry of `linkIndex` with a MAC. */
export function readFdb(b: Uint8Array, linkIndex: number): FdbEntry | undefined {
  if (b.length < NDMSG_LEN || b[0] !== 7) return undefined;
  const ifindex = getU32(b, 4) | 0;
  if (ifindex !== linkIndex) return undefined;
  let lladdr: string | undefined;
  let dst: string | undefined;
  forEachAttr(b, NDMSG_LEN, (type, at, len) => {
    if (type === NDA_LLADDR && len === 6) lladdr = macAt(b, at);
    else if (type === NDA_DST && len === 4) dst = ipv4At(b, at);
  });
  if (!lladdr) return undefined;
  return {
    linkIndex,
    mac: lladdr,
    dst,
    permanent: (getU16(b, 8) & NUD_PERMANENT) !== 0,
    self: (b[10]! & NTF_SELF) !== 0,
  };
}

const ROUTE_TYPES = new Map<number, string>();

/** Lower-case RTN_* name, as toRouteInfo gives it ("unicast", "blackhole", ...). */
function routeTypeName(type: number): string {
  let name = ROUTE_TYPES.get(type);
  if (name === undefined) {
    name = ((netlink.rt.RouteType as unknown as Record<number, string>)[type] ?? String(type)).toLowerCase();
    ROUTE_TYPES.set(type, name);
  }
  return name;
}
