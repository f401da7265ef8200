/**
 * Loads the driver configuration.
 *
 * Precedence, lowest first (each later source replaces a key set earlier):
 *   1. defaults     the schema (schema.ts)
 *   2. environment  Submariner's CE_IPSEC_* env vars (env-source.ts)
 *   3. ConfigMap    the `ceCustomConfig` key (configmap-source.ts)
 * The ConfigMap wins because it is the more specific source and the only one
 * that can change while the engine runs (it is watched and hot-reloaded).
 * Inside the environment, CE_IPSEC_PSKSECRET wins over CE_IPSEC_PSK, as in
 * Submariner. The PSK and the PSK file are one choice: the highest source
 * setting either supplies the PSK. `cfg.sources` says where each value came
 * from; `possibleSources(key)` lists where it may come from.
 *
 * Every problem is collected, then thrown together as one ConfigError. No
 * message ever holds a PSK: its value is shown as `[redacted, N bytes]`.
 */
import { ConfigError } from '../lib/errors.js';
import { registerSecretValue } from '../lib/logger.js';
import type { CableConfig, CableConfigValues, ConfigSource } from './cable-config.js';
import { CUSTOM_CONFIG_KEY } from './custom-config-text.js';
import { configMapLayer } from './configmap-source.js';
import { envLayer, type Env } from './env-source.js';
import { emptyLayer, layerFromValues, type Layer } from './layer.js';
import { readPskFile } from './psk-file.js';
import { resolveLayers } from './resolve.js';
import { checkRules } from './rules.js';
import { keyDef, SCHEMA, type ConfigKey } from './schema.js';

/** Where to read the configuration from. */
export interface LoadConfigOptions {
  /** The ConfigMap: its mount directory, or one file (bare text or manifest). Unset = no ConfigMap. */
  readonly path?: string;
  /** @default process.env */
  readonly env?: Env;
  /** Base directory for CE_IPSEC_PSKSECRET. @default '/var/run/secrets/submariner.io' */
  readonly secretsDir?: string;
  /** Receives the ConfigMap's YAML warnings of each load (key and position only, never values). */
  readonly onWarnings?: (warnings: readonly string[]) => void;
}

/** The sources a key may come from, lowest precedence first, e.g. ['default', 'env:CE_IPSEC_NATTPORT', 'configmap:ceCustomConfig']. */
export function possibleSources(key: ConfigKey): string[] {
  return ['default', ...keyDef(key).env.map((e) => `env:${e}`), `configmap:${CUSTOM_CONFIG_KEY}`];
}

/** Loads, merges and validates the configuration; throws ConfigError listing every problem. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<CableConfig> {
  const env = envLayer(options.env ?? process.env, options.secretsDir);
  const cm = options.path !== undefined ? await configMapLayer(options.path) : emptyLayer('no ConfigMap');
  options.onWarnings?.(cm.warnings);
  const r = resolveLayers([env, cm]);
  const values = { ...r.values };
  const issues = [...r.issues];

  let pskKey: ConfigKey | undefined = values.psk !== undefined ? 'ceIPSecPSK' : undefined;
  if (typeof values.pskFile === 'string') {
    const read = await readPskFile(values.pskFile);
    if (read.ok) {
      values.psk = read.psk;
      pskKey = 'ceIPSecPSKFile';
    } else {
      issues.push({
        key: r.from.get('ceIPSecPSKFile') ?? 'ceIPSecPSKFile',
        value: values.pskFile,
        reason: read.reason,
      });
    }
  }
  issues.push(...checkRules({ values, from: r.from, failed: r.failed, pskKey }));
  registerSecrets([env, cm], values.psk);

  const label = options.path !== undefined ? `${cm.label} and the environment` : 'the environment';
  if (issues.length) throw new ConfigError(label, issues);
  return freeze(values as unknown as CableConfigValues, r.sources);
}

/**
 * The configuration a driver receives in its Init request (canonical keys,
 * string values; the PSK in `secrets`), validated with the same schema and
 * rules as the engine's sources. Throws ConfigError naming every bad key.
 */
export function configFromDriverMaps(config: Record<string, string>, secrets: Record<string, string>): CableConfig {
  const layer = layerFromValues('the Init request', 'configmap:Init', { ...config, ...secrets });
  const r = resolveLayers([layer]);
  const values = { ...r.values };
  registerSecrets([layer], values.psk);
  const issues = [
    ...r.issues,
    ...checkRules({
      values,
      from: r.from,
      failed: r.failed,
      pskKey: values.psk !== undefined ? 'ceIPSecPSK' : undefined,
    }),
  ];
  if (issues.length) throw new ConfigError('the Init request', issues);
  return freeze(values as unknown as CableConfigValues, r.sources);
}

/** Every PSK read (even a rejected one) is kept out of this process's logs. */
function registerSecrets(layers: readonly Layer[], psk: unknown): void {
  for (const layer of layers) {
    const raw = layer.entries.get('ceIPSecPSK')?.raw;
    if (typeof raw === 'string') registerSecretValue(raw);
  }
  if (typeof psk === 'string') registerSecretValue(psk);
}

function freeze(values: CableConfigValues, sources: Record<ConfigKey, ConfigSource>): CableConfig {
  const out: Record<string, unknown> = {};
  for (const d of SCHEMA) {
    const v = values[d.field];
    out[d.field] = Array.isArray(v) ? Object.freeze([...v]) : v;
  }
  out.sources = Object.freeze({ ...sources });
  return Object.freeze(out) as unknown as CableConfig;
}
