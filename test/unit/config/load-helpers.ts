/**
 * Test helpers: load a configuration from ConfigMap text and env vars, and
 * catch the ConfigError of a bad one.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CableConfig } from '../../../src/config/cable-config.js';
import type { Env } from '../../../src/config/env-source.js';
import { loadConfig, type LoadConfigOptions } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/lib/errors.js';
import { removeDir, tempDir } from '../../../lab/fs-helpers.js';

/** Loads `text` as a single ConfigMap file plus `env` (no process.env). */
export async function loadText(
  text: string | undefined,
  env: Env = {},
  extra: Partial<LoadConfigOptions> = {},
): Promise<CableConfig> {
  const dir = tempDir();
  try {
    let path: string | undefined;
    if (text !== undefined) {
      path = join(dir, 'ceCustomConfig');
      writeFileSync(path, text);
    }
    return await loadConfig({ path, env, ...extra });
  } finally {
    removeDir(dir);
  }
}

/** Loads like loadText and returns the ConfigError it must throw. */
export async function loadError(
  text: string | undefined,
  env: Env = {},
  extra: Partial<LoadConfigOptions> = {},
): Promise<ConfigError> {
  try {
    await loadText(text, env, extra);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the configuration to be rejected');
}

/** The issue about `key`, asserting there is exactly one. */
export function issueFor(err: ConfigError, key: string): { key: string; value: string; reason: string } {
  const found = err.issues.filter((i) => i.key === key);
  assert.equal(found.length, 1, `expected one issue for ${key}, got: ${err.message}`);
  return found[0]!;
}

/** A PSK long enough to pass (40 bytes). */
export const GOOD_PSK = 'b64-like-psk-0123456789abcdefghijklmnopq';
