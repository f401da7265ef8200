/**
 * The libreswan driver's settings, from the Init request's config maps,
 * validated with the engine's own schema and rules (src/config), plus what
 * that schema leaves to the driver: the PSK is required, and the nic-offload
 * value must suit the installed libreswan version.
 */
import { configFromDriverMaps } from '../../src/config/index.js';
import { FailedPreconditionError } from '../../src/lib/errors.js';
import type { NicOffload } from '../../src/lib/whack/index.js';

export interface LibreswanSettings {
  mode: 'tunnel' | 'transport';
  overlay: 'vxlan' | '';
  /** ESP / IKE proposals, comma-joined for whack; '' = libreswan's defaults. */
  esp: string;
  ike: string;
  /** PFS on when groups are configured; undefined = libreswan's default. */
  pfs: boolean | undefined;
  psk: string;
  nattPort: number;
  /** The IKE port both ends use unless an endpoint's udp-port says otherwise. */
  ikePort: number;
  forceEncaps: boolean;
  debug: boolean;
  preferredServer: boolean;
  nicOffload: NicOffload | undefined;
  vxlanPort: number;
  plutoMode: 'own' | 'host';
  plutoSocket: string;
  /** IKE retransmit start interval; tests shorten it (CABLED_LIBRESWAN_RETRANSMIT_MS), production keeps libreswan's. */
  retransmitIntervalMs?: number;
}

export function readSettings(config: Record<string, string>, secrets: Record<string, string>): LibreswanSettings {
  const c = configFromDriverMaps(config, secrets);
  if (!c.psk) {
    throw new FailedPreconditionError(
      'the libreswan driver needs a PSK: set ceIPSecPSK (or ceIPSecPSKFile) in the ConfigMap, or CE_IPSEC_PSK / CE_IPSEC_PSKSECRET',
    );
  }
  // A DH group in ceIPSecPfsGroup goes into the ESP proposals (5.3 refuses --pfsgroup).
  const esp = c.esp.length && c.pfsGroups.length ? c.esp.map((p) => `${p}-${c.pfsGroups[0]}`) : [...c.esp];
  return {
    mode: c.mode,
    overlay: c.overlay,
    esp: esp.join(','),
    ike: c.ike.join(','),
    pfs: c.pfsGroups.length ? true : undefined,
    psk: c.psk,
    nattPort: c.nattPort,
    ikePort: c.ikePort ?? c.nattPort,
    forceEncaps: c.forceEncaps,
    debug: c.debug,
    preferredServer: c.preferredServer,
    nicOffload: c.nicOffload === 'no' ? undefined : (c.nicOffload as NicOffload),
    vxlanPort: c.vxlanPort,
    plutoMode: c.plutoMode,
    plutoSocket: c.plutoSocket ?? '',
    retransmitIntervalMs: retransmitFromEnv(),
  };
}

function retransmitFromEnv(): number | undefined {
  const n = Number(process.env.CABLED_LIBRESWAN_RETRANSMIT_MS);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
