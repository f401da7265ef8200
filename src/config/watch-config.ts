/**
 * Keeps the driver configuration current: loads it once (a bad first load
 * throws), then re-loads whenever the ConfigMap directory or file changes
 * (including kubelet's `..data` symlink swap) and on a slow poll. A reload
 * that gives the same configuration calls nothing. A bad reload changes
 * nothing: the last good configuration stays in force and onError receives
 * the ConfigError (once per distinct error).
 */
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { describe, type CableConfig } from './cable-config.js';
import { loadConfig, type LoadConfigOptions } from './load.js';
import { watchPath } from './watch-file.js';

/** Options of watchConfig. */
export interface WatchConfigOptions extends LoadConfigOptions {
  /** The ConfigMap mount directory or a single file. */
  readonly path: string;
  /** A new, valid, different configuration is in force. */
  readonly onChange: (cfg: CableConfig, previous: CableConfig) => void;
  /** A reload failed (usually a ConfigError); the previous configuration stays in force. */
  readonly onError?: (err: Error) => void;
  /** A reload succeeded after onError, with the configuration already in force (so no onChange). */
  readonly onRecovered?: () => void;
  readonly logger?: Logger;
  /** @default 100 */
  readonly debounceMs?: number;
  /** Safety-net re-read interval (also picks up a rotated PSK file). @default 5000 */
  readonly pollMs?: number;
}

/** A running config watch. */
export interface ConfigWatch {
  /** The configuration in force (the last good one). */
  current(): CableConfig;
  /** The error of the latest reload, or undefined if it succeeded. */
  lastError(): Error | undefined;
  /** Stops watching. */
  close(): void;
}

const fingerprint = (cfg: CableConfig): string => JSON.stringify(cfg);

/** Names of the keys whose described value differs (secrets compare as "[redacted]" or by identity). */
function changedKeys(a: CableConfig, b: CableConfig): string[] {
  const da = describe(a);
  const db = describe(b);
  const keys = Object.keys(da).filter(
    (k) =>
      da[k] !== db[k] || a.sources[k as keyof CableConfig['sources']] !== b.sources[k as keyof CableConfig['sources']],
  );
  if (a.psk !== b.psk && !keys.includes('ceIPSecPSK')) keys.push('ceIPSecPSK');
  return keys;
}

/** Loads the configuration at `options.path` and keeps it current; rejects if the first load fails. */
export async function watchConfig(options: WatchConfigOptions): Promise<ConfigWatch> {
  const log = options.logger;
  let lastWarnings = '';
  const load: LoadConfigOptions = {
    path: options.path,
    env: { ...(options.env ?? process.env) },
    secretsDir: options.secretsDir,
    // YAML warnings go to the log (once per distinct set), never to stderr.
    onWarnings: (warnings) => {
      const text = warnings.join('; ');
      if (text && text !== lastWarnings) log?.warn('configuration warnings', { path: options.path, warnings });
      lastWarnings = text;
    },
  };
  let current = await loadConfig(load);
  let currentPrint = fingerprint(current);
  let error: Error | undefined;

  const reload = async (): Promise<void> => {
    let next: CableConfig;
    try {
      next = await loadConfig(load);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const repeated = error !== undefined && error.message === e.message;
      error = e;
      if (repeated) return;
      log?.warn('configuration update rejected; keeping the last good configuration', {
        path: options.path,
        error: e.message,
      });
      options.onError?.(e);
      return;
    }
    const recovered = error !== undefined;
    error = undefined;
    const print = fingerprint(next);
    if (print === currentPrint) {
      if (recovered) {
        log?.info('configuration valid again (unchanged from the one in force)', { path: options.path });
        options.onRecovered?.();
      }
      return;
    }
    const previous = current;
    [current, currentPrint] = [next, print];
    log?.info('configuration changed', { path: options.path, keys: changedKeys(previous, next) });
    try {
      options.onChange(next, previous);
    } catch (err) {
      log?.error('configuration change handler failed', { error: errorMessage(err) });
    }
  };

  const watch = watchPath({
    path: options.path,
    onEvent: reload,
    debounceMs: options.debounceMs,
    pollMs: options.pollMs,
    logger: log,
  });
  return {
    current: () => current,
    lastError: () => error,
    close: () => watch.close(),
  };
}
