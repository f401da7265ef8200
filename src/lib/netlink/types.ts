/**
 * Plain TypeScript view of the rtnetlink objects cabled uses, and the
 * `NetlinkAdapter` interface every caller programs against (the real one
 * comes from `openNetlink()`; tests may implement it in memory).
 * IPs are dotted strings, CIDRs "a.b.c.d/len"; no Buffers leak out.
 */

/** VXLAN parameters of a link as the kernel reports them. */
export interface VxlanInfo {
  /** VXLAN network identifier (IFLA_VXLAN_ID). */
  vni: number;
  /** UDP destination port (IFLA_VXLAN_PORT). */
  port: number;
  /** Local (source) IPv4 address, if set. */
  localIp?: string;
  /** ifindex of the underlay device (IFLA_VXLAN_LINK), if set. */
  underlayIndex?: number;
  /** Whether source-MAC learning is on. */
  learning: boolean;
}

/** One network device. */
export interface LinkInfo {
  index: number;
  name: string;
  /** IFLA_INFO_KIND, e.g. "vxlan", "veth"; undefined for devices without one (lo, physical NICs). */
  kind?: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  mtu: number;
  /** Hardware address, lower-case colon form. */
  mac?: string;
  /** Present when kind is "vxlan". */
  vxlan?: VxlanInfo;
}

/** What `createVxlan` builds. Learning is always off. */
export interface VxlanLinkSpec {
  name: string;
  vni: number;
  /** UDP destination port. */
  port: number;
  /** Local IPv4 address used as the outer source. */
  localIp: string;
  /** ifindex of the underlay device; omitted = let the kernel route. */
  underlayIndex?: number;
  /** Link MTU; omitted = kernel default (underlay MTU - 50). */
  mtu?: number;
}

/** One IPv4 address on a link. */
export interface AddressInfo {
  linkIndex: number;
  address: string;
  prefixLength: number;
  /** "address/prefixLength", e.g. "241.0.0.1/8". */
  cidr: string;
}

/** One bridge forwarding-database entry (AF_BRIDGE neighbour). */
export interface FdbEntry {
  linkIndex: number;
  mac: string;
  /** Remote VTEP (NDA_DST) for VXLAN entries. */
  dst?: string;
  permanent: boolean;
  /** NTF_SELF: the entry lives in the device itself (VXLAN), not in a bridge master. */
  self: boolean;
}

/** An IPv4 route as listed from a table. */
export interface RouteInfo {
  /** Destination CIDR; "0.0.0.0/0" for a default route. */
  dst: string;
  gateway?: string;
  /** Output ifindex. */
  oif?: number;
  table: number;
  /** Preferred source (RTA_PREFSRC). */
  src?: string;
  /** Metric (RTA_PRIORITY). */
  priority?: number;
  /** Lower-case route type: "unicast", "local", "broadcast", ... */
  type: string;
  /** RTPROT_* number (2 kernel, 3 boot, 4 static, ...). */
  protocol: number;
}

/** A unicast IPv4 route to install with replace semantics. */
export interface RouteSpec {
  dst: string;
  gateway?: string;
  oif: number;
  table: number;
  /** Preferred source; must be a local address. */
  src?: string;
  /** Metric. Replace matches an existing route by (dst, table, metric). */
  priority?: number;
}

/** Which routes `deleteRoute` removes: unset fields match anything. */
export interface RouteMatch {
  dst: string;
  table: number;
  gateway?: string;
  oif?: number;
  priority?: number;
}

/** Answer of a route lookup (RTM_GETROUTE for one address). */
export interface RouteLookup {
  oif: number;
  /** Source address the kernel would use. */
  src?: string;
  gateway?: string;
  table: number;
}

/** One IPv4 policy-routing rule. */
export interface RuleInfo {
  priority: number;
  table: number;
  /** FR_ACT_* name: "toTbl" (lookup), "goto", "blackhole", ... */
  action: string;
  /** True when the rule has any selector (from/to/iif/oif/fwmark/...) beyond "from all". */
  hasSelector: boolean;
}

/** Priority and table of a selector-less "priority P lookup T" rule. */
export interface TableRule {
  priority: number;
  table: number;
}

/** One FDB or route write of a batch (see `NetlinkAdapter.writeBatch`). */
export type NetlinkWrite =
  | { op: 'appendFdb'; linkIndex: number; dst: string; mac?: string }
  | { op: 'deleteFdb'; linkIndex: number; dst: string; mac?: string }
  | { op: 'replaceRoute'; route: RouteSpec }
  | { op: 'deleteRoute'; route: RouteMatch };

/**
 * The only way cabled talks to rtnetlink. Every request has a timeout. Getters
 * return undefined for absent objects; `delete*` treat "already absent" as done;
 * `ensure*` return true when they changed something.
 */
export interface NetlinkAdapter {
  /** Link by name or ifindex, or undefined when there is none. */
  getLink(ref: string | number): Promise<LinkInfo | undefined>;
  listLinks(): Promise<LinkInfo[]>;
  /** Creates a VXLAN device (fails with EEXIST if the name is taken); returns it, down. */
  createVxlan(spec: VxlanLinkSpec): Promise<LinkInfo>;
  deleteLink(ref: string | number): Promise<void>;
  setLinkUp(index: number, up: boolean): Promise<void>;
  setLinkMtu(index: number, mtu: number): Promise<void>;

  /** IPv4 addresses, of one link or of all links. */
  listAddresses(linkIndex?: number): Promise<AddressInfo[]>;
  /** Adds `cidr` ("241.1.2.3/8") to the link unless present. */
  ensureAddress(linkIndex: number, cidr: string): Promise<boolean>;
  deleteAddress(linkIndex: number, cidr: string): Promise<void>;

  /** FDB entries of one device. */
  listFdb(linkIndex: number): Promise<FdbEntry[]>;
  /** `bridge fdb append <mac> dev <link> dst <dst> self permanent`; appending an existing pair is a no-op. */
  appendFdb(linkIndex: number, dst: string, mac?: string): Promise<void>;
  /** Removes one (mac, dst) entry. */
  deleteFdb(linkIndex: number, dst: string, mac?: string): Promise<void>;

  /** IPv4 routes of one table (all types). */
  listRoutes(table: number): Promise<RouteInfo[]>;
  /** `ip route replace`: creates or replaces the route with the same (dst, table, metric). */
  replaceRoute(spec: RouteSpec): Promise<void>;
  deleteRoute(match: RouteMatch): Promise<void>;
  /**
   * Many FDB / route writes, in order, packed into few kernel requests (one
   * syscall per 128 writes, no promise or timer per write). Resolves with one
   * outcome per write: undefined when done (a delete of something absent is
   * done), else the Error (invalid input, the kernel's refusal, no answer).
   */
  writeBatch(writes: readonly NetlinkWrite[]): Promise<(Error | undefined)[]>;
  /** `ip route get <ip>`: how the kernel would reach it; undefined when unreachable. Sends no packet. */
  routeTo(ip: string): Promise<RouteLookup | undefined>;
  /** The main table's default route with the lowest metric, or undefined. */
  getDefaultRoute(): Promise<RouteInfo | undefined>;

  listRules(): Promise<RuleInfo[]>;
  /** Adds `priority P lookup T` (no selector) unless an identical rule exists. */
  ensureRule(rule: TableRule): Promise<boolean>;
  /** Deletes the selector-less `priority P lookup T` rule(s). */
  deleteRule(rule: TableRule): Promise<void>;

  /** Closes the socket; pending requests fail. Idempotent. */
  close(): void;
}

/*
 * XFRM (IPsec policy database) objects, read and written through
 * `openXfrm()` (xfrm.ts) on a NETLINK_XFRM socket. IPv4 selectors only on
 * the write side; listing also reports IPv6 policies (family "ipv6").
 */

/** IP protocol of an XFRM selector: a name for the common ones, else the number. */
export type XfrmProto = 'icmp' | 'tcp' | 'udp' | 'gre' | 'esp' | 'ah' | 'ipv6-icmp' | 'sctp' | number;

/** Direction of an XFRM policy (XFRM_POLICY_IN/OUT/FWD). */
export type XfrmDir = 'in' | 'out' | 'fwd';

/** What an XFRM policy applies to. Omitted fields match anything. */
export interface XfrmSelector {
  /** Source prefix, "a.b.c.d/len" with no host bits set, e.g. "10.0.0.1/32". */
  src: string;
  /** Destination prefix, same form. */
  dst: string;
  /** IP protocol; omitted = any. */
  proto?: XfrmProto;
  /** Source port (tcp/udp/sctp only); omitted = any. */
  sport?: number;
  /** Destination port (tcp/udp/sctp only); omitted = any. */
  dport?: number;
}

/** The kernel's key of a policy: selector plus direction (the priority is not part of it). */
export interface XfrmPolicyKey extends XfrmSelector {
  dir: XfrmDir;
}

/** A BLOCK policy to install with `ensureBlockPolicy`. */
export interface XfrmBlockPolicySpec extends XfrmPolicyKey {
  /** XFRM priority; a LOWER value wins. See VXLAN_BLOCK_PRIORITY. */
  priority: number;
}

/** One `xfrm_user_tmpl` of a policy: the SA the matching packets must use. */
export interface XfrmTemplate {
  /** "esp", "ah", or the IPPROTO number (108 = IPComp). */
  proto: XfrmProto;
  /** "transport", "tunnel", "beet", or the XFRM_MODE_* number. */
  mode: 'transport' | 'tunnel' | 'beet' | number;
  /** 0 for pluto's trap policies ("any SA"), else the SA's reqid. */
  reqid: number;
}

/** One policy of the SPD as the kernel lists it. Per-socket policies are not listed. */
export interface XfrmPolicy {
  family: 'ipv4' | 'ipv6';
  dir: XfrmDir;
  action: 'allow' | 'block';
  /** Lower wins. */
  priority: number;
  /** Kernel-assigned policy index (`ip xfrm policy ... index N`). */
  index: number;
  /** "a.b.c.d/len" (IPv6 text "::/0" for family ipv6). */
  src: string;
  dst: string;
  proto?: XfrmProto;
  /** Present when the selector restricts it. For icmp/ipv6-icmp this is the ICMP type, as the kernel stores it. */
  sport?: number;
  /** Present when the selector restricts it. For icmp/ipv6-icmp this is the ICMP code. */
  dport?: number;
  /** True for IPsec policies (encrypt with an SA, e.g. pluto's); false for plain allow/block policies. */
  hasTemplates: boolean;
  templates: XfrmTemplate[];
  /** XFRMA_MARK, when set. */
  mark?: { value: number; mask: number };
  /** True when cabled created it (its selector carries cabled's tag; see xfrm.ts). */
  owned: boolean;
}

/**
 * The only way cabled talks to the XFRM policy database. Every request has a
 * timeout; `deletePolicy` treats "absent" as done; `ensureBlockPolicy`
 * returns true when it changed something. Only cabled's own policies are
 * ever written or deleted (pluto's and the operator's are left alone).
 */
/** The identity of one SA (`ip xfrm state`): who, which SPI, which protocol and mode. */
export interface XfrmState {
  family: 'ipv4' | 'ipv6';
  src: string;
  dst: string;
  spi: number;
  proto: XfrmProto;
  mode: XfrmTemplate['mode'];
}

export interface XfrmAdapter {
  /** Every SPD policy of this network namespace (IPv4 and IPv6; per-socket policies excluded). */
  listPolicies(): Promise<XfrmPolicy[]>;
  /** Every SA of this network namespace (IPv4 and IPv6), larval ACQUIRE states (SPI 0) included. */
  listStates(): Promise<XfrmState[]>;
  /** Creates or updates cabled's BLOCK policy for this selector and direction. */
  ensureBlockPolicy(spec: XfrmBlockPolicySpec): Promise<boolean>;
  /** Deletes cabled's policy for this selector and direction; absent is fine. */
  deletePolicy(key: XfrmPolicyKey): Promise<void>;
  /** Closes the socket; pending requests fail. Idempotent. */
  close(): void;
}
