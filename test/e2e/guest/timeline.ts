/**
 * Where the time goes in the guest, read back from the logs after a
 * scenario's engines connected: per side, seconds after the engines were
 * started at which the engine, its driver and its pluto reached each step
 * (engine JSON log lines carry ISO timestamps; pluto's log lines carry
 * "Mon DD HH:MM:SS.micro" in local time). A step not found is left out.
 */
import { readFileSync } from 'node:fs';
import type { StartBreakdown } from '../harness/types.js';

type Step = Exclude<keyof StartBreakdown, 'side'>;

/** Engine log messages (the driver's are relayed into the same log) that mark a step. */
const ENGINE_STEPS: [Step, string][] = [
  ['gatewayStarting', 'gateway starting'],
  ['driverServing', 'driver serving'],
  ['driverReady', 'driver ready'],
  ['apiServing', 'API serving'],
  ['cableInstalled', 'cable installed'],
];

/** pluto log lines that mark a step (the first match counts). */
const PLUTO_STEPS: [Step, RegExp][] = [
  ['plutoStarted', /./],
  ['ikeInitiated', /initiating IKEv2|received IKE_SA_INIT request|IKE_SA_INIT request from/],
  ['ikeEstablished', /established (?:Child|IPsec) SA|IPsec SA established/],
];

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Seconds of `at` after `t0` (ms), to 0.1 s. */
const after = (at: number, t0: number) => Math.round((at - t0) / 100) / 10;

/** A pluto log timestamp ("Nov 22 21:57:54.506068", local time, no year) as unix ms. */
export function plutoTime(line: string, year: number): number | undefined {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/.exec(line);
  if (!m) return undefined;
  const month = 'JanFebMarAprMayJunJulAugSepOctNovDec'.indexOf(m[1]!) / 3;
  if (month < 0) return undefined;
  const ms = Number(`${m[6] ?? '0'}000`.slice(0, 3));
  return new Date(year, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), ms).getTime();
}

/** The steps of one side, from its engine log and (libreswan) its pluto log, relative to `t0` (ms). */
export function startBreakdown(
  side: string,
  engineLog: string,
  pluto: { log: string; own: boolean } | undefined,
  t0: number,
): StartBreakdown {
  const out: StartBreakdown = { side };
  for (const line of read(engineLog).split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { message?: string; timestamp?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const at = entry.timestamp ? Date.parse(entry.timestamp) : NaN;
    if (Number.isNaN(at) || at < t0) continue;
    for (const [key, message] of ENGINE_STEPS)
      if (out[key] === undefined && entry.message === message) out[key] = after(at, t0);
  }
  if (pluto) {
    const year = new Date(t0).getFullYear();
    // A pluto the test started before the engines (host mode) did not start in this window.
    const steps = pluto.own ? PLUTO_STEPS : PLUTO_STEPS.filter(([key]) => key !== 'plutoStarted');
    for (const line of read(pluto.log).split('\n')) {
      const at = plutoTime(line, year);
      if (at === undefined || at < t0 - 1000) continue;
      for (const [key, re] of steps) if (out[key] === undefined && re.test(line)) out[key] = after(at, t0);
    }
  }
  return out;
}
