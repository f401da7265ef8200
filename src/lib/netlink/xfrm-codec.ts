/**
 * Pure encode/decode of the NETLINK_XFRM policy messages cabled uses, laid
 * out as in linux/xfrm.h (checked against the kernel headers and a live
 * kernel by the tests): xfrm_selector (56 bytes), xfrm_userpolicy_info (168),
 * xfrm_userpolicy_id (64), xfrm_user_tmpl (64), xfrm_mark (8), and the head of
 * xfrm_usersa_info (224) for listing SAs. Integers are
 * host order except the ports (big-endian) and addresses (network order).
 * No kernel access; the socket side is xfrm.ts.
 */
import netlink from 'netlink';
import { endianness } from 'node:os';
import { InvalidArgumentError } from '../errors.js';
import { formatCidr, ipv4ToBuffer, parseCidr } from './ip.js';
import type { XfrmDir, XfrmPolicy, XfrmPolicyKey, XfrmProto, XfrmSelector, XfrmState, XfrmTemplate } from './types.js';

/** XFRM_MSG_* message types. */
export const XFRM_MSG = { NEWSA: 16, GETSA: 18, NEWPOLICY: 19, DELPOLICY: 20, GETPOLICY: 21, UPDPOLICY: 25 } as const;
/** XFRMA_* attribute types read here. */
export const XFRMA = { TMPL: 5, MARK: 21 } as const;
/** Struct sizes on Linux (x86-64 and other 64-bit ABIs). */
export const XFRM_SIZES = {
  selector: 56,
  lifetimeCfg: 64,
  lifetimeCur: 32,
  userpolicyInfo: 168,
  userpolicyId: 64,
  userTmpl: 64,
  mark: 8,
  usersaInfo: 224,
} as const;
/** XFRM_INF: "no limit" in xfrm_lifetime_cfg. */
export const XFRM_INF = 0xffff_ffff_ffff_ffffn;
/** XFRM_POLICY_ALLOW / XFRM_POLICY_BLOCK. */
export const XFRM_ACTION = { allow: 0, block: 1 } as const;

const AF_INET = 2;
const AF_INET6 = 10;
const DIRS: readonly XfrmDir[] = ['in', 'out', 'fwd'];
const PROTO_NAMES: Record<number, Exclude<XfrmProto, number>> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'ipv6-icmp',
  132: 'sctp',
};
/** Protocols whose selector ports are ports (tcp, udp, dccp, sctp, udplite). */
const PORT_PROTOS = new Set([6, 17, 33, 132, 136]);
const MODE_NAMES: Record<number, XfrmTemplate['mode']> = { 0: 'transport', 1: 'tunnel', 4: 'beet' };

/** `xfrm_selector` with addresses as 16-byte network-order buffers (IPv4 in the first 4). */
export interface RawSelector {
  daddr: Buffer;
  saddr: Buffer;
  dport: number;
  dportMask: number;
  sport: number;
  sportMask: number;
  family: number;
  prefixlenD: number;
  prefixlenS: number;
  proto: number;
  ifindex: number;
  /** `__kernel_uid32_t user`: compared when the kernel looks a policy up by key, never when matching packets. */
  user: number;
}

/** `xfrm_userpolicy_info`. */
export interface RawPolicyInfo {
  sel: RawSelector;
  /** xfrm_lifetime_cfg, 8 x u64 in field order. */
  lft: bigint[];
  /** xfrm_lifetime_cur, 4 x u64. */
  curlft: bigint[];
  priority: number;
  index: number;
  dir: number;
  action: number;
  flags: number;
  share: number;
}

/** `xfrm_user_tmpl` fields cabled looks at. */
export interface RawTemplate {
  daddr: Buffer;
  spi: number;
  proto: number;
  family: number;
  saddr: Buffer;
  reqid: number;
  mode: number;
}

/** A policy message payload: the info struct plus the attributes read here. */
export interface RawPolicyMessage {
  info: RawPolicyInfo;
  templates: RawTemplate[];
  mark?: { value: number; mask: number };
}

const LE = endianness() === 'LE';
const w16 = (b: Buffer, v: number, o: number) => (LE ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
const r16 = (b: Buffer, o: number) => (LE ? b.readUInt16LE(o) : b.readUInt16BE(o));
const w32 = (b: Buffer, v: number, o: number) => (LE ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
const r32 = (b: Buffer, o: number) => (LE ? b.readUInt32LE(o) : b.readUInt32BE(o));
const ws32 = (b: Buffer, v: number, o: number) => (LE ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o));
const rs32 = (b: Buffer, o: number) => (LE ? b.readInt32LE(o) : b.readInt32BE(o));
const w64 = (b: Buffer, v: bigint, o: number) => (LE ? b.writeBigUInt64LE(v, o) : b.writeBigUInt64BE(v, o));
const r64 = (b: Buffer, o: number) => (LE ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
const addr16 = (a: Buffer) => Buffer.concat([a, Buffer.alloc(16)]).subarray(0, 16);

function needs(buf: Buffer, size: number, what: string): void {
  if (buf.length < size) throw new Error(`truncated ${what}: ${buf.length} bytes, need ${size}`);
}

/** Encodes an `xfrm_selector` (56 bytes). */
export function encodeSelector(s: RawSelector): Buffer {
  const b = Buffer.alloc(XFRM_SIZES.selector);
  addr16(s.daddr).copy(b, 0);
  addr16(s.saddr).copy(b, 16);
  b.writeUInt16BE(s.dport, 32);
  b.writeUInt16BE(s.dportMask, 34);
  b.writeUInt16BE(s.sport, 36);
  b.writeUInt16BE(s.sportMask, 38);
  w16(b, s.family, 40);
  b.writeUInt8(s.prefixlenD, 42);
  b.writeUInt8(s.prefixlenS, 43);
  b.writeUInt8(s.proto, 44);
  ws32(b, s.ifindex, 48);
  w32(b, s.user, 52);
  return b;
}

/** Decodes an `xfrm_selector` at the start of `b`. */
export function decodeSelector(b: Buffer): RawSelector {
  needs(b, XFRM_SIZES.selector, 'xfrm_selector');
  return {
    daddr: Buffer.from(b.subarray(0, 16)),
    saddr: Buffer.from(b.subarray(16, 32)),
    dport: b.readUInt16BE(32),
    dportMask: b.readUInt16BE(34),
    sport: b.readUInt16BE(36),
    sportMask: b.readUInt16BE(38),
    family: r16(b, 40),
    prefixlenD: b.readUInt8(42),
    prefixlenS: b.readUInt8(43),
    proto: b.readUInt8(44),
    ifindex: rs32(b, 48),
    user: r32(b, 52),
  };
}

/** Encodes an `xfrm_userpolicy_info` (168 bytes). */
export function encodePolicyInfo(p: RawPolicyInfo): Buffer {
  const b = Buffer.alloc(XFRM_SIZES.userpolicyInfo);
  encodeSelector(p.sel).copy(b, 0);
  for (let i = 0; i < 8; i++) w64(b, p.lft[i] ?? 0n, 56 + 8 * i);
  for (let i = 0; i < 4; i++) w64(b, p.curlft[i] ?? 0n, 120 + 8 * i);
  w32(b, p.priority, 152);
  w32(b, p.index, 156);
  b.writeUInt8(p.dir, 160);
  b.writeUInt8(p.action, 161);
  b.writeUInt8(p.flags, 162);
  b.writeUInt8(p.share, 163);
  return b;
}

/** Decodes an `xfrm_userpolicy_info` at the start of `b`. */
export function decodePolicyInfo(b: Buffer): RawPolicyInfo {
  needs(b, XFRM_SIZES.userpolicyInfo, 'xfrm_userpolicy_info');
  return {
    sel: decodeSelector(b),
    lft: Array.from({ length: 8 }, (_, i) => r64(b, 56 + 8 * i)),
    curlft: Array.from({ length: 4 }, (_, i) => r64(b, 120 + 8 * i)),
    priority: r32(b, 152),
    index: r32(b, 156),
    dir: b.readUInt8(160),
    action: b.readUInt8(161),
    flags: b.readUInt8(162),
    share: b.readUInt8(163),
  };
}

/** Encodes an `xfrm_userpolicy_id` (64 bytes): the key of GETPOLICY / DELPOLICY. */
export function encodePolicyId(sel: RawSelector, dir: number, index = 0): Buffer {
  const b = Buffer.alloc(XFRM_SIZES.userpolicyId);
  encodeSelector(sel).copy(b, 0);
  w32(b, index, 56);
  b.writeUInt8(dir, 60);
  return b;
}

/** Encodes an `xfrm_user_tmpl` (64 bytes; algorithm masks "all", not optional). */
export function encodeTemplate(t: RawTemplate): Buffer {
  const b = Buffer.alloc(XFRM_SIZES.userTmpl);
  addr16(t.daddr).copy(b, 0);
  b.writeUInt32BE(t.spi, 16);
  b.writeUInt8(t.proto, 20);
  w16(b, t.family, 24);
  addr16(t.saddr).copy(b, 28);
  w32(b, t.reqid, 44);
  b.writeUInt8(t.mode, 48);
  for (const o of [52, 56, 60]) w32(b, 0xffffffff, o);
  return b;
}

function decodeTemplate(b: Buffer): RawTemplate {
  return {
    daddr: Buffer.from(b.subarray(0, 16)),
    spi: b.readUInt32BE(16),
    proto: b.readUInt8(20),
    family: r16(b, 24),
    saddr: Buffer.from(b.subarray(28, 44)),
    reqid: r32(b, 44),
    mode: b.readUInt8(48),
  };
}

/** A NEWPOLICY / UPDPOLICY payload: info, then XFRMA_TMPL and XFRMA_MARK when given. */
export function encodePolicyMessage(m: RawPolicyMessage): Buffer {
  const parts: Uint8Array[] = [encodePolicyInfo(m.info)];
  if (m.templates.length) {
    parts.push(...netlink.formatAttribute({ type: XFRMA.TMPL, data: Buffer.concat(m.templates.map(encodeTemplate)) }));
  }
  if (m.mark) {
    const mark = Buffer.alloc(XFRM_SIZES.mark);
    w32(mark, m.mark.value, 0);
    w32(mark, m.mark.mask, 4);
    parts.push(...netlink.formatAttribute({ type: XFRMA.MARK, data: mark }));
  }
  return Buffer.concat(parts);
}

/** Decodes a NEWPOLICY payload (a dump entry or a GETPOLICY answer). */
export function decodePolicyMessage(data: Buffer): RawPolicyMessage {
  const info = decodePolicyInfo(data);
  const out: RawPolicyMessage = { info, templates: [] };
  netlink.parseAttributes(data.subarray(XFRM_SIZES.userpolicyInfo), (attr) => {
    if (attr.type === XFRMA.TMPL) {
      for (let o = 0; o + XFRM_SIZES.userTmpl <= attr.data.length; o += XFRM_SIZES.userTmpl) {
        out.templates.push(decodeTemplate(attr.data.subarray(o, o + XFRM_SIZES.userTmpl)));
      }
    } else if (attr.type === XFRMA.MARK && attr.data.length >= XFRM_SIZES.mark) {
      out.mark = { value: r32(attr.data, 0), mask: r32(attr.data, 4) };
    }
  });
  return out;
}

/** RFC 5952 text of a 16-byte IPv6 address. */
function ipv6Text(a: Buffer): string {
  const g = Array.from({ length: 8 }, (_, i) => a.readUInt16BE(2 * i));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  const hex = g.map((x) => x.toString(16));
  return best < 0 ? hex.join(':') : `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function prefixText(family: number, a: Buffer, len: number): string {
  return family === AF_INET ? `${a[0]}.${a[1]}.${a[2]}.${a[3]}/${len}` : `${ipv6Text(a)}/${len}`;
}

function protoOf(n: number): XfrmProto {
  return PROTO_NAMES[n] ?? n;
}

/**
 * The public view of a NEWPOLICY payload, or undefined for what
 * listPolicies leaves out: per-socket policies (dir >= 3) and families other
 * than IPv4/IPv6. `tag` marks the policies cabled owns (selector `user`).
 */
export function toXfrmPolicy(m: RawPolicyMessage, tag: number): XfrmPolicy | undefined {
  const { sel } = m.info;
  const dir = DIRS[m.info.dir];
  if (!dir || (sel.family !== AF_INET && sel.family !== AF_INET6)) return undefined;
  const p: XfrmPolicy = {
    family: sel.family === AF_INET ? 'ipv4' : 'ipv6',
    dir,
    action: m.info.action === XFRM_ACTION.block ? 'block' : 'allow',
    priority: m.info.priority,
    index: m.info.index,
    src: prefixText(sel.family, sel.saddr, sel.prefixlenS),
    dst: prefixText(sel.family, sel.daddr, sel.prefixlenD),
    hasTemplates: m.templates.length > 0,
    templates: m.templates.map((t) => ({
      proto: protoOf(t.proto),
      mode: MODE_NAMES[t.mode] ?? t.mode,
      reqid: t.reqid,
    })),
    owned: sel.user === tag,
  };
  if (sel.proto) p.proto = protoOf(sel.proto);
  if (sel.sportMask) p.sport = sel.sport;
  if (sel.dportMask) p.dport = sel.dport;
  if (m.mark) p.mark = m.mark;
  return p;
}

/**
 * The identity of an SA from a NEWSA payload (xfrm_usersa_info: selector 0-56,
 * id.daddr 56, id.spi 72 (big-endian), id.proto 76, saddr 80, family 212,
 * mode 214), or undefined for families other than IPv4/IPv6.
 */
export function toXfrmState(data: Buffer): XfrmState | undefined {
  needs(data, XFRM_SIZES.usersaInfo, 'xfrm_usersa_info');
  const family = r16(data, 212);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  const addr = (at: number) => prefixText(family, data.subarray(at, at + 16), 0).replace(/\/0$/, '');
  return {
    family: family === AF_INET ? 'ipv4' : 'ipv6',
    src: addr(80),
    dst: addr(56),
    spi: data.readUInt32BE(72),
    proto: protoOf(data.readUInt8(76)),
    mode: MODE_NAMES[data.readUInt8(214)] ?? data.readUInt8(214),
  };
}

/** IPPROTO number of a selector protocol given by name or number. */
export function protoNumber(proto: XfrmProto | undefined): number {
  if (proto === undefined) return 0;
  if (typeof proto === 'number' && Number.isInteger(proto) && proto >= 0 && proto <= 255) return proto;
  const entry = Object.entries(PROTO_NAMES).find(([, name]) => name === proto);
  if (!entry)
    throw new InvalidArgumentError(
      `invalid XFRM selector protocol ${JSON.stringify(proto)}: a name (udp, tcp, ...) or 0-255`,
    );
  return Number(entry[0]);
}

/** Direction number (XFRM_POLICY_IN/OUT/FWD) of a direction name. */
export function dirNumber(dir: XfrmDir): number {
  const n = DIRS.indexOf(dir);
  if (n < 0) throw new InvalidArgumentError(`invalid XFRM policy direction ${JSON.stringify(dir)}: in, out or fwd`);
  return n;
}

/** Checks an IPv4 selector and encodes it as the kernel keys it, with `user` = `tag`. */
export function selectorFromSpec(s: XfrmSelector, tag: number): RawSelector {
  const src = parseCidr(s.src, 'XFRM selector src', { network: true });
  const dst = parseCidr(s.dst, 'XFRM selector dst', { network: true });
  const proto = protoNumber(s.proto);
  const port = (v: number | undefined, what: string): number => {
    if (v === undefined) return 0;
    if (!PORT_PROTOS.has(proto))
      throw new InvalidArgumentError(`invalid XFRM selector ${what} ${v}: ports need proto tcp, udp or sctp`);
    if (!Number.isInteger(v) || v < 1 || v > 65535)
      throw new InvalidArgumentError(`invalid XFRM selector ${what} ${v}: 1-65535`);
    return v;
  };
  const sport = port(s.sport, 'sport');
  const dport = port(s.dport, 'dport');
  return {
    daddr: addr16(ipv4ToBuffer(dst.address)),
    saddr: addr16(ipv4ToBuffer(src.address)),
    dport,
    dportMask: dport ? 0xffff : 0,
    sport,
    sportMask: sport ? 0xffff : 0,
    family: AF_INET,
    prefixlenD: dst.prefixLength,
    prefixlenS: src.prefixLength,
    proto,
    ifindex: 0,
    user: tag,
  };
}

/** "out 10.0.0.1/32 -> 10.0.0.2/32 udp dport 4789", for error messages. */
export function describeKey(k: XfrmPolicyKey): string {
  const cidr = (t: string) => {
    try {
      return formatCidr(parseCidr(t, 'prefix'));
    } catch {
      return JSON.stringify(t);
    }
  };
  let text = `${k.dir} ${cidr(k.src)} -> ${cidr(k.dst)}`;
  if (k.proto !== undefined) text += ` ${k.proto}`;
  if (k.sport !== undefined) text += ` sport ${k.sport}`;
  if (k.dport !== undefined) text += ` dport ${k.dport}`;
  return text;
}
