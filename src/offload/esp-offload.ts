/**
 * Whether an interface offloads ESP, from its ethtool features (pure).
 * `esp-hw-offload` is the IPsec crypto offload itself (NETIF_F_HW_ESP); an
 * interface is capable when it is on. `tx-esp-segmentation` (ESP GSO) and
 * `esp-tx-csum-hw-offload` (checksums inside ESP) add to it and are reported.
 * A NIC whose esp-hw-offload is off but not [fixed] could offload after
 * `ethtool -K IFACE esp-hw-offload on`; it is reported as `possible`, not
 * capable, since libreswan's nic-offload needs the feature on.
 */
import type { Features } from './ethtool-features.js';

/** The three ethtool features about ESP offload. */
export const ESP_FEATURES = ['esp-hw-offload', 'tx-esp-segmentation', 'esp-tx-csum-hw-offload'] as const;
export type EspFeature = (typeof ESP_FEATURES)[number];

/** ESP offload of one interface. */
export interface EspOffload {
  readonly ifname: string;
  /** esp-hw-offload is on. */
  readonly capable: boolean;
  /** esp-hw-offload is off but changeable (not [fixed]): `ethtool -K <if> esp-hw-offload on` may enable it. */
  readonly possible: boolean;
  /** The ESP features that are on. */
  readonly enabled: readonly EspFeature[];
}

/** The ESP offload of `ifname` given its features. */
export function espOffloadOf(ifname: string, features: Features): EspOffload {
  const hw = features.get('esp-hw-offload');
  const capable = hw?.on === true;
  return {
    ifname,
    capable,
    possible: !capable && hw !== undefined && !hw.fixed,
    enabled: ESP_FEATURES.filter((f) => features.get(f)?.on === true),
  };
}
