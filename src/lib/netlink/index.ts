/**
 * Public surface of the netlink adapter: the only module in cabled that
 * imports the `netlink` npm package. Re-exports only.
 */
export { openNetlink, type OpenNetlinkOptions } from './adapter.js';
export { NetlinkError, isErrno } from './errors.js';
export { CABLED_SELECTOR_TAG, openXfrm, VXLAN_BLOCK_PRIORITY, type XfrmOptions } from './xfrm.js';
export {
  assertIpv4,
  formatCidr,
  ipv4Octets,
  isIpv4,
  networkOf,
  parseCidr,
  ZERO_MAC,
  type Ipv4Cidr,
} from './ip.js';
export type {
  AddressInfo,
  FdbEntry,
  LinkInfo,
  NetlinkAdapter,
  NetlinkWrite,
  RouteInfo,
  RouteLookup,
  RouteMatch,
  RouteSpec,
  RuleInfo,
  TableRule,
  VxlanInfo,
  VxlanLinkSpec,
  XfrmAdapter,
  XfrmBlockPolicySpec,
  XfrmDir,
  XfrmPolicy,
  XfrmPolicyKey,
  XfrmState,
  XfrmProto,
  XfrmSelector,
  XfrmTemplate,
} from './types.js';
export { watchLinkEvents, type LinkEvents } from './link-events.js';
