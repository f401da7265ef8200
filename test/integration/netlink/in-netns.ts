/**
 * Test-side client of ns-runner.js: builds steps and runs them inside a
 * namespace, returning results or throwing the child's error.
 */
import { fileURLToPath } from 'node:url';
import type { VxlanOverlayOptions } from '../../../src/overlay/index.js';
import { runNodeInNetns } from '../../../lab/netns.js';
import type { RunnerOutput, Step } from './ns-runner.js';

const RUNNER = fileURLToPath(new URL('./ns-runner.js', import.meta.url));

/** A call on the netlink adapter. */
export const nl = (call: string, ...args: unknown[]): Step => ({ on: 'netlink', call, args });
/** A call on the overlay. */
export const ov = (call: string, ...args: unknown[]): Step => ({ on: 'overlay', call, args });
/** detectUnderlay(netlink, opts). */
export const underlay = (opts: object = {}): Step => ({ on: 'underlay', call: 'detect', args: [opts] });

/** Runs steps in `ns`; returns the raw output (ok or error). */
export function tryInNetns(ns: string, steps: Step[], overlay?: VxlanOverlayOptions): Promise<RunnerOutput> {
  return runNodeInNetns<RunnerOutput>(ns, RUNNER, { overlay, steps });
}

/** Runs steps in `ns`; returns their results, or throws the first step's error. */
export async function inNetns<T extends unknown[] = any[]>(
  ns: string,
  steps: Step[],
  overlay?: VxlanOverlayOptions,
): Promise<T> {
  const out = await tryInNetns(ns, steps, overlay);
  if (!out.ok) throw new Error(`in ${ns}, step ${out.error?.step}: ${out.error?.name}: ${out.error?.message}`);
  return out.results as T;
}
