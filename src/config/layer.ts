/**
 * A layer is what one source (the environment, the ConfigMap) says: raw
 * values by canonical key, each with the name the user wrote (an env var or a
 * ConfigMap key, for messages) and the source label status shows.
 */
import type { ConfigIssue } from '../lib/errors.js';
import type { ConfigSource } from './cable-config.js';
import { showableKey } from './custom-config-text.js';
import { redacted } from './redact.js';
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
  /** Problems that do not reject the layer (YAML warnings), safe to log: no values. */
  readonly warnings: string[];
}

/** An empty layer. */
export function emptyLayer(label: string): Layer {
  return { label, entries: new Map(), issues: [], warnings: [] };
}

/**
 * A layer from parsed ConfigMap pairs. Unknown keys become issues that name
 * the close known keys; a null value (`key:` with nothing after it) means unset.
 * The value of an unknown key is never shown (a misspelt PSK key such as
 * ceIPSecPKS holds the PSK), nor a key that does not look like a key name.
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
      const reason = unknownKeyReason(key, CONFIG_KEYS);
      const far = reason.includes('known keys are');
      layer.issues.push(
        showableKey(key)
          ? { key, value: redacted(raw), reason: unknownKeyHint && far ? `${reason} (${unknownKeyHint})` : reason }
          : {
              key: `(a key of ${key.length} characters)`,
              value: redacted(raw),
              reason: 'not a key name, so not shown; keys look like ceIPSecPSK: write one "key: value" per line',
            },
      );
      continue;
    }
    if (raw === null || raw === undefined) continue;
    layer.entries.set(d.key, { raw, from: key, source });
  }
  return layer;
}
