/**
 * Helpers for the e2e test files: find a scenario in a guest result (failing
 * with the guest's own error when it did not complete), and print timings and
 * figures in the test output.
 */
import type { BootOutcome } from './vm.js';
import type { ScenarioName, ScenarioResult } from './types.js';

/** The scenario's result; throws with the guest's error when it is missing or did not complete. */
export function scenario(outcome: BootOutcome | undefined, name: ScenarioName): ScenarioResult {
  if (!outcome) throw new Error('the guest did not boot (see the before hook)');
  const s = outcome.result.scenarios.find((x) => x.name === name);
  if (!s) throw new Error(`the guest ran no ${name} scenario (run ${outcome.runDir})`);
  if (!s.completed)
    throw new Error(
      `the ${name} scenario failed in the guest: ${s.error ?? '?'} (logs and pcaps: ${outcome.runDir}/${name})`,
    );
  return s;
}

/** `measured s of ceiling s (margin x)`: the margin should stay at least 3x on an idle machine. */
export function againstCeiling(seconds: number, ceilingS: number): string {
  return `${seconds.toFixed(1)} s of ${ceilingS} s (${(ceilingS / Math.max(seconds, 0.1)).toFixed(1)}x)`;
}

/** Per scenario: its step timings, every wait against its ceiling, and where the start-up time went; plus the boot. */
export function timingReport(outcome: BootOutcome): string {
  const lines = [
    `boot: ${outcome.bootSeconds.toFixed(1)} s to the guest script, qemu start to exit ${againstCeiling(outcome.totalSeconds, outcome.timeoutSeconds)} (kernel ${outcome.result.kernel}, ${outcome.result.libreswan ?? 'libreswan ?'}); run folder ${outcome.runDir}`,
  ];
  for (const s of outcome.result.scenarios) {
    lines.push(
      `  ${s.name}: ${Object.entries(s.timings)
        .map(([k, v]) => `${k} ${v} s`)
        .join(', ')}`,
    );
    for (const w of s.waits ?? []) lines.push(`    wait: ${w.what}: ${againstCeiling(w.seconds, w.ceilingS)}`);
    for (const b of s.breakdown ?? []) {
      const { side, ...steps } = b;
      lines.push(
        `    side ${side}, s after the engines started: ${Object.entries(steps)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    }
  }
  return lines.join('\n');
}

/** iperf3 figures of every scenario. */
export function figuresReport(outcome: BootOutcome): string {
  return outcome.result.scenarios
    .flatMap((s) => s.iperf)
    .map((r) =>
      r.error
        ? `  iperf3 ${r.path}: FAILED ${r.error}`
        : `  iperf3 TCP ${r.seconds} s, ${r.path}: ${r.mbps} Mbit/s, ${r.retransmits} retransmits (TCG: relative only)`,
    )
    .join('\n');
}
