/**
 * ceIPSecNicOffload=auto, decided per remote. libreswan 4.x has a native
 * `nic-offload=auto` (pluto offloads when the kernel and NIC can), so auto is
 * passed through. 5.x removed auto and refuses to use an interface when
 * `crypto` is asked of a NIC without ESP offload, so the driver decides: the
 * interface that routes to the remote has esp-hw-offload on → crypto,
 * otherwise (or no route, or the check failed) → no. Other values are left
 * as they are (nicOffloadFor in src/lib/whack maps them per version).
 */
import type { LibreswanVersion, NicOffload } from '../../src/lib/whack/index.js';

/** The value to use for one remote; undefined = leave nic-offload out (libreswan 5's default, no). */
export function resolveNicOffload(
  configured: NicOffload | undefined,
  version: LibreswanVersion,
  nicCapable: boolean | undefined,
): NicOffload | undefined {
  if (configured !== 'auto' || version.major < 5) return configured;
  return nicCapable ? 'crypto' : undefined;
}

/** True when resolveNicOffload needs to know whether the NIC is capable (saves the route lookup otherwise). */
export function needsNicCheck(configured: NicOffload | undefined, version: LibreswanVersion): boolean {
  return configured === 'auto' && version.major >= 5;
}
