/**
 * Options of the VXLAN overlay, their Submariner defaults, and their eager
 * validation (every problem reported at once, naming option and value).
 * Parameters are options, not constants, because the plain VXLAN driver and
 * the libreswan transport-mode driver use different ports and MTU overheads.
 */
import { ConfigError, type ConfigIssue } from '../lib/errors.js';
import { isIpv4 } from '../lib/netlink/index.js';
import type { RpFilterMode } from '../lib/sysctl.js';
import { DEFAULT_VTEP_PREFIX, DEFAULT_VTEP_PREFIX_LENGTH, VXLAN_MTU_OVERHEAD } from './vtep.js';

/** How the overlay is built. Only `localIp` and `port` have no default. */
export interface VxlanOverlayOptions {
  /** Local private IP: the VXLAN outer source and the base of the local VTEP address. */
  localIp: string;
  /** UDP destination port (the endpoint's udp-port, 4500 by default in the VXLAN driver; 4789 in transport mode). */
  port: number;
  /** @default "vxlan-tunnel" */
  deviceName?: string;
  /** @default 1000 */
  vni?: number;
  /** First octet of VTEP addresses. @default 241 */
  vtepPrefix?: number;
  /** Prefix length of the local VTEP address. @default 8 */
  vtepPrefixLength?: number;
  /** Underlay ifindex for the VXLAN device. @default the device holding `localIp`, if any */
  underlayIndex?: number;
  /** Device MTU; when set, `underlayMtu` and `mtuOverhead` are ignored. */
  mtu?: number;
  /** @default MTU of the underlay device, else of the default route's device */
  underlayMtu?: number;
  /** Bytes subtracted from the underlay MTU. @default 50 */
  mtuOverhead?: number;
  /** Routing table for remote subnets. @default 100 */
  table?: number;
  /** Priority of the `lookup <table>` rule. @default 100 */
  rulePriority?: number;
  /** Metric of the remote-subnet routes. @default 100 */
  routeMetric?: number;
  /** rp_filter to set on the device, or false to leave it. @default "loose" */
  rpFilter?: RpFilterMode | false;
  /** Set net.ipv4.conf.<device>.forwarding=1. @default true */
  forwarding?: boolean;
}

/** Options with every default filled in. */
export type ResolvedOverlayOptions = Required<Omit<VxlanOverlayOptions, 'underlayIndex' | 'mtu' | 'underlayMtu'>> &
  Pick<VxlanOverlayOptions, 'underlayIndex' | 'mtu' | 'underlayMtu'>;

/** Submariner's values for everything the caller may leave out. */
export const OVERLAY_DEFAULTS = {
  deviceName: 'vxlan-tunnel',
  vni: 1000,
  vtepPrefix: DEFAULT_VTEP_PREFIX,
  vtepPrefixLength: DEFAULT_VTEP_PREFIX_LENGTH,
  mtuOverhead: VXLAN_MTU_OVERHEAD,
  table: 100,
  rulePriority: 100,
  routeMetric: 100,
  rpFilter: 'loose',
  forwarding: true,
} as const;

type Check = [key: keyof VxlanOverlayOptions, ok: (v: unknown) => boolean, reason: string];

const int = (min: number, max: number) => (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

const CHECKS: Check[] = [
  ['localIp', (v) => typeof v === 'string' && isIpv4(v), 'expected an IPv4 address'],
  ['port', int(1, 65535), 'expected a UDP port 1-65535'],
  [
    'deviceName',
    (v) => typeof v === 'string' && /^[^/\s:]{1,15}$/.test(v),
    'expected a device name of 1-15 characters without "/", ":" or spaces',
  ],
  ['vni', int(0, 0xffffff), 'expected a VNI 0-16777215'],
  ['vtepPrefix', (v) => int(1, 255)(v) && v !== 127, 'expected a first octet 1-255, not 127'],
  ['vtepPrefixLength', int(1, 32), 'expected a prefix length 1-32'],
  ['underlayIndex', (v) => v === undefined || int(1, 0x7fffffff)(v), 'expected an ifindex'],
  ['mtu', (v) => v === undefined || int(68, 65535)(v), 'expected an MTU 68-65535'],
  ['underlayMtu', (v) => v === undefined || int(68, 65535)(v), 'expected an MTU 68-65535'],
  ['mtuOverhead', int(0, 65535), 'expected a non-negative byte count'],
  [
    'table',
    (v) => int(1, 0xffffffff)(v) && !(Number(v) >= 253 && Number(v) <= 255),
    'expected a table 1-4294967295, not 253-255',
  ],
  ['rulePriority', int(1, 32765), 'expected a rule priority 1-32765'],
  ['routeMetric', int(0, 0xffffffff), 'expected a metric 0-4294967295'],
  [
    'rpFilter',
    (v) => v === false || v === 'off' || v === 'strict' || v === 'loose',
    'expected "off", "strict", "loose" or false',
  ],
  ['forwarding', (v) => typeof v === 'boolean', 'expected true or false'],
];

/** Fills defaults and validates; throws ConfigError listing every bad option. */
export function resolveOverlayOptions(options: VxlanOverlayOptions): ResolvedOverlayOptions {
  const defined = Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined));
  const resolved = { ...OVERLAY_DEFAULTS, ...defined } as ResolvedOverlayOptions;
  const issues: ConfigIssue[] = [];
  for (const [key, ok, reason] of CHECKS) {
    const value = resolved[key];
    if (!ok(value)) issues.push({ key, value: value === undefined ? '' : String(value), reason });
  }
  if (issues.length) throw new ConfigError('VXLAN overlay options', issues);
  return resolved;
}
