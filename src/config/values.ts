/**
 * The typed values of the driver configuration, one field per schema key, and
 * where each came from. Types only: the schema (schema.ts) names these fields
 * and cable-config.ts builds on them, without either importing the other.
 */

/** Where a value came from: its default, an env var, or the ConfigMap key at a path. */
export type ConfigSource = 'default' | `env:${string}` | `configmap:${string}`;

/** The typed values, one field per schema key. */
export interface CableConfigValues {
  /** @default 'tunnel' */
  readonly mode: 'tunnel' | 'transport';
  /** '' = no overlay. @default '' */
  readonly overlay: 'vxlan' | '';
  /** DH groups for PFS; empty = libreswan default. */
  readonly pfsGroups: readonly string[];
  /** ESP proposals; empty = libreswan default. */
  readonly esp: readonly string[];
  /** IKE proposals; empty = libreswan default. */
  readonly ike: readonly string[];
  /** secret: the PSK (from ceIPSecPSK, or read from pskFile and base64-encoded). */
  readonly psk: string | undefined;
  /** The file the PSK was read from, if any. */
  readonly pskFile: string | undefined;
  /** @default false */
  readonly allowShortPsk: boolean;
  /** @default 4500 */
  readonly nattPort: number;
  /** undefined = IKE runs on nattPort (see effectiveIkePort). */
  readonly ikePort: number | undefined;
  /** @default false */
  readonly forceEncaps: boolean;
  /** @default false */
  readonly debug: boolean;
  /** @default false */
  readonly preferredServer: boolean;
  /** @default 'no' */
  readonly nicOffload: 'no' | 'yes' | 'auto' | 'crypto' | 'packet';
  /** @default 4789 */
  readonly vxlanPort: number;
  /** @default 'own' */
  readonly plutoMode: 'own' | 'host';
  /** Required when plutoMode is 'host'. */
  readonly plutoSocket: string | undefined;
}
