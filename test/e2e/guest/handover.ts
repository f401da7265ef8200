/**
 * Where a handover's time goes, read back from the gateways' own logs after
 * the first ping went through the new gateway: seconds after the crash or the
 * stop at which the old gateway, the new one, the remote (cluster2) gateway
 * and their plutos reached each step. Engine JSON log lines carry ISO
 * timestamps, pluto's "Mon DD HH:MM:SS.micro" (timeline.ts reads them).
 * A step not found is left out; each step counts its first line after t0 (or
 * after the step it names in `after`).
 */
import { readFileSync } from 'node:fs';
import type { HandoverStep } from '../harness/types.js';
import { plutoTime } from './timeline.js';

interface LogEntry {
  message?: string;
  timestamp?: string;
  cable?: string;
}

/** One step: a line of an engine log (by message, optionally cable) or of a pluto log (by pattern). */
export interface StepSpec {
  key: string;
  what: string;
  engineLog?: string;
  message?: string;
  /** The engine log entry's `cable` must contain this. */
  cable?: string;
  plutoLog?: string;
  pattern?: RegExp;
  /** Counted only after this step (by key) was found. */
  after?: string;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Timestamps (ms) of the lines of one log that match `spec`, in order. */
function matches(spec: StepSpec, year: number): number[] {
  const out: number[] = [];
  if (spec.engineLog) {
    for (const line of read(spec.engineLog).split('\n')) {
      if (!line.startsWith('{')) continue;
      let e: LogEntry;
      try {
        e = JSON.parse(line) as LogEntry;
      } catch {
        continue;
      }
      if (e.message !== spec.message || (spec.cable && !e.cable?.includes(spec.cable))) continue;
      const at = e.timestamp ? Date.parse(e.timestamp) : NaN;
      if (!Number.isNaN(at)) out.push(at);
    }
  } else if (spec.plutoLog && spec.pattern) {
    for (const line of read(spec.plutoLog).split('\n')) {
      if (!spec.pattern.test(line)) continue;
      const at = plutoTime(line, year);
      if (at !== undefined) out.push(at);
    }
  }
  return out;
}

/** The steps found after `t0` (ms), in the order given, each in seconds after t0 (0.1 s). */
export function handoverSteps(t0: number, specs: StepSpec[]): HandoverStep[] {
  const year = new Date(t0).getFullYear();
  const found = new Map<string, number>();
  const out: HandoverStep[] = [];
  for (const spec of specs) {
    const from = spec.after ? found.get(spec.after) : t0;
    if (from === undefined) continue;
    const at = matches(spec, year).find((x) => x >= from);
    if (at === undefined) continue;
    found.set(spec.key, at);
    out.push({ what: spec.what, s: Math.round((at - t0) / 100) / 10 });
  }
  return out;
}

/** "t+8.6 s lease taken over, ..." one step a line, in time order. */
export function formatSteps(steps: HandoverStep[]): string[] {
  return [...steps].sort((x, y) => x.s - y.s).map((st) => `t+${st.s.toFixed(1)} s  ${st.what}`);
}
