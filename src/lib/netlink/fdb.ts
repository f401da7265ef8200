/**
 * VXLAN forwarding database (FDB) entries: AF_BRIDGE neighbours with NTF_SELF
 * on the VXLAN device itself, the equivalent of
 * `bridge fdb append 00:00:00:00:00:00 dev vxlan-tunnel dst <ip> self permanent`.
 * Several dsts can share the zero MAC (head-end replication), hence APPEND.
 */
import netlink from 'netlink';
import type { rt } from 'netlink';
import { InvalidArgumentError } from '../errors.js';
import { isErrno } from './errors.js';
import { assertIpv4, ipv4ToBuffer, ipv4Value, macToBuffer, ZERO_MAC } from './ip.js';
import { attrSpace, putAttrHeader, putIpv4Attr, putS32, putU16, zeroed } from './wire.js';
import { fdbDumpRequest, readFdb } from './dump-read.js';
import { AF_BRIDGE, DUMP, type EncodedWrite, NLM_F, type NetlinkSession } from './session.js';
import type { FdbEntry } from './types.js';

/** FDB entries of one device (the dump is filtered here: the kernel returns every port's). */
export async function listFdb(s: NetlinkSession, linkIndex: number): Promise<FdbEntry[]> {
  // Read field by field (dump-read.ts), not through the package's generic decoder: a watched driver
  // dumps its FDB as often as every 2 s.
  const [msgs] = await s.run(
    async () => `list FDB entries of ${await s.linkLabel(linkIndex)}`,
    () => s.sock.socket.request(netlink.rt.MessageType.GETNEIGH, fdbDumpRequest(linkIndex), s.opts(DUMP)),
  );
  const out: FdbEntry[] = [];
  for (const m of msgs) {
    const e = readFdb(m.data, linkIndex);
    if (e) out.push(e);
  }
  return out;
}

/**
 * A destination must be an address: the kernel reads 0.0.0.0 as "any", so
 * deleting (zero MAC, 0.0.0.0) would remove every remote of the device.
 */
function assertFdbDst(dst: string): void {
  assertIpv4(dst, 'FDB destination');
  if (dst === '0.0.0.0')
    throw new InvalidArgumentError(
      'invalid FDB destination "0.0.0.0": the kernel reads it as every destination; give a unicast address',
    );
}

/** The RTM_NEWNEIGH (append) or RTM_DELNEIGH header and attributes for (mac, dst) on the device. */
function fdbMessage(
  linkIndex: number,
  dst: string,
  mac: string,
  add: boolean,
): { data: rt.NeighborMessage['data']; attrs: rt.NeighborAttrs } {
  assertFdbDst(dst);
  const attrs = { lladdr: macToBuffer(mac), dst: ipv4ToBuffer(dst) };
  return add
    ? {
        data: {
          family: AF_BRIDGE,
          ifindex: linkIndex,
          state: { permanent: true, noarp: true },
          flags: { self: true },
        },
        attrs,
      }
    : { data: { family: AF_BRIDGE, ifindex: linkIndex, flags: { self: true } }, attrs };
}

const NDA_DST = 1;
const NDA_LLADDR = 2;
const NUD_NOARP = 0x40;
const NUD_PERMANENT = 0x80;
const NTF_SELF = 0x02;
/** struct ndmsg, then NDA_LLADDR (6 bytes, padded to 8) and NDA_DST (4 bytes). */
const FDB_BODY = 12 + attrSpace(6) + attrSpace(4);

/**
 * appendFdb / deleteFdb encoded for a batch (NetlinkSession.writeBatch), the
 * bytes fdbMessage's request holds, written straight into one buffer (wire.ts);
 * throws on invalid input, as the single requests do.
 */
export function encodeFdb(linkIndex: number, dst: string, mac: string, add: boolean): EncodedWrite {
  assertFdbDst(dst);
  const lladdr = macToBuffer(mac);
  const body = zeroed(FDB_BODY);
  body[0] = AF_BRIDGE;
  putS32(body, linkIndex, 4);
  if (add) putU16(body, NUD_PERMANENT | NUD_NOARP, 8);
  body[10] = NTF_SELF;
  lladdr.copy(body, putAttrHeader(body, NDA_LLADDR, 6, 12));
  putIpv4Attr(body, NDA_DST, ipv4Value(dst), 12 + attrSpace(6));
  return {
    type: add ? netlink.rt.MessageType.NEWNEIGH : netlink.rt.MessageType.DELNEIGH,
    flags: add ? NLM_F.CREATE | NLM_F.APPEND : 0,
    body,
  };
}

/**
 * Appends (mac, dst) to the device's FDB with NLM_F_CREATE|NLM_F_APPEND,
 * state PERMANENT|NOARP, flag SELF. Appending an existing pair is a no-op.
 */
export async function appendFdb(
  s: NetlinkSession,
  linkIndex: number,
  dst: string,
  mac: string = ZERO_MAC,
): Promise<void> {
  const { data, attrs } = fdbMessage(linkIndex, dst, mac, true);
  await s.run(
    async () => `add FDB entry ${mac} dst ${dst} on ${await s.linkLabel(linkIndex)}`,
    () => s.sock.newNeighbor(data, attrs, s.opts(NLM_F.CREATE | NLM_F.APPEND)),
    'pipelined',
  );
}

/**
 * Deletes the (mac, dst) entry; an absent one is fine. The kernel answers 0
 * when the MAC exists without that dst, and ENOENT when the MAC is gone.
 */
export async function deleteFdb(
  s: NetlinkSession,
  linkIndex: number,
  dst: string,
  mac: string = ZERO_MAC,
): Promise<void> {
  const { data, attrs } = fdbMessage(linkIndex, dst, mac, false);
  try {
    await s.run(
      async () => `delete FDB entry ${mac} dst ${dst} on ${await s.linkLabel(linkIndex)}`,
      () => s.sock.delNeighbor(data, attrs, s.opts()),
      'pipelined',
    );
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
