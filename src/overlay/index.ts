/**
 * Public surface of the VXLAN overlay shared by the VXLAN and libreswan
 * transport-mode cable drivers. Re-exports only.
 */
export { VxlanOverlay } from './vxlan-overlay.js';
export type { DeviceResult, EnsureDeviceOptions, OverlayDeps, OverlayState, RemoteChange } from './types.js';
export {
  OVERLAY_DEFAULTS,
  resolveOverlayOptions,
  type ResolvedOverlayOptions,
  type VxlanOverlayOptions,
} from './options.js';
export {
  planEnsureRemote,
  planRemoveRemote,
  remoteSpecOf,
  resolveRemote,
  type RemotePlan,
  type RemoteSpec,
  type ResolvedRemote,
} from './remote-plan.js';
export { detectUnderlay, type DetectUnderlayOptions, type Underlay } from './underlay.js';
export {
  DEFAULT_VTEP_PREFIX,
  DEFAULT_VTEP_PREFIX_LENGTH,
  MIN_IPV4_MTU,
  VXLAN_MTU_OVERHEAD,
  overlayMtu,
  vtepCidrFor,
  vtepIpFor,
} from './vtep.js';
