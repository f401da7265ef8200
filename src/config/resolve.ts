/**
 * Merges layers (lowest precedence first) over the schema defaults and turns
 * each winning raw value into a typed one, collecting every problem.
 *
 * The PSK and the PSK file are one choice: the highest layer that sets either
 * supplies both, so a ConfigMap PSK replaces an env CE_IPSEC_PSKSECRET rather
 * than clashing with it. Setting both in the same layer is an issue.
 */
import type { ConfigIssue } from '../lib/errors.js';
import type { CableConfigValues, ConfigSource } from './cable-config.js';
import { coerceBool, coerceEnum, coerceList, coercePort, coerceString, showValue, type Coerced } from './coerce.js';
import type { Layer, LayerEntry } from './layer.js';
import { redacted } from './redact.js';
import { SCHEMA, type ConfigKey, type ConfigValue, type KeyDef } from './schema.js';

/** Typed values (unset keys absent), their sources, and the issues found. */
export interface Resolved {
  readonly values: Partial<Record<keyof CableConfigValues, ConfigValue>>;
  readonly sources: Record<ConfigKey, ConfigSource>;
  /** The name each set key was given under (env var or ConfigMap key), for messages. */
  readonly from: Map<ConfigKey, string>;
  /** Keys whose value was rejected (cross-key rules skip them). */
  readonly failed: Set<ConfigKey>;
  readonly issues: ConfigIssue[];
}

const PSK_CHOICE: readonly ConfigKey[] = ['ceIPSecPSK', 'ceIPSecPSKFile'];

function coerce(d: KeyDef, raw: unknown): Coerced<ConfigValue> {
  switch (d.type.kind) {
    case 'enum':
      return coerceEnum(raw, d.type.allowed);
    case 'list':
      return coerceList(raw);
    case 'bool':
      return coerceBool(raw);
    case 'port':
      return coercePort(raw);
    case 'string':
      // Secrets are used verbatim: trimming, or YAML reading 0x12 as a number, would change the key.
      if (!d.secret) return coerceString(raw);
      return typeof raw === 'string'
        ? { ok: true, value: raw }
        : { ok: false, reason: 'not a string; quote the PSK so that YAML keeps it exactly' };
    case 'path': {
      const s = coerceString(raw);
      if (s.ok && !s.value.startsWith('/'))
        return { ok: false, reason: 'not an absolute path; use a path starting with /' };
      return s;
    }
  }
}

/** The entry that wins for each key: the last layer that sets it (PSK and PSK file chosen together). */
function pick(layers: readonly Layer[], issues: ConfigIssue[]): Map<ConfigKey, LayerEntry> {
  const chosen = new Map<ConfigKey, LayerEntry>();
  for (const layer of layers) {
    for (const [key, entry] of layer.entries) chosen.set(key, entry);
    if (PSK_CHOICE.some((k) => layer.entries.has(k))) {
      for (const k of PSK_CHOICE) if (!layer.entries.has(k)) chosen.delete(k);
      const psk = layer.entries.get('ceIPSecPSK');
      const file = layer.entries.get('ceIPSecPSKFile');
      if (psk && file) {
        issues.push({
          key: psk.from,
          value: redacted(psk.raw),
          reason: `${file.from} sets the PSK too; keep either ${psk.from} or ${file.from}`,
        });
        for (const k of PSK_CHOICE) chosen.delete(k);
      }
    }
  }
  return chosen;
}

/** The typed value of one entry, or the issues that reject it. */
function check(d: KeyDef, entry: LayerEntry): { value?: ConfigValue; issues: ConfigIssue[] } {
  const c = coerce(d, entry.raw);
  if (!c.ok)
    return {
      issues: [{ key: entry.from, value: d.secret ? redacted(entry.raw) : showValue(entry.raw), reason: c.reason }],
    };
  if (d.type.kind === 'list' && d.type.item && Array.isArray(c.value)) {
    const itemCheck = d.type.item;
    const issues = c.value.flatMap((item) => {
      const reason = itemCheck(item);
      return reason === undefined ? [] : [{ key: entry.from, value: item, reason }];
    });
    if (issues.length) return { issues };
  }
  return { value: c.value, issues: [] };
}

/**
 * Merges `layers` (lowest precedence first) over the defaults and coerces
 * every value. Values a higher layer overrides are checked too: a bad env var
 * is reported even while the ConfigMap hides it.
 */
export function resolveLayers(layers: readonly Layer[]): Resolved {
  const issues: ConfigIssue[] = layers.flatMap((l) => l.issues);
  const chosen = pick(layers, issues);
  const values: Partial<Record<keyof CableConfigValues, ConfigValue>> = {};
  const sources = {} as Record<ConfigKey, ConfigSource>;
  const from = new Map<ConfigKey, string>();
  const failed = new Set<ConfigKey>();
  for (const d of SCHEMA) {
    const entry = chosen.get(d.key);
    for (const layer of layers) {
      const other = layer.entries.get(d.key);
      if (other && other !== entry) issues.push(...check(d, other).issues);
    }
    sources[d.key] = entry?.source ?? 'default';
    if (!entry) {
      if (d.default !== undefined) values[d.field] = d.default;
      continue;
    }
    from.set(d.key, entry.from);
    const c = check(d, entry);
    issues.push(...c.issues);
    if (c.value === undefined) failed.add(d.key);
    else values[d.field] = c.value;
  }
  return { values, sources, from, failed, issues };
}
