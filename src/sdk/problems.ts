/**
 * What a driver process cannot do right now that the engine and the operator
 * must know about, e.g. its run directory is full or read-only (the driver
 * keeps serving from memory). Reported through GetDriverInfo's manifest
 * (`degraded`), which the engine polls with its health checks and shows in
 * `cablectl status`; readiness is NOT_SERVING while any problem stands.
 */
const problems = new Map<string, string>();

/** Sets (a message) or clears (undefined) the problem named `key`. */
export function reportProblem(key: string, message: string | undefined): void {
  if (message === undefined) problems.delete(key);
  else problems.set(key, message);
}

/** Every standing problem, joined; '' when there is none. */
export function currentProblems(): string {
  return [...problems.values()].join('; ');
}

export { DEGRADED_KEY } from './handshake.js';
