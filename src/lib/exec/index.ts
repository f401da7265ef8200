/**
 * The only module that starts processes (with node:child_process; execa cost
 * every engine and driver ~7 MB and a noticeable part of its start-up).
 * Always an argument array, never a shell string; always a timeout for
 * commands that should end. Failures become ExecError, carrying the command
 * (never its stdin, which may hold a secret), the exit code and stderr.
 */
import { type ChildProcessWithoutNullStreams, type StdioOptions, spawn as spawnChild } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { CabledError } from '../errors.js';

export interface RunOptions {
  /** Kill the command after this long. Required: nothing runs unbounded. */
  timeoutMs: number;
  /** Data for stdin (e.g. a secret); never logged or put in messages. */
  input?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Resolve instead of throwing on a non-zero exit. @default false */
  allowFailure?: boolean;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export class ExecError extends CabledError {
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, undefined, options);
  }
}

/** A command's output is cut at this size (whack listings of thousands of connections stay far below). */
const MAX_OUTPUT = 100 * 1024 * 1024;
/** After a timeout's SIGTERM, SIGKILL follows this much later. */
const FORCE_KILL_MS = 5000;

/** Runs a command to completion. */
export async function run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const command = [file, ...args].join(' ');
  const child = spawnChild(file, [...args], {
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
  const out = collect(child.stdout);
  const err = collect(child.stderr);
  if (options.input !== undefined) {
    child.stdin?.on('error', () => undefined); // a command that exits without reading its input
    child.stdin?.end(options.input);
  }
  let timedOut = false;
  let forceKill: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_MS);
  }, options.timeoutMs);
  const ended = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  clearTimeout(timer);
  clearTimeout(forceKill);
  const durationMs = performance.now() - started;
  const stderr = err();
  if (timedOut) {
    throw new ExecError(`${command}: timed out after ${options.timeoutMs} ms`, command, undefined, stderr, true);
  }
  if (ended.error || ended.code === null) {
    const why = ended.error ? ended.error.message : `killed by ${child.signalCode ?? 'a signal'}`;
    throw new ExecError(`${command}: ${why}`, command, undefined, stderr, false, { cause: ended.error });
  }
  const exitCode = ended.code;
  if (exitCode !== 0 && !options.allowFailure) {
    const detail = stderr.trim().split('\n').slice(-3).join(' | ');
    throw new ExecError(
      `${command}: exit code ${exitCode}${detail ? `: ${detail}` : ''}`,
      command,
      exitCode,
      stderr,
      false,
    );
  }
  return { exitCode, stdout: out(), stderr, durationMs };
}

/** Collects a stream's text, up to MAX_OUTPUT. */
function collect(stream: NodeJS.ReadableStream | null): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream?.on('data', (chunk: Buffer) => {
    if (size >= MAX_OUTPUT) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  return () => Buffer.concat(chunks).toString('utf8');
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Extend the parent's environment. @default true */
  extendEnv?: boolean;
}

/** How a spawned process ended. `exitCode` is undefined when it was killed by a signal or could not start. */
export interface ExitResult {
  exitCode?: number;
  signal?: string;
  /** Why it could not be started (e.g. "spawn ping ENOENT"). */
  shortMessage?: string;
}

/**
 * A long-running child with piped stdio, which is also a promise of how it
 * ended (it never rejects): `await child`, `child.then(...)`. It settles once
 * the child has exited and what it wrote has been read (see STDIO_DRAIN_MS).
 */
export type ChildProcess = ChildProcessWithoutNullStreams &
  PromiseLike<ExitResult> & {
    catch(onRejected: (reason: unknown) => unknown): Promise<unknown>;
  };

/** How long a spawned child's promise waits, after it exited, for its stdout and stderr to be read to the end. */
export const STDIO_DRAIN_MS = 1000;

/** Children that die with this process (spawn's contract); daemons are not in here. */
const children = new Set<ChildProcessWithoutNullStreams>();
let killOnExit = false;

/**
 * Starts a long-running process (a driver, a daemon) with piped stdio.
 * Its lifetime is the caller's to manage; it is killed if this process exits.
 */
export function spawn(file: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const env = options.extendEnv === false ? options.env : { ...process.env, ...options.env };
  const child = spawnChild(file, [...args], { stdio: 'pipe', env });
  const ended = new Promise<ExitResult>((resolve) => {
    child.once('error', (error) => resolve({ shortMessage: error.message }));
    child.once('exit', (code, signal) => {
      const result = { ...(code !== null ? { exitCode: code } : {}), ...(signal ? { signal } : {}) };
      // What it wrote last may still be in the pipes when it exits (a ping's "unknown host" line reached
      // the pinger after its exit, once in a CI run): settle once they are read ('close'), or after
      // STDIO_DRAIN_MS when another process (a child it left behind) still holds them open.
      const drained = setTimeout(() => resolve(result), STDIO_DRAIN_MS);
      drained.unref();
      child.once('close', () => {
        clearTimeout(drained);
        resolve(result);
      });
    });
  });
  children.add(child);
  void ended.then(() => children.delete(child));
  if (!killOnExit) {
    killOnExit = true;
    process.once('exit', () => {
      for (const c of children) c.kill('SIGTERM');
    });
  }
  return Object.assign(child, {
    // biome-ignore lint/suspicious/noThenProperty: the child is a promise of its exit, as execa's was
    then: ended.then.bind(ended),
    catch: ended.catch.bind(ended),
  }) as ChildProcess;
}

export interface DaemonOptions {
  /** Append the daemon's stderr to this file (stdout is discarded); default: both discarded. */
  stderrFile?: string;
}

/**
 * A daemon that must outlive this process (pluto in own mode: a restarted
 * driver adopts it instead of tearing the SAs down). Detached, in its own
 * process group, not killed when we exit, and not keeping our event loop
 * alive. `exited` settles when it ends while we are still here.
 */
export function spawnDaemon(
  file: string,
  args: readonly string[],
  options: DaemonOptions = {},
): { pid: number; exited: Promise<{ exitCode?: number; signal?: string }> } {
  const stderr = options.stderrFile ? openSync(options.stderrFile, 'a') : 'ignore';
  let child: ReturnType<typeof spawnChild>;
  try {
    const stdio: StdioOptions = ['ignore', 'ignore', stderr];
    child = spawnChild(file, [...args], { detached: true, stdio });
  } finally {
    if (typeof stderr === 'number') closeSync(stderr);
  }
  if (child.pid === undefined) {
    child.on('error', () => undefined);
    throw new ExecError(`${file}: could not be started`, file, undefined, '', false);
  }
  child.unref();
  const exited = new Promise<{ exitCode?: number; signal?: string }>((resolve) => {
    child.once('error', () => resolve({}));
    child.once('exit', (code, signal) =>
      resolve({ ...(code !== null ? { exitCode: code } : {}), ...(signal ? { signal } : {}) }),
    );
  });
  return { pid: child.pid, exited };
}
