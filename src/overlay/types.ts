/**
 * Types of the VXLAN overlay's methods: its collaborators, options of
 * ensureDevice, and what the methods report back.
 */
import type { Logger } from '../lib/logger.js';
import type { NetlinkAdapter } from '../lib/netlink/index.js';
import type { Sysctl } from '../lib/sysctl.js';

/** Collaborators of the overlay; only `netlink` is required. */
export interface OverlayDeps {
  netlink: NetlinkAdapter;
  /** @default procSysctl() */
  sysctl?: Sysctl;
  /** @default silentLogger() */
  logger?: Logger;
}

/** Options of {@link VxlanOverlay.ensureDevice}. */
export interface EnsureDeviceOptions {
  /**
   * true: set the device up. false: do not bring it up (a new device stays
   * down, an adopted one keeps its state); the transport-mode driver calls
   * `setUp()` once its IPsec policies exist. @default true
   */
  up?: boolean;
}

/** What `ensureDevice` found and did. */
export interface DeviceResult {
  ifindex: number;
  /** An existing matching device was kept (same ifindex). */
  adopted: boolean;
  /** A mismatching device of that name was deleted first. */
  replaced: boolean;
  mtu: number;
  /** Local VTEP, e.g. "241.18.0.8/8". */
  vtepCidr: string;
  up: boolean;
}

/** What `ensureRemote` / `removeRemote` changed. */
export interface RemoteChange {
  vtep: string;
  fdbAdded: string[];
  fdbRemoved: string[];
  routesReplaced: string[];
  routesRemoved: string[];
}

/** The overlay as the kernel has it now. */
export interface OverlayState {
  device?: { ifindex: number; name: string; up: boolean; mtu: number; vni?: number; port?: number; localIp?: string };
  /** Destinations of the zero-MAC FDB entries (one per remote gateway). */
  fdbDsts: string[];
  /** Routes of the overlay table on the device, grouped by gateway (remote VTEP). */
  routes: { vtep: string; subnets: string[] }[];
}
