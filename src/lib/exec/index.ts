/**
 * The only module that starts processes (through execa). Always an argument
 * array, never a shell string; always a timeout for commands that should end.
 * Failures become ExecError, carrying the command (never its stdin, which may
 * hold a secret), the exit code and stderr.
 */
import { execa, type ResultPromise } from 'execa';
import { CabledError } from '../errors.js';

export interface RunOptions {
  /** Kill the command after this long. Required: nothing runs unbounded. */
  timeoutMs: number;
  /** Data for stdin (e.g. a secret); never logged or put in messages. */
  input?: string;
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

/** Runs a command to completion. */
export async function run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const command = [file, ...args].join(' ');
  const result = await execa(file, args, {
    timeout: options.timeoutMs,
    input: options.input,
    env: options.env,
    reject: false,
    stripFinalNewline: false,
  });
  const durationMs = performance.now() - started;
  const stderr = String(result.stderr ?? '');
  if (result.timedOut) {
    throw new ExecError(`${command}: timed out after ${options.timeoutMs} ms`, command, undefined, stderr, true);
  }
  if (result.failed && result.exitCode === undefined) {
    throw new ExecError(`${command}: ${result.shortMessage}`, command, undefined, stderr, false, {
      cause: result.cause,
    });
  }
  const exitCode = result.exitCode ?? 0;
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
  return { exitCode, stdout: String(result.stdout ?? ''), stderr, durationMs };
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Extend the parent's environment. @default true */
  extendEnv?: boolean;
}

export type ChildProcess = ResultPromise<{
  stdin: 'pipe';
  stdout: 'pipe';
  stderr: 'pipe';
  reject: false;
  buffer: false;
}>;

/**
 * Starts a long-running process (a driver, a daemon) with piped stdio.
 * Its lifetime is the caller's to manage; it is killed if this process exits.
 */
export function spawn(file: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return execa(file, args, {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    buffer: false,
    cleanup: true,
    env: options.env,
    extendEnv: options.extendEnv ?? true,
  });
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
  const child = execa(file, args, {
    detached: true,
    cleanup: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: options.stderrFile ? { file: options.stderrFile, append: true } : 'ignore',
    reject: false,
  });
  if (child.pid === undefined) throw new ExecError(`${file}: could not be started`, file, undefined, '', false);
  child.unref();
  const exited = child.then((r) => ({ exitCode: r.exitCode, signal: r.signal }));
  return { pid: child.pid, exited };
}
