/**
 * A layer is what one source (the environment, the ConfigMap) says: raw
 * values by canonical key, each with the name the user wrote (an env var or a
 * ConfigMap key, for messages) and the source label status shows.
 */
import type { ConfigIssue } from '../lib/errors.js';
import type { ConfigSource } from './cable-config.js';
import { showValue } from './coerce.js';
import { redacted, SECRET_KEY } from './redact.js';
import { CONFIG_KEYS, SCHEMA_BY_KEY, type ConfigKey } from './schema.js';
import { unknownKeyReason } from './suggest.js';

/** One raw value and where it came from. */
export interface LayerEntry {
  readonly raw: unknown;
  /** The name the user wrote: "CE_IPSEC_NATTPORT" or "ceIPSecNATTPort". */
  readonly from: string;
  readonly source: ConfigSource;
}

/** What one source sets, plus the problems found while reading it. */
export interface Layer {
  /** For messages, e.g. "environment" or "ConfigMap /etc/cabled/ceCustomConfig". */
  readonly label: string;
  readonly entries: Map<ConfigKey, LayerEntry>;
  readonly issues: ConfigIssue[];
}

/** An empty layer. */
export function emptyLayer(label: string): Layer {
  return { label, entries: new Map(), issues: [] };
}

/**
 * A layer from parsed ConfigMap pairs. Unknown keys become issues that name
 * the close known keys; a null value (`key:` with nothing after it) means unset.
 */
export function layerFromValues(
  label: string,
  source: ConfigSource,
  values: Record<string, unknown>,
  /** Appended to the reason of an unknown key that is close to no known one, e.g. which forms a file may take. */
  unknownKeyHint = '',
): Layer {
  const layer = emptyLayer(label);
  for (const [key, raw] of Object.entries(values)) {
    const d = SCHEMA_BY_KEY.get(key);
    if (!d) {
      const value = SECRET_KEY.test(key) ? redacted(raw) : showValue(raw);
      const reason = unknownKeyReason(key, CONFIG_KEYS);
      const far = reason.includes('known keys are');
      layer.issues.push({ key, value, reason: unknownKeyHint && far ? `${reason} (${unknownKeyHint})` : reason });
      continue;
    }
    if (raw === null || raw === undefined) continue;
    layer.entries.set(d.key, { raw, from: key, source });
  }
  return layer;
}
