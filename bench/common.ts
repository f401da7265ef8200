/**
 * Shared parts of the benchmarks run by bench/run.ts (`npm run bench`):
 * options, statistics (median and spread), machine load, RSS, and the rows
 * of the result table.
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';

export interface BenchOptions {
  /** Rounds per benchmark; each round runs cabled and its baseline once (interleaved). */
  runs: number;
  /** Tiny sizes, one round: proves the benchmarks still run (CI), says nothing about the figures. */
  smoke: boolean;
  /** Keep each run's work folder (engine, driver and pluto logs) and print where. */
  keep: boolean;
  /** Unique tag for namespace names (includes the pid). */
  tag: string;
  /** The engine's main module of another build (`--dist DIR`: its dist folder), for a before/after. */
  engineMain?: string;
  /** Environment for the engine and its driver (e.g. NODE_OPTIONS=--cpu-prof). */
  engineEnv?: Record<string, string>;
  /** Profile the engine and driver (node --cpu-prof) in P2 and P1, into this folder, and summarise. */
  profile?: string;
  /** Prints progress. */
  say: (line: string) => void;
}

/** One line of the result table. */
export interface Row {
  id: string;
  what: string;
  target: string;
  measured: string;
  /** undefined: reported, no target to meet (a reference figure). */
  met: boolean | undefined;
  command: string;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The q-quantile (0..1) by nearest rank. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/**
 * "median (min-max, n=N)" over the samples that are numbers; a sample that is
 * not (a window in which every call failed) is counted and named, never
 * printed as NaN or folded into the figures.
 */
export function spread(xs: readonly number[], digits = 1, unit = ''): string {
  const f = (n: number) => `${n.toFixed(digits)}${unit}`;
  const ok = xs.filter(Number.isFinite);
  const failed = xs.length - ok.length;
  const note = failed ? `, ${failed} of ${xs.length} without an answer` : '';
  if (!ok.length) return xs.length ? `no answers in ${xs.length} of ${xs.length}` : 'no samples';
  return `${f(median(ok))} (${f(Math.min(...ok))}-${f(Math.max(...ok))}, n=${ok.length}${note})`;
}

/** The 1-minute load average and the number of CPUs, for the record. */
export function machineLoad(): string {
  return `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

export async function rssMb(pid: number): Promise<number> {
  if (!pid) return Number.NaN;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
