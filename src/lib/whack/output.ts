/**
 * whack's output as lines: libreswan 4.x puts a 3-digit RC code before every
 * line ("002 ", "020 "...), 5.x does not. The code is kept per line; RCs
 * 20..99 are errors (whack's own rule), everything else is information.
 */

/** One output line, RC prefix removed. */
export interface WhackLine {
  /** The RC code of a 4.x line; undefined on 5.x or an unprefixed line. */
  readonly code?: number;
  readonly text: string;
}

const RC_PREFIX = /^(\d{3}) /;

/** Splits stdout into lines and strips the `/^\d{3} /` prefix, keeping it as `code`. Drops a final empty line. */
export function parseWhackOutput(stdout: string): WhackLine[] {
  const raw = stdout.split('\n');
  if (raw.length && raw[raw.length - 1] === '') raw.pop();
  return raw.map((line) => {
    const m = RC_PREFIX.exec(line);
    return m ? { code: Number(m[1]), text: line.slice(4) } : { text: line === '000' ? '' : line };
  });
}

/** The text of the lines, one per line (what 5.x prints). */
export function linesText(lines: readonly WhackLine[]): string {
  return lines.map((l) => l.text).join('\n');
}

/** True for RC codes whack itself counts as failures (20 <= rc < 100). */
export function isErrorCode(code: number | undefined): boolean {
  return code !== undefined && code >= 20 && code < 100;
}

/** Known RC numbers (4.x include/lswlog.h; 5.0 renumbered the permanent failures). */
export const RC = {
  DUPNAME: 20,
  UNKNOWN_NAME: 21,
  ORIENT: 22,
  DEAF: 24,
  ROUTE: 25,
  BADID: 27,
  NOPEERIP: 29,
  WHACK_PROBLEM: 33,
  FATAL_4: 36,
  FATAL_5: 56,
} as const;
