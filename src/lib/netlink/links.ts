/**
 * Links (RTM_*LINK): read a device by name or index, create a VXLAN device,
 * delete, set up/down and MTU. The VXLAN parameters travel nested in
 * IFLA_LINKINFO { IFLA_INFO_KIND "vxlan", IFLA_INFO_DATA { IFLA_VXLAN_* } },
 * built with the package's formatInfo/formatVxlan and serialised through an
 * AttrStream, because LinkAttrs.linkinfo is typed as a raw Buffer.
 */
import netlink from 'netlink';
import type { rt } from 'netlink';
import { CabledError, InvalidArgumentError } from '../errors.js';
import { isErrno } from './errors.js';
import { assertIpv4, bufferToIpv4, bufferToMac, ipv4ToBuffer } from './ip.js';
import { NLM_F, type NetlinkSession } from './session.js';
import type { LinkInfo, VxlanInfo, VxlanLinkSpec } from './types.js';

const { ifla, AttrStream } = netlink;

function serialise(data: ReturnType<typeof ifla.formatInfo>): Buffer {
  const out = new AttrStream();
  out.emit(data);
  return Buffer.concat(out.bufs);
}

function parseVxlan(data: Buffer | undefined): VxlanInfo | undefined {
  if (!data) return undefined;
  const v = ifla.parseVxlan(data);
  return {
    vni: v.id ?? 0,
    port: v.port && v.port.length === 2 ? v.port.readUInt16BE(0) : 0,
    localIp: bufferToIpv4(v.local),
    underlayIndex: v.link || undefined,
    learning: Boolean(v.learning),
  };
}

/** Plain view of one RTM_NEWLINK message. */
export function toLinkInfo(msg: rt.LinkMessage): LinkInfo {
  const info = msg.attrs.linkinfo ? ifla.parseInfo(msg.attrs.linkinfo) : undefined;
  const link: LinkInfo = {
    index: msg.data.index ?? 0,
    name: msg.attrs.ifname ?? '',
    kind: info?.kind,
    up: Boolean(msg.data.flags?.up),
    mtu: msg.attrs.mtu ?? 0,
    mac: bufferToMac(msg.attrs.address),
  };
  if (info?.kind === 'vxlan') link.vxlan = parseVxlan(info.data);
  return link;
}

function linkQuery(ref: string | number): { data: { index?: number }; attrs: { ifname?: string }; label: string } {
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref <= 0) throw new InvalidArgumentError(`invalid ifindex ${ref}`);
    return { data: { index: ref }, attrs: {}, label: `ifindex ${ref}` };
  }
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 15) {
    throw new InvalidArgumentError(`invalid device name ${JSON.stringify(ref)}: 1 to 15 characters`);
  }
  return { data: {}, attrs: { ifname: ref }, label: ref };
}

/** The link, or undefined (ENODEV). */
export async function getLink(s: NetlinkSession, ref: string | number): Promise<LinkInfo | undefined> {
  const q = linkQuery(ref);
  try {
    const [msg] = await s.run(
      () => `get link ${q.label}`,
      () => s.sock.getLink(q.data, q.attrs, s.opts()),
    );
    return msg ? toLinkInfo(msg) : undefined;
  } catch (err) {
    if (isErrno(err, 'ENODEV')) return undefined;
    throw err;
  }
}

/** Every link in the namespace. */
export async function listLinks(s: NetlinkSession): Promise<LinkInfo[]> {
  const msgs = await s.run(
    () => 'list links',
    () => s.sock.getLinks({}, {}, s.opts()),
  );
  return msgs.map(toLinkInfo);
}

function checkVxlanSpec(spec: VxlanLinkSpec): void {
  linkQuery(spec.name);
  if (!Number.isInteger(spec.vni) || spec.vni < 0 || spec.vni > 0xffffff) {
    throw new InvalidArgumentError(`invalid VNI ${spec.vni} for ${spec.name}: 0 to 16777215`);
  }
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) {
    throw new InvalidArgumentError(`invalid UDP port ${spec.port} for ${spec.name}: 1 to 65535`);
  }
  assertIpv4(spec.localIp, `local IP for ${spec.name}`);
  if (spec.mtu !== undefined) checkMtu(spec.mtu, spec.name);
}

function checkMtu(mtu: number, label: string): void {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new InvalidArgumentError(`invalid MTU ${mtu} for ${label}: 68 to 65535`);
  }
}

/** Creates a VXLAN device (NLM_F_CREATE|NLM_F_EXCL, learning off) and returns it. */
export async function createVxlan(s: NetlinkSession, spec: VxlanLinkSpec): Promise<LinkInfo> {
  checkVxlanSpec(spec);
  const port = Buffer.alloc(2);
  port.writeUInt16BE(spec.port);
  const vxlan = serialise(
    ifla.formatVxlan({
      id: spec.vni,
      port,
      local: ipv4ToBuffer(spec.localIp),
      learning: 0,
      ...(spec.underlayIndex ? { link: spec.underlayIndex } : {}),
    }),
  );
  const linkinfo = serialise(ifla.formatInfo({ kind: 'vxlan', data: vxlan }));
  const what = () => `create VXLAN device ${spec.name} (vni ${spec.vni}, port ${spec.port}, local ${spec.localIp})`;
  await s.run(what, () =>
    s.sock.newLink(
      {},
      { ifname: spec.name, linkinfo, ...(spec.mtu ? { mtu: spec.mtu } : {}) },
      s.opts(NLM_F.CREATE | NLM_F.EXCL),
    ),
  );
  const link = await getLink(s, spec.name);
  if (!link) throw new CabledError(`${what()}: the kernel acknowledged it but does not list it`);
  return link;
}

/** Deletes a link; an absent one is fine. */
export async function deleteLink(s: NetlinkSession, ref: string | number): Promise<void> {
  const q = linkQuery(ref);
  try {
    await s.run(
      () => `delete link ${q.label}`,
      () => s.sock.delLink(q.data, q.attrs, s.opts()),
    );
  } catch (err) {
    if (!isErrno(err, 'ENODEV')) throw err;
  }
}

/** Sets IFF_UP (or clears it). Clearing it flushes the IPv4 routes through the device. */
export async function setLinkUp(s: NetlinkSession, index: number, up: boolean): Promise<void> {
  linkQuery(index);
  await s.run(
    async () => `set link ${await s.linkLabel(index)} ${up ? 'up' : 'down'}`,
    () => s.sock.setLink({ index, flags: up ? { up: true } : {}, change: { up: true } }, {}, s.opts()),
  );
}

/** Sets the MTU. */
export async function setLinkMtu(s: NetlinkSession, index: number, mtu: number): Promise<void> {
  linkQuery(index);
  checkMtu(mtu, `ifindex ${index}`);
  await s.run(
    async () => `set MTU ${mtu} on ${await s.linkLabel(index)}`,
    () => s.sock.setLink({ index }, { mtu }, s.opts()),
  );
}
