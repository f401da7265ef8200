/**
 * The libreswan version as `whack --version` prints it ("Libreswan 4.10"),
 * parsed once per adapter; everything version-dependent keys off it.
 */
import { FailedPreconditionError } from '../errors.js';

/** A parsed libreswan version. */
export interface LibreswanVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The text it came from, e.g. "Libreswan 4.10". */
  readonly raw: string;
}

const VERSION_RE = /Libreswan\s+[vU]?(\d+)\.(\d+)(?:\.(\d+))?/i;

/**
 * Parses `whack --version` output: "Libreswan 4.10", "Libreswan v5.0rc1",
 * "Libreswan U4.10/K...". Throws FailedPreconditionError on anything else.
 */
export function parseVersion(text: string): LibreswanVersion {
  const m = VERSION_RE.exec(text);
  if (!m)
    throw new FailedPreconditionError(
      `whack --version printed no libreswan version: ${JSON.stringify(text.trim().slice(0, 200))}`,
    );
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), raw: m[0] };
}

/** A version from "4.10" / "5.3.1" (tests, configuration). */
export function version(text: string): LibreswanVersion {
  return parseVersion(`Libreswan ${text}`);
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: LibreswanVersion, b: LibreswanVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** True when `v` is at least major.minor. */
export function atLeast(v: LibreswanVersion, major: number, minor = 0): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** "4.10" or "5.3.1". */
export function formatVersion(v: LibreswanVersion): string {
  return v.patch ? `${v.major}.${v.minor}.${v.patch}` : `${v.major}.${v.minor}`;
}
