/**
 * IPv4 routes (RTM_*ROUTE): list one table, replace, delete, and the two
 * lookups used for autodetection (`ip route get <ip>` and the main table's
 * default route). Tables >= 256 go in RTA_TABLE only (rtm_table = UNSPEC),
 * like iproute2 does; we always send RTA_TABLE.
 */
import netlink from 'netlink';
import type { rt } from 'netlink';
import { InvalidArgumentError } from '../errors.js';
import { isErrno } from './errors.js';
import { assertIpv4, bufferToIpv4, ipv4ToBuffer, ipv4Value, parseCidr } from './ip.js';
import { putIpv4Attr, putU32Attr, RTA, zeroed } from './wire.js';
import { readRoute, routeDumpRequest } from './dump-read.js';
import { AF_INET, DUMP, type EncodedWrite, NLM_F, type NetlinkSession } from './session.js';
import type { RouteInfo, RouteLookup, RouteMatch, RouteSpec } from './types.js';

const RT_TABLE_MAIN = 254;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_NOWHERE = 255;
const RTPROT_STATIC = 4;

function checkTable(table: number): void {
  if (!Number.isInteger(table) || table < 1 || table > 0xffffffff || table === 255) {
    throw new InvalidArgumentError(`invalid routing table ${table}: 1 to 4294967295, not 255 (local)`);
  }
}

function headerTable(table: number): number {
  return table < 256 ? table : 0;
}

function describeRoute(
  r: { dst: string; gateway?: string; src?: string; priority?: number; table: number },
  dev?: string,
): string {
  return (
    `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${dev ? ` dev ${dev}` : ''}` +
    `${r.src ? ` src ${r.src}` : ''}${r.priority !== undefined ? ` metric ${r.priority}` : ''} table ${r.table}`
  );
}

/** IPv4 routes of `table` (filtered here: the kernel dumps every table). */
export async function listRoutes(s: NetlinkSession, table: number): Promise<RouteInfo[]> {
  checkTable(table);
  // Read field by field (dump-read.ts), not through the package's generic decoder: a watched driver
  // dumps its table as often as every 2 s.
  const [msgs] = await s.run(
    () => `list routes of table ${table}`,
    () => s.sock.socket.request(netlink.rt.MessageType.GETROUTE, routeDumpRequest(headerTable(table)), s.opts(DUMP)),
  );
  const out: RouteInfo[] = [];
  for (const m of msgs) {
    const r = readRoute(m.data);
    if (r?.table === table) out.push(r);
  }
  return out;
}

type RouteParts = { data: rt.RouteMessage['data']; attrs: rt.RouteAttrs };

/** The RTM_NEWROUTE message of `ip route replace`; throws on invalid input. */
function replaceRouteMessage(spec: RouteSpec): RouteParts {
  const { address, prefixLength } = parseCidr(spec.dst, 'route destination', { network: true });
  checkTable(spec.table);
  if (spec.gateway !== undefined) assertIpv4(spec.gateway, 'route gateway');
  if (spec.src !== undefined) assertIpv4(spec.src, 'route source');
  const attrs: rt.RouteAttrs = { dst: ipv4ToBuffer(address), oif: spec.oif, table: spec.table };
  if (spec.gateway) attrs.gateway = ipv4ToBuffer(spec.gateway);
  if (spec.src) attrs.prefsrc = ipv4ToBuffer(spec.src);
  if (spec.priority !== undefined) attrs.priority = spec.priority;
  const data: rt.RouteMessage['data'] = {
    family: AF_INET,
    dstLen: prefixLength,
    table: headerTable(spec.table),
    protocol: RTPROT_STATIC,
    scope: spec.gateway ? 0 : RT_SCOPE_LINK,
    type: 'UNICAST',
  };
  return { data, attrs };
}

/** The RTM_DELROUTE message for a match; throws on invalid input. */
function deleteRouteMessage(match: RouteMatch): RouteParts {
  const { address, prefixLength } = parseCidr(match.dst, 'route destination', { network: true });
  checkTable(match.table);
  if (match.gateway !== undefined) assertIpv4(match.gateway, 'route gateway');
  const attrs: rt.RouteAttrs = { dst: ipv4ToBuffer(address), table: match.table };
  if (match.gateway) attrs.gateway = ipv4ToBuffer(match.gateway);
  if (match.oif !== undefined) attrs.oif = match.oif;
  if (match.priority !== undefined) attrs.priority = match.priority;
  // scope NOWHERE and type/protocol 0 = "any", as `ip route del` sends.
  const data: rt.RouteMessage['data'] = {
    family: AF_INET,
    dstLen: prefixLength,
    table: headerTable(match.table),
    scope: RT_SCOPE_NOWHERE,
  };
  return { data, attrs };
}

const RTN_UNICAST = 1;

/**
 * replaceRoute / deleteRoute encoded for a batch (NetlinkSession.writeBatch):
 * the bytes replaceRouteMessage's / deleteRouteMessage's request holds, same
 * checks, same attributes in the same order, written straight into one buffer
 * (wire.ts); throws on invalid input.
 */
export function encodeRoute(route: RouteSpec | RouteMatch, replace: boolean): EncodedWrite {
  const { address, prefixLength } = parseCidr(route.dst, 'route destination', { network: true });
  checkTable(route.table);
  if (route.gateway !== undefined) assertIpv4(route.gateway, 'route gateway');
  const src = replace ? (route as RouteSpec).src : undefined;
  if (replace && src !== undefined) assertIpv4(src, 'route source');
  const gateway = route.gateway ? ipv4Value(route.gateway) : undefined;
  const prefsrc = src ? ipv4Value(src) : undefined;
  const { oif, priority } = route;
  const attrs =
    1 + // dst
    1 + // table
    (oif !== undefined ? 1 : 0) +
    (gateway !== undefined ? 1 : 0) +
    (prefsrc !== undefined ? 1 : 0) +
    (priority !== undefined ? 1 : 0);
  const body = zeroed(12 + attrs * 8);
  body[0] = AF_INET;
  body[1] = prefixLength;
  body[4] = headerTable(route.table);
  if (replace) {
    body[5] = RTPROT_STATIC;
    body[6] = route.gateway ? 0 : RT_SCOPE_LINK;
    body[7] = RTN_UNICAST;
  } else body[6] = RT_SCOPE_NOWHERE;
  let at = putIpv4Attr(body, RTA.DST, ipv4Value(address), 12);
  if (replace) {
    // replaceRouteMessage's order: dst, oif, table, gateway, prefsrc, priority.
    if (oif !== undefined) at = putU32Attr(body, RTA.OIF, oif, at);
    at = putU32Attr(body, RTA.TABLE, route.table, at);
    if (gateway !== undefined) at = putIpv4Attr(body, RTA.GATEWAY, gateway, at);
    if (prefsrc !== undefined) at = putIpv4Attr(body, RTA.PREFSRC, prefsrc, at);
  } else {
    // deleteRouteMessage's order: dst, table, gateway, oif, priority.
    at = putU32Attr(body, RTA.TABLE, route.table, at);
    if (gateway !== undefined) at = putIpv4Attr(body, RTA.GATEWAY, gateway, at);
    if (oif !== undefined) at = putU32Attr(body, RTA.OIF, oif, at);
  }
  if (priority !== undefined) putU32Attr(body, RTA.PRIORITY, priority, at);
  return {
    type: replace ? netlink.rt.MessageType.NEWROUTE : netlink.rt.MessageType.DELROUTE,
    flags: replace ? NLM_F.CREATE | NLM_F.REPLACE : 0,
    body,
  };
}

/** How a route write is named in errors: "10.2.0.0/16 via 241.0.0.2 dev vxlan-tunnel metric 100 table 100". */
export async function describeRouteWrite(s: NetlinkSession, r: RouteSpec | RouteMatch): Promise<string> {
  return describeRoute(r, r.oif !== undefined ? await s.linkLabel(r.oif) : undefined);
}

/** `ip route replace`: NLM_F_CREATE|NLM_F_REPLACE, protocol static. */
export async function replaceRoute(s: NetlinkSession, spec: RouteSpec): Promise<void> {
  const { data, attrs } = replaceRouteMessage(spec);
  await s.run(
    async () => `replace route ${describeRoute(spec, await s.linkLabel(spec.oif))}`,
    () => s.sock.newRoute(data, attrs, s.opts(NLM_F.CREATE | NLM_F.REPLACE)),
    'pipelined',
  );
}

/** Deletes the first route matching; fields left out match any. An absent route is fine. */
export async function deleteRoute(s: NetlinkSession, match: RouteMatch): Promise<void> {
  const { data, attrs } = deleteRouteMessage(match);
  try {
    await s.run(
      async () =>
        `delete route ${describeRoute(match, match.oif !== undefined ? await s.linkLabel(match.oif) : undefined)}`,
      () => s.sock.delRoute(data, attrs, s.opts()),
      'pipelined',
    );
  } catch (err) {
    if (!isErrno(err, 'ESRCH', 'ENOENT')) throw err;
  }
}

/** `ip route get <ip>` (RTM_GETROUTE, no packet is sent); undefined when unreachable. */
export async function routeTo(s: NetlinkSession, ip: string): Promise<RouteLookup | undefined> {
  assertIpv4(ip, 'route lookup destination');
  try {
    const [m] = await s.run(
      () => `look up route to ${ip}`,
      () => s.sock.getRoute({ family: AF_INET, dstLen: 32 }, { dst: ipv4ToBuffer(ip) }, s.opts()),
    );
    if (!m || m.attrs.oif === undefined) return undefined;
    return {
      oif: m.attrs.oif,
      src: bufferToIpv4(m.attrs.prefsrc),
      gateway: bufferToIpv4(m.attrs.gateway),
      table: m.attrs.table ?? m.data.table ?? 0,
    };
  } catch (err) {
    if (isErrno(err, 'ENETUNREACH', 'EHOSTUNREACH')) return undefined;
    throw err;
  }
}

/** The main table's unicast default route with the lowest metric, or undefined. */
export async function getDefaultRoute(s: NetlinkSession): Promise<RouteInfo | undefined> {
  const defaults = (await listRoutes(s, RT_TABLE_MAIN)).filter((r) => r.dst === '0.0.0.0/0' && r.type === 'unicast');
  defaults.sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
  return defaults[0];
}
