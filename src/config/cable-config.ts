/**
 * The validated driver configuration (CableConfig) and its two outward
 * forms: toDriverConfig() for the driver's Init call (secrets kept apart) and
 * describe() for status output (secrets left out).
 */
import { SCHEMA, type ConfigKey, type ConfigValue } from './schema.js';
import type { CableConfigValues, ConfigSource } from './values.js';

export type { CableConfigValues, ConfigSource } from './values.js';

/** A validated, frozen configuration. */
export interface CableConfig extends CableConfigValues {
  /** Where each key's effective value came from (for status output). */
  readonly sources: Readonly<Record<ConfigKey, ConfigSource>>;
}

/** The port IKE uses: ceIPSecIKEPort when set, else the NAT-T port (Submariner's behaviour since 2021). */
export function effectiveIkePort(cfg: CableConfigValues): number {
  return cfg.ikePort ?? cfg.nattPort;
}

/** A value as the driver and status see it: lists comma-joined, booleans "true"/"false". */
export function formatValue(value: ConfigValue): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Keys that describe where a value came from rather than how the driver works. */
const NOT_FOR_DRIVER: ReadonlySet<ConfigKey> = new Set(['ceIPSecPSKFile']);

/**
 * The Init request's maps: canonical key → string. Secrets (the PSK) go to
 * `secrets` only; unset keys are left out.
 */
export function toDriverConfig(cfg: CableConfigValues): {
  config: Record<string, string>;
  secrets: Record<string, string>;
} {
  const config: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const d of SCHEMA) {
    const value = cfg[d.field] as ConfigValue | undefined;
    if (value === undefined || NOT_FOR_DRIVER.has(d.key)) continue;
    (d.secret ? secrets : config)[d.key] = formatValue(value);
  }
  return { config, secrets };
}

/** Every key's value for status output; a set secret shows as "[redacted]", an unset key as "". */
export function describe(cfg: CableConfigValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of SCHEMA) {
    const value = cfg[d.field] as ConfigValue | undefined;
    if (d.secret) out[d.key] = value === undefined ? '' : '[redacted]';
    else out[d.key] = value === undefined ? '' : formatValue(value);
  }
  return out;
}
