/**
 * Helpers for drivers that implement the single-cable calls on top of their
 * batch path (applyCables): one cable's result back as a value or an error.
 */
import type { CableResult } from '../generated/cabled/driver/v1/driver.js';
import { CabledError } from '../lib/errors.js';

/** The using IP of a one-cable ApplyCables result, or its error thrown. */
export function singleResult(results: readonly CableResult[]): string {
  const r = results[0];
  if (r?.error) throw new CabledError(r.error);
  return r?.usingIp ?? '';
}
