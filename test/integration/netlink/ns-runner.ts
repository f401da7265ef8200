/**
 * Child script of the namespace tests: run with
 * `ip netns exec <ns> node ns-runner.js '<json>'`, it opens the real netlink
 * adapter (plus an overlay when options are given, and the XFRM adapter when
 * a step is `on: 'xfrm'`) in that namespace, makes the listed calls in order,
 * and prints one JSON line with the results or the first error (name,
 * message, errno), then exits 0.
 */
import { openNetlink, openXfrm, NetlinkError, type NetlinkAdapter } from '../../../src/lib/netlink/index.js';
import { VxlanOverlay, detectUnderlay, type VxlanOverlayOptions } from '../../../src/overlay/index.js';

/** One call: `on` picks the object, `call` the method, `args` its arguments. */
export interface Step {
  on: 'netlink' | 'overlay' | 'underlay' | 'xfrm';
  call: string;
  args?: unknown[];
}

/** What the test sends. */
export interface RunnerInput {
  overlay?: VxlanOverlayOptions;
  steps: Step[];
}

/** What the script prints. */
export interface RunnerOutput {
  ok: boolean;
  results: unknown[];
  error?: { step: number; name: string; message: string; errno?: string };
}

async function main(): Promise<RunnerOutput> {
  const input = JSON.parse(process.argv[2] ?? '{"steps":[]}') as RunnerInput;
  const nl = openNetlink({ timeoutMs: 5000 });
  const overlay = input.overlay ? new VxlanOverlay(input.overlay, { netlink: nl }) : undefined;
  const xfrm = input.steps.some((s) => s.on === 'xfrm') ? openXfrm({ timeoutMs: 5000 }) : undefined;
  const targets: Record<Step['on'], Record<string, unknown> | undefined> = {
    netlink: nl as unknown as Record<string, unknown>,
    overlay: overlay as unknown as Record<string, unknown> | undefined,
    underlay: { detect: (opts: unknown) => detectUnderlay(nl as NetlinkAdapter, opts as object) },
    xfrm: xfrm as unknown as Record<string, unknown> | undefined,
  };
  const results: unknown[] = [];
  try {
    for (const [i, step] of input.steps.entries()) {
      const target = targets[step.on];
      const fn = target?.[step.call];
      if (typeof fn !== 'function') throw new Error(`step ${i}: no ${step.on}.${step.call}`);
      try {
        results.push(await (fn as (...a: unknown[]) => Promise<unknown>).apply(target, step.args ?? []));
      } catch (err) {
        const e = err as Error;
        return {
          ok: false,
          results,
          error: {
            step: i,
            name: e.name,
            message: e.message,
            errno: err instanceof NetlinkError ? err.errno : undefined,
          },
        };
      }
    }
    return { ok: true, results };
  } finally {
    nl.close();
    xfrm?.close();
  }
}

main().then(
  // Errors inside results (writeBatch's outcomes) go out as { error, errno }.
  (out) =>
    process.stdout.write(
      `${JSON.stringify(out, (_k, v: unknown) =>
        v instanceof Error ? { error: v.message, errno: v instanceof NetlinkError ? v.errno : undefined } : v,
      )}\n`,
    ),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exitCode = 1;
  },
);
