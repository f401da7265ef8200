/**
 * Every driver configuration key in one table: canonical name, type, default,
 * allowed values, the env vars that feed it, and whether it is secret. The
 * loader, the validator, toDriverConfig() and describe() all read this table,
 * so adding a key means adding one entry here (plus a field in CableConfig).
 *
 * Key names follow the ConfigMap design (seed 004, "ceDriverNameParam") and
 * the Submariner operator CR (ceIPSecPSK, ceIPSecNATTPort, ...). Env names are
 * Submariner's (CE_IPSEC_PSK, CE_IPSEC_NATTPORT, ...) or, for keys Submariner
 * lacks, CE_IPSEC_ + the rest of the key upper-cased (ceIPSecNicOffload →
 * CE_IPSEC_NICOFFLOAD).
 */
import { checkDhGroup, checkEspProposal, checkIkeProposal } from './algorithms.js';
import type { CableConfigValues } from './values.js';

/** The canonical configuration keys. */
export type ConfigKey =
  | 'ceIPSecMode'
  | 'ceIPSecOverlay'
  | 'ceIPSecPfsGroup'
  | 'ceIPSecEsp'
  | 'ceIPSecIke'
  | 'ceIPSecPSK'
  | 'ceIPSecPSKFile'
  | 'ceIPSecAllowShortPSK'
  | 'ceIPSecNATTPort'
  | 'ceIPSecIKEPort'
  | 'ceIPSecForceEncaps'
  | 'ceIPSecDebug'
  | 'ceIPSecPreferredServer'
  | 'ceIPSecNicOffload'
  | 'ceIPSecVxlanPort'
  | 'ceIPSecPlutoMode'
  | 'ceIPSecPlutoSocket';

/** The value types; `list` items may be checked one by one. */
export type KeyType =
  | { kind: 'enum'; allowed: readonly string[] }
  | { kind: 'list'; item?: (item: string) => string | undefined }
  | { kind: 'bool' }
  | { kind: 'port' }
  | { kind: 'string' }
  | { kind: 'path' };

/** A typed configuration value. */
export type ConfigValue = string | number | boolean | readonly string[];

/** One configuration key. */
export interface KeyDef {
  readonly key: ConfigKey;
  /** The CableConfig field that holds the value. */
  readonly field: keyof CableConfigValues;
  readonly type: KeyType;
  /** Used when no source sets the key; undefined = unset. */
  readonly default: ConfigValue | undefined;
  /** Env vars that feed the key, most specific first. */
  readonly env: readonly string[];
  /** Secret values never appear in messages, logs or describe(). */
  readonly secret: boolean;
  readonly doc: string;
}

const def = (d: KeyDef): KeyDef => d;

/** Every key, in display order. */
export const SCHEMA: readonly KeyDef[] = [
  def({
    key: 'ceIPSecMode',
    field: 'mode',
    type: { kind: 'enum', allowed: ['tunnel', 'transport'] },
    default: 'tunnel',
    env: ['CE_IPSEC_MODE'],
    secret: false,
    doc: 'IPsec mode. transport carries an overlay (ceIPSecOverlay) between the gateways.',
  }),
  def({
    key: 'ceIPSecOverlay',
    field: 'overlay',
    type: { kind: 'enum', allowed: ['vxlan', ''] },
    default: '',
    env: ['CE_IPSEC_OVERLAY'],
    secret: false,
    doc: 'Overlay protected by transport-mode IPsec; only valid with ceIPSecMode=transport.',
  }),
  def({
    key: 'ceIPSecPfsGroup',
    field: 'pfsGroups',
    type: { kind: 'list', item: checkDhGroup },
    default: [],
    env: ['CE_IPSEC_PFSGROUP'],
    secret: false,
    doc: 'DH groups for PFS (modp2048, ecp256, curve25519, dh19, ...); empty = libreswan default.',
  }),
  def({
    key: 'ceIPSecEsp',
    field: 'esp',
    type: { kind: 'list', item: checkEspProposal },
    default: [],
    env: ['CE_IPSEC_ESP'],
    secret: false,
    doc: 'ESP proposals (aes_gcm-null, aes_gcm256, aes128-sha2_256, chacha20_poly1305); empty = libreswan default.',
  }),
  def({
    key: 'ceIPSecIke',
    field: 'ike',
    type: { kind: 'list', item: checkIkeProposal },
    default: [],
    env: ['CE_IPSEC_IKE'],
    secret: false,
    doc: 'IKE proposals (aes_gcm256-sha2_256;modp2048, aes256-sha2_256-modp2048); empty = libreswan default.',
  }),
  def({
    key: 'ceIPSecPSK',
    field: 'psk',
    type: { kind: 'string' },
    default: undefined,
    env: ['CE_IPSEC_PSK'],
    secret: true,
    doc: 'Pre-shared key, used verbatim. At least 32 bytes unless ceIPSecAllowShortPSK.',
  }),
  def({
    key: 'ceIPSecPSKFile',
    field: 'pskFile',
    type: { kind: 'path' },
    default: undefined,
    env: ['CE_IPSEC_PSKFILE', 'CE_IPSEC_PSKSECRET'],
    secret: false,
    doc:
      'File holding the PSK (a mounted Secret key); its bytes are base64-encoded, as Submariner does for CE_IPSEC_PSKSECRET. ' +
      'CE_IPSEC_PSKSECRET=<name> means /var/run/secrets/submariner.io/<name>/psk.',
  }),
  def({
    key: 'ceIPSecAllowShortPSK',
    field: 'allowShortPsk',
    type: { kind: 'bool' },
    default: false,
    env: ['CE_IPSEC_ALLOWSHORTPSK'],
    secret: false,
    doc: 'Accept a PSK shorter than 32 bytes.',
  }),
  def({
    key: 'ceIPSecNATTPort',
    field: 'nattPort',
    type: { kind: 'port' },
    default: 4500,
    env: ['CE_IPSEC_NATTPORT'],
    secret: false,
    doc: 'UDP port for NAT-T (ESP in UDP) and, unless ceIPSecIKEPort is set, IKE.',
  }),
  def({
    key: 'ceIPSecIKEPort',
    field: 'ikePort',
    type: { kind: 'port' },
    default: undefined,
    env: ['CE_IPSEC_IKEPORT'],
    secret: false,
    doc:
      'UDP port for IKE. Submariner ignores it since 2021 (commit 2fb00de7: IKE and ESP share the NAT-T port); its CR/chart ' +
      'default of 500 never reaches the gateway. Unset here means IKE runs on ceIPSecNATTPort.',
  }),
  def({
    key: 'ceIPSecForceEncaps',
    field: 'forceEncaps',
    type: { kind: 'bool' },
    default: false,
    env: ['CE_IPSEC_FORCEENCAPS'],
    secret: false,
    doc: 'Always encapsulate ESP in UDP, even without NAT.',
  }),
  def({
    key: 'ceIPSecDebug',
    field: 'debug',
    type: { kind: 'bool' },
    default: false,
    env: ['CE_IPSEC_DEBUG'],
    secret: false,
    doc: 'Verbose pluto logging.',
  }),
  def({
    key: 'ceIPSecPreferredServer',
    field: 'preferredServer',
    type: { kind: 'bool' },
    default: false,
    env: ['CE_IPSEC_PREFERREDSERVER'],
    secret: false,
    doc: 'Prefer this gateway as the IKE responder (the node label/annotation wins).',
  }),
  def({
    key: 'ceIPSecNicOffload',
    field: 'nicOffload',
    type: { kind: 'enum', allowed: ['no', 'yes', 'auto', 'crypto', 'packet'] },
    default: 'no',
    env: ['CE_IPSEC_NICOFFLOAD'],
    secret: false,
    doc: 'NIC offload: libreswan 4 takes no|yes|auto, libreswan 5 takes no|yes|crypto|packet.',
  }),
  def({
    key: 'ceIPSecVxlanPort',
    field: 'vxlanPort',
    type: { kind: 'port' },
    default: 4789,
    env: ['CE_IPSEC_VXLANPORT'],
    secret: false,
    doc: 'UDP port of the VXLAN overlay (transport mode).',
  }),
  def({
    key: 'ceIPSecPlutoMode',
    field: 'plutoMode',
    type: { kind: 'enum', allowed: ['own', 'host'] },
    default: 'own',
    env: ['CE_IPSEC_PLUTOMODE'],
    secret: false,
    doc: "own: the driver starts pluto; host: use the host's pluto through ceIPSecPlutoSocket.",
  }),
  def({
    key: 'ceIPSecPlutoSocket',
    field: 'plutoSocket',
    type: { kind: 'path' },
    default: undefined,
    env: ['CE_IPSEC_PLUTOSOCKET'],
    secret: false,
    doc: "The host pluto's control socket (e.g. /run/pluto/pluto.ctl); required when ceIPSecPlutoMode=host.",
  }),
];

/** Schema entries by key. */
export const SCHEMA_BY_KEY: ReadonlyMap<string, KeyDef> = new Map(SCHEMA.map((d) => [d.key, d]));

/** All canonical key names. */
export const CONFIG_KEYS: readonly ConfigKey[] = SCHEMA.map((d) => d.key);

/** The schema entry of `key` (throws on a key not in the table: a programming error). */
export function keyDef(key: ConfigKey): KeyDef {
  const d = SCHEMA_BY_KEY.get(key);
  if (!d) throw new Error(`no schema entry for ${key}`);
  return d;
}
