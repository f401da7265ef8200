/**
 * Typed whack failures and the one function that turns a finished whack
 * process into success or one of them. Success is never read from the exit
 * code alone (4.x: an error line followed by a success line exits 0), and
 * stderr text alone is not failure (5.3 prints deprecation warnings there).
 */
import { status } from '@grpc/grpc-js';
import { CabledError, UnavailableError } from '../errors.js';
import { isErrorCode, type WhackLine } from './output.js';

/** A whack call that pluto or whack refused. */
export class WhackError extends CabledError {
  constructor(
    message: string,
    /** The RC code (4.x line code, else whack's exit code), when known. */
    readonly rc: number | undefined,
    /** Output lines (RC prefix stripped). */
    readonly lines: readonly WhackLine[],
    readonly stderr: string,
    code: status = status.INTERNAL,
  ) {
    super(message, code);
  }
}

/** `attempt to redefine connection "x"` (rc 20): the caller may treat it as "exists". */
export class ConnectionExistsError extends WhackError {
  constructor(
    readonly connection: string,
    lines: readonly WhackLine[],
    stderr: string,
  ) {
    super(`connection "${connection}" already exists in pluto`, 20, lines, stderr, status.ALREADY_EXISTS);
  }
}

/** A flag this whack does not know (names the flag and the version). */
export class WhackOptionError extends WhackError {
  constructor(
    readonly flag: string,
    readonly versionText: string,
    lines: readonly WhackLine[],
    stderr: string,
  ) {
    super(`whack (${versionText}) does not know option ${flag}`, 33, lines, stderr, status.FAILED_PRECONDITION);
  }
}

/** What the caller ran, for messages. */
export interface WhackOutcome {
  exitCode: number;
  lines: readonly WhackLine[];
  stderr: string;
}

/** Lines of stderr that are warnings only (5.3 "warning: option ..." / 4.x "whack: ... ignored"). */
export function stderrWarnings(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/whack error|unrecognized option|not running/i.test(l));
}

/**
 * Decides whether a whack run failed; returns the error to throw, or
 * undefined on success. `tolerate` lists RC codes that are not failures for
 * this call. `versionText` names the version in option errors.
 */
export function whackFailure(
  what: string,
  socket: string,
  out: WhackOutcome,
  versionText: string,
  tolerate: readonly number[] = [],
): Error | undefined {
  const { exitCode, lines, stderr } = out;
  const notRunning = /Pluto is not running \(no "([^"]*)"\)/.exec(stderr);
  if (notRunning) return new UnavailableError(`pluto is not running (no ${notRunning[1] ?? socket})`);
  if (/connect\(\) for "[^"]*" failed|Connection refused/i.test(stderr) && exitCode !== 0) {
    return new UnavailableError(`pluto is not running (no answer on ${socket}): ${stderr.trim()}`);
  }
  const unknown =
    /unrecognized option '([^']+)'|option '([^']+)' (?:doesn't allow|requires) an argument|invalid option -- '?(\w)/.exec(
      stderr,
    );
  if (unknown) {
    const flag = unknown[1] ?? unknown[2] ?? `-${unknown[3] ?? '?'}`;
    return new WhackOptionError(flag, versionText, lines, stderr);
  }
  const redefine = lines.find((l) => /attempt to redefine connection "([^"]*)"/.test(l.text));
  if (redefine && !tolerate.includes(20)) {
    const name = /"([^"]*)"/.exec(redefine.text)?.[1] ?? '?';
    return new ConnectionExistsError(name, lines, stderr);
  }
  const errorLine = lines.find((l) => isErrorCode(l.code) && !tolerate.includes(l.code ?? -1));
  if (errorLine) return lineError(what, errorLine, lines, stderr);
  const whackError = /whack error: (.*)/.exec(stderr);
  if (whackError) {
    return new WhackError(`${what}: ${whackError[1] ?? ''}`.trim(), 33, lines, stderr, status.INVALID_ARGUMENT);
  }
  if (exitCode !== 0 && !tolerate.includes(exitCode)) {
    // 5.x: no RC prefixes; the last non-empty line usually carries the reason.
    const last = [...lines].reverse().find((l) => l.text.trim())?.text ?? stderr.trim().split('\n').pop() ?? '';
    return new WhackError(`${what}: whack exit code ${exitCode}${last ? `: ${last}` : ''}`, exitCode, lines, stderr);
  }
  return undefined;
}

function lineError(what: string, line: WhackLine, lines: readonly WhackLine[], stderr: string): WhackError {
  const code = line.code ?? 0;
  const grpc =
    code === 21
      ? status.NOT_FOUND
      : code === 36 || code === 56 || code === 33
        ? status.INVALID_ARGUMENT
        : status.INTERNAL;
  return new WhackError(`${what}: ${line.text} (rc ${code})`, code, lines, stderr, grpc);
}

/** True for an error a caller can treat as "the connection is already there". */
export function isExists(err: unknown): err is ConnectionExistsError {
  return err instanceof ConnectionExistsError;
}
