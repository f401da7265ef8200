/**
 * The description of one libreswan connection (what whack --name ... and a
 * `conn` section both express) and its validation. Pure; no I/O.
 */
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import type { NicOffload } from './flags.js';

/** One end of a connection. Either end may be the local one (pluto orients by --host). */
export interface ConnectionEnd {
  /** IP address, DNS name or %any. */
  host: string;
  /** IKE identity: @fqdn, an IP, %fromcert, a DN. @default the host address */
  id?: string;
  /** IKE port of this end (e.g. 4500). @default 500 */
  ikePort?: number;
  /** Tunnel mode: the protected subnet (CIDR). Both ends need one in tunnel mode. */
  client?: string;
  /** Protocol/port selector: "udp/4789", "udp", "tcp/443", "47". Numeric ports only. */
  protoPort?: string;
}

/** Everything the adapter needs to add one connection. */
export interface ConnectionSpec {
  /** Connection name: letters, digits, . _ + - (starts with a letter or digit). */
  name: string;
  mode: 'tunnel' | 'transport';
  left: ConnectionEnd;
  right: ConnectionEnd;
  /** Only PSK for now; the PSK itself lives in the secrets file, never here. @default 'psk' */
  auth?: 'psk';
  /** IKE proposals, libreswan syntax, comma-separated ("aes_gcm256-sha2_256;modp2048"). @default libreswan's */
  ike?: string;
  /** ESP proposals ("aes_gcm256", "aes128-sha2_256-modp2048"). @default libreswan's */
  esp?: string;
  /** Force UDP encapsulation of ESP (`--encaps yes`). @default false (libreswan: auto) */
  encaps?: boolean;
  /** PFS on/off. undefined = libreswan's default, which differs: off in 4.x, on in 5.x. */
  pfs?: boolean;
  /** DPD/liveness delay in seconds; 0 turns it off. @default 30 */
  dpdDelaySec?: number;
  /** ceIPSecNicOffload; undefined = libreswan's default (4.x auto, 5.x no). */
  nicOffload?: NicOffload;
  /** IKE retransmit start interval, ms (tests use ~200). */
  retransmitIntervalMs?: number;
  /** Give up an exchange after this many seconds (libreswan default 60). */
  retransmitTimeoutSec?: number;
  /**
   * Keying attempts before pluto gives up (libreswan 4.x; 0 = forever, its
   * default, which starts a new attempt at once after each timeout). Ignored
   * by 5.x (its revival backs off by itself), so only given to 4.x.
   */
  keyingTries?: number;
  /** updown script for both ends; "%disabled" skips it (much faster --route, no routes added). */
  updown?: string;
  /**
   * conn files only (`connalias=`): a group name; `whack --initiate --name <alias>` then starts every
   * connection of the group with one call.
   */
  alias?: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;
const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const PROTOPORT_RE = /^([A-Za-z][A-Za-z0-9-]*|\d{1,3})(?:\/(\d{1,5}))?$/;
const PROPOSAL_RE = /^[A-Za-z0-9_;+,.-]+$/;

/** Checks a spec; throws InvalidArgumentError naming the connection and the field. Returns the spec. */
export function validateConnection(spec: ConnectionSpec): ConnectionSpec {
  const bad = (field: string, why: string): never => {
    throw new InvalidArgumentError(`connection ${JSON.stringify(spec.name)}: ${field}: ${why}`);
  };
  if (spec.alias !== undefined && !NAME_RE.test(spec.alias)) bad('alias', 'use letters, digits and . _ + -');
  if (!NAME_RE.test(spec.name)) bad('name', 'use letters, digits and . _ + - (at most 128 characters)');
  if (spec.mode !== 'tunnel' && spec.mode !== 'transport')
    bad('mode', `must be tunnel or transport, not ${String(spec.mode)}`);
  for (const [side, end] of [
    ['left', spec.left],
    ['right', spec.right],
  ] as const) {
    if (!(isIP(end.host) || /^%any6?$/.test(end.host) || HOSTNAME_RE.test(end.host)))
      bad(`${side}.host`, `not an address or DNS name: ${JSON.stringify(end.host)}`);
    if (end.id !== undefined && (!end.id || /[\n\r"]/.test(end.id)))
      bad(`${side}.id`, 'empty, or holds a newline or a double quote');
    if (end.ikePort !== undefined && !(Number.isInteger(end.ikePort) && end.ikePort > 0 && end.ikePort < 65536))
      bad(`${side}.ikePort`, `not a port: ${end.ikePort}`);
    if (end.client !== undefined) {
      if (spec.mode === 'transport')
        bad(`${side}.client`, 'a client subnet implies tunnel mode; leave it out in transport mode');
      if (!isCidr(end.client)) bad(`${side}.client`, `not a CIDR: ${JSON.stringify(end.client)}`);
    }
    if (end.protoPort !== undefined) {
      const m = PROTOPORT_RE.exec(end.protoPort);
      if (!m) {
        bad(
          `${side}.protoPort`,
          `${JSON.stringify(end.protoPort)} is not PROTO or PROTO/PORT with a numeric port` +
            (end.protoPort.includes('%any')
              ? ' (%any makes the connection a template that --route refuses; use bare "udp")'
              : '') +
            (/\/[A-Za-z]/.test(end.protoPort)
              ? ' (named ports need /etc/services entries; Debian has no "vxlan": use 4789)'
              : ''),
        );
      }
      if (m?.[2] !== undefined && Number(m[2]) > 65535) bad(`${side}.protoPort`, `port out of range: ${m[2]}`);
    }
  }
  if (spec.mode === 'tunnel' && (spec.left.client === undefined) !== (spec.right.client === undefined)) {
    bad('client', 'give a client subnet on both ends or on neither (libreswan 4.10: "endpoints clash")');
  }
  const lp = spec.left.protoPort,
    rp = spec.right.protoPort;
  if ((lp === undefined) !== (rp === undefined))
    bad('protoPort', 'give a protocol selector on both ends or on neither');
  if (lp !== undefined && rp !== undefined && protoOf(lp) !== protoOf(rp)) {
    bad('protoPort', `both ends must use the same protocol (${lp} vs ${rp})`);
  }
  for (const key of ['ike', 'esp'] as const) {
    const v = spec[key];
    if (v !== undefined && !PROPOSAL_RE.test(v)) bad(key, `not a libreswan proposal list: ${JSON.stringify(v)}`);
  }
  if (spec.dpdDelaySec !== undefined && !(Number.isInteger(spec.dpdDelaySec) && spec.dpdDelaySec >= 0))
    bad('dpdDelaySec', 'not a whole number of seconds');
  if (
    spec.retransmitIntervalMs !== undefined &&
    !(Number.isInteger(spec.retransmitIntervalMs) && spec.retransmitIntervalMs > 0)
  )
    bad('retransmitIntervalMs', 'not a positive integer');
  if (
    spec.retransmitTimeoutSec !== undefined &&
    !(Number.isInteger(spec.retransmitTimeoutSec) && spec.retransmitTimeoutSec > 0)
  )
    bad('retransmitTimeoutSec', 'not a positive integer');
  if (spec.keyingTries !== undefined && !(Number.isInteger(spec.keyingTries) && spec.keyingTries >= 0))
    bad('keyingTries', 'not a whole number');
  if (spec.updown !== undefined && (!spec.updown || /[\n\r"]/.test(spec.updown)))
    bad('updown', 'empty, or holds a newline or a double quote');
  return spec;
}

function protoOf(protoPort: string): string {
  return protoPort.split('/')[0]!.toLowerCase();
}

function isCidr(text: string): boolean {
  const [addr, bits, ...rest] = text.split('/');
  if (rest.length || addr === undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(addr);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}
