/**
 * Reads Submariner's CE_IPSEC_* env vars into a layer. Names come from the
 * schema (CE_IPSEC_PSK, CE_IPSEC_NATTPORT, CE_IPSEC_FORCEENCAPS, ... and
 * CE_IPSEC_<KEY> for our own keys). An empty variable counts as unset;
 * unknown CE_IPSEC_* variables (e.g. Submariner's CE_IPSEC_LOGFILE) are ignored.
 *
 * CE_IPSEC_PSKSECRET=<name> is Submariner's: the PSK is the file
 * <secretsDir>/<name>/psk (a mounted Secret), base64-encoded; it feeds
 * ceIPSecPSKFile. As in Submariner it wins over CE_IPSEC_PSK, which
 * `subctl join` sets to the same value anyway.
 */
import { join } from 'node:path';
import { emptyLayer, type Layer } from './layer.js';
import { redacted } from './redact.js';
import { SCHEMA } from './schema.js';

/** Where Submariner mounts the Secret named by CE_IPSEC_PSKSECRET. */
export const SUBMARINER_SECRETS_DIR = '/var/run/secrets/submariner.io';

/** Env vars, as process.env holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The environment's layer. `secretsDir` replaces SUBMARINER_SECRETS_DIR (tests). */
export function envLayer(env: Env, secretsDir: string = SUBMARINER_SECRETS_DIR): Layer {
  const layer = emptyLayer('environment');
  for (const d of SCHEMA) {
    for (const name of d.env) {
      const text = env[name];
      if (text === undefined || text.trim() === '') continue;
      let raw: string = text;
      if (name === 'CE_IPSEC_PSKSECRET') {
        const secret = text.trim();
        if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(secret)) {
          layer.issues.push({
            key: name,
            value: secret,
            reason: 'not a Secret name; use the name of the Secret that holds the PSK, e.g. submariner-ipsec-psk',
          });
          continue;
        }
        raw = join(secretsDir, secret, 'psk');
      }
      const other = layer.entries.get(d.key);
      if (other) {
        layer.issues.push({
          key: name,
          value: d.secret ? redacted(raw) : raw,
          reason: `${other.from} sets ${d.key} too; unset one of them`,
        });
        continue;
      }
      layer.entries.set(d.key, { raw, from: name, source: `env:${name}` });
    }
  }
  // Submariner: CE_IPSEC_PSKSECRET wins over CE_IPSEC_PSK. Other pairs are reported by resolve.ts.
  if (layer.entries.get('ceIPSecPSKFile')?.from === 'CE_IPSEC_PSKSECRET') layer.entries.delete('ceIPSecPSK');
  return layer;
}
