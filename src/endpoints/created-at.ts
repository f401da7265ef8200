/**
 * Creation times of endpoints. Submariner picks the newest Endpoint of a
 * cluster by its creationTimestamp, which the Kubernetes API server sets. An
 * entry of a file may carry one (top level or metadata.creationTimestamp);
 * one without counts as the oldest, so every engine, whatever it saw first
 * and however often it restarted, makes the same choice
 * (src/engine/desired-state.ts).
 */

/** RFC 3339 date-time (what Kubernetes writes in metadata.creationTimestamp). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 string, or undefined if it is not one. */
export function parseRfc3339(value: string): number | undefined {
  if (!RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
