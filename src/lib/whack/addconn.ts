/**
 * Loads many connections with ONE addconn call instead of one whack call
 * each: writes the `conn` sections to a file, then runs
 *   /usr/libexec/ipsec/addconn --ctlsocket S --config F <names...>   (auto=add: load only)
 *   /usr/libexec/ipsec/addconn --ctlsocket S --config F --autoall    (auto=route/start: also route/initiate)
 * addconn replaces connections of the same name. 4.10 addconn prints nothing
 * per connection and exits with the last failure's RC, so the result is
 * checked against `whack --status` (which connections are really loaded).
 * --autoall also makes pluto rescan interfaces (--listen) and reload secrets.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WhackError } from './errors.js';
import type { WhackAdapter, Runner } from './adapter.js';
import { type ConnAuto, renderConnFile } from './conn-file.js';
import type { ConnectionSpec } from './connection.js';
import { run } from '../exec/index.js';
import type { Logger } from '../logger.js';

/** Default addconn binary. */
export const ADDCONN_PATH = '/usr/libexec/ipsec/addconn';

export interface AddconnOptions {
  /** The file to (over)write with the conn sections; keep it next to pluto's files. */
  file: string;
  /** @default 'add' */
  auto?: ConnAuto;
  /** @default /usr/libexec/ipsec/addconn */
  addconnPath?: string;
  /** @default 60000 (1000 connections take a few seconds) */
  timeoutMs?: number;
  /** Run inside this network namespace (tests). */
  netns?: string;
  /** Check with --status which names got loaded. @default true */
  verify?: boolean;
  logger?: Logger;
  runner?: Runner;
}

/** What one addconn call did. */
export interface AddconnResult {
  loaded: string[];
  /** Names pluto did not load (the reason is only in pluto's log, e.g. an unknown algorithm). */
  failed: string[];
  exitCode: number;
  durationMs: number;
}

/** Writes `specs` to options.file and loads them with one addconn call. */
export async function loadWithAddconn(
  whack: WhackAdapter,
  specs: readonly ConnectionSpec[],
  options: AddconnOptions,
): Promise<AddconnResult> {
  const started = performance.now();
  const auto = options.auto ?? 'add';
  const rendered = renderConnFile(await whack.version(), specs, auto);
  for (const w of rendered.warnings) options.logger?.warn(w);
  await mkdir(dirname(options.file), { recursive: true });
  const tmp = `${options.file}.tmp-${process.pid}`;
  await writeFile(tmp, rendered.text, { mode: 0o644 });
  await rename(tmp, options.file);
  const names = specs.map((s) => s.name);
  const args = ['--ctlsocket', whack.socket, '--config', options.file, ...(auto === 'add' ? names : ['--autoall'])];
  const path = options.addconnPath ?? ADDCONN_PATH;
  const [file, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, path, ...args]] : [path, args];
  const r = await (options.runner ?? run)(file, argv, { timeoutMs: options.timeoutMs ?? 60_000, allowFailure: true });
  if (/Pluto is not running|connect\(\) for/.test(r.stderr)) {
    throw new WhackError(`addconn: pluto is not running (no ${whack.socket})`, r.exitCode, [], r.stderr);
  }
  if (/cannot load config/.test(r.stderr)) {
    throw new WhackError(`addconn: ${r.stderr.trim()}`, r.exitCode, [], r.stderr);
  }
  let loaded = names;
  let failed: string[] = [];
  if (options.verify ?? true) {
    const present = await whack.connections();
    loaded = names.filter((n) => present.has(n));
    failed = names.filter((n) => !present.has(n));
  } else if (r.exitCode !== 0) {
    throw new WhackError(
      `addconn exit code ${r.exitCode}: ${r.stderr.trim() || 'see the pluto log'}`,
      r.exitCode,
      [],
      r.stderr,
    );
  }
  return { loaded, failed, exitCode: r.exitCode, durationMs: performance.now() - started };
}
