/**
 * Which whack flags a libreswan version takes (pure). The differences that
 * matter (see shared/notes/libreswan.md §1):
 * - transport mode: 4.x has no --transport (leave out --tunnel/--client); 5.x needs --transport;
 * - UDP encapsulation: `--encaps yes` works in both (never --forceencaps / --encapsulation);
 * - PFS: 4.x `--pfs` flag, off unless given; 5.x `--pfs=yes|no`, on by default;
 * - DPD: `--dpdaction` exists in 4.x only (obsolete in 5.0);
 * - nic-offload: 4.x yes|no|auto, 5.x no|crypto|packet.
 */
import { InvalidArgumentError } from '../errors.js';
import { formatVersion, type LibreswanVersion } from './version.js';

/** ceIPSecNicOffload values. */
export type NicOffload = 'no' | 'yes' | 'auto' | 'crypto' | 'packet';

/** The flag choices for one libreswan version. */
export interface WhackFlags {
  readonly version: LibreswanVersion;
  /** 4.x prints a 3-digit RC code before each line. */
  readonly rcPrefixed: boolean;
  /** Given on every add: IKEv2 and ESP (4.10 refuses a conn without ESP/AH). */
  readonly always: readonly string[];
  /** Tunnel mode. */
  readonly tunnel: readonly string[];
  /** Transport mode: [] on 4.x (the default there), ['--transport'] on 5.x. */
  readonly transport: readonly string[];
  /** Force UDP encapsulation (NAT-T) of ESP. */
  readonly encaps: readonly string[];
  /** Turn PFS on. */
  readonly pfsOn: readonly string[];
  /** Turn PFS off ([] on 4.x, where it is off unless asked). */
  readonly pfsOff: readonly string[];
  /** Arguments for a DPD / liveness delay in seconds (with dpdaction=hold on 4.x). */
  dpd(delaySec: number): readonly string[];
  /** The nic-offload values this version accepts. */
  readonly nicOffloadValues: readonly string[];
}

/** Flag choices for `version` (pure). */
export function flagsFor(version: LibreswanVersion): WhackFlags {
  const v4 = version.major < 5;
  return {
    version,
    rcPrefixed: v4,
    always: ['--ikev2', '--encrypt'],
    tunnel: ['--tunnel'],
    transport: v4 ? [] : ['--transport'],
    encaps: ['--encaps', 'yes'],
    pfsOn: v4 ? ['--pfs'] : ['--pfs=yes'],
    pfsOff: v4 ? [] : ['--pfs=no'],
    dpd: (delaySec: number) =>
      v4 ? ['--dpddelay', String(delaySec), '--dpdaction=hold'] : ['--dpddelay', String(delaySec)],
    nicOffloadValues: v4 ? ['yes', 'no', 'auto'] : ['no', 'crypto', 'packet'],
  };
}

/** What a ceIPSecNicOffload value becomes for one version and connection. */
export interface NicOffloadChoice {
  /** The value for `--nic-offload` / `nic-offload=`. */
  readonly value: string;
  /** Set when the value had to be changed; log it. */
  readonly warning?: string;
}

/** Connection facts that limit offload (5.x packet offload). */
export interface OffloadContext {
  mode: 'tunnel' | 'transport';
  encaps: boolean;
}

/**
 * Maps a ceIPSecNicOffload value to what `version` takes, or throws
 * InvalidArgumentError for a combination that cannot work:
 * - 4.x: no/yes/auto as is; crypto → yes (4.x "yes" is crypto offload); packet → refused (needs 5.0);
 * - 5.x: no/crypto/packet as is; yes → crypto; auto → no (5.0 removed auto, and "crypto"
 *   on a NIC without ESP offload makes pluto skip the interface); packet only with
 *   transport mode and without forced encapsulation.
 */
export function nicOffloadFor(version: LibreswanVersion, value: NicOffload, ctx: OffloadContext): NicOffloadChoice {
  const v = formatVersion(version);
  if (version.major < 5) {
    switch (value) {
      case 'no':
      case 'yes':
      case 'auto':
        return { value };
      case 'crypto':
        return { value: 'yes', warning: `nic-offload crypto is called "yes" in libreswan ${v}` };
      case 'packet':
        throw new InvalidArgumentError(
          `ceIPSecNicOffload=packet: packet offload needs libreswan 5.0 or later (found ${v}); use yes or no`,
        );
    }
  }
  switch (value) {
    case 'no':
    case 'crypto':
      return { value };
    case 'yes':
      return { value: 'crypto' };
    case 'auto':
      return {
        value: 'no',
        warning: `libreswan ${v} has no nic-offload=auto; using no (set crypto or packet to offload)`,
      };
    case 'packet':
      if (ctx.mode !== 'transport') {
        throw new InvalidArgumentError(
          `ceIPSecNicOffload=packet: libreswan ${v} offers packet offload only in transport mode (ceIPSecMode=${ctx.mode})`,
        );
      }
      if (ctx.encaps) {
        throw new InvalidArgumentError(
          `ceIPSecNicOffload=packet: libreswan ${v} cannot packet-offload UDP-encapsulated ESP; unset ceIPSecForceEncaps or use crypto`,
        );
      }
      return { value };
  }
}
