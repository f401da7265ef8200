/**
 * Turns raw values (YAML scalars, env strings) into typed ones. Each coercer
 * returns the value or the reason it cannot, so callers collect every problem
 * instead of stopping at the first. Shared by the config loader and the
 * endpoints parser.
 */

/** A typed value, or why the raw value could not become one. */
export type Coerced<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Coerced<T> => ({ ok: true, value });
const bad = <T>(reason: string): Coerced<T> => ({ ok: false, reason });

const TRUE = new Set(['true', 'yes', '1', 'on']);
const FALSE = new Set(['false', 'no', '0', 'off']);

/** true/false/yes/no/1/0 (any case), YAML booleans, and the numbers 1 and 0. */
export function coerceBool(raw: unknown): Coerced<boolean> {
  if (typeof raw === 'boolean') return ok(raw);
  if (raw === 1 || raw === 0) return ok(raw === 1);
  if (typeof raw === 'string') {
    const s = raw.trim().toLowerCase();
    if (TRUE.has(s)) return ok(true);
    if (FALSE.has(s)) return ok(false);
  }
  return bad('not a boolean; use true or false');
}

/** An integer in [min, max], given as a number or a numeric string. */
export function coerceInt(raw: unknown, min: number, max: number): Coerced<number> {
  let n: number | undefined;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)) n = Number(raw);
  if (n === undefined || !Number.isInteger(n)) return bad(`not an integer; use a number from ${min} to ${max}`);
  if (n < min || n > max) return bad(`out of range; use a number from ${min} to ${max}`);
  return ok(n);
}

/** A UDP/TCP port, 1-65535. */
export function coercePort(raw: unknown): Coerced<number> {
  return coerceInt(raw, 1, 65535);
}

/** A string; numbers are accepted and converted. */
export function coerceString(raw: unknown): Coerced<string> {
  if (typeof raw === 'string') return ok(raw.trim());
  if (typeof raw === 'number' && Number.isFinite(raw)) return ok(String(raw));
  return bad('not a string; quote the value');
}

/** One of `allowed` (matched case-insensitively, returned as written in `allowed`). */
export function coerceEnum<T extends string>(raw: unknown, allowed: readonly T[]): Coerced<T> {
  const s = coerceString(raw);
  if (!s.ok) return bad(`${s.reason}; use one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  const hit = allowed.find((a) => a.toLowerCase() === s.value.toLowerCase());
  return hit !== undefined
    ? ok(hit)
    : bad(`not an accepted value; use one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
}

/** A YAML list of strings, or one comma-separated string; blanks are dropped. */
export function coerceList(raw: unknown): Coerced<string[]> {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (!items) return bad('not a list; use a YAML list ["a", "b"] or a comma-separated string "a,b"');
  const out: string[] = [];
  for (const item of items) {
    const s = coerceString(item);
    if (!s.ok) return bad(`list item ${JSON.stringify(item)} is not a string; quote each item`);
    out.push(
      ...s.value
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    );
  }
  return ok(out);
}

/** A raw value shown in a message: strings as is, others as JSON. */
export function showValue(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  try {
    return JSON.stringify(raw) ?? String(raw);
  } catch {
    return String(raw);
  }
}
