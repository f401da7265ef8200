/**
 * P2 (file -> kernel for N VXLAN endpoints, against `ip -batch` +
 * `bridge -batch` on the same work) and P4 (engine and driver RSS holding
 * 1000 endpoints). Each round runs cabled and the batch tools once per size,
 * in alternating order; the clocks start at the endpoints file's rename
 * (cabled) or the first batch command (baseline), and stop when every FDB
 * entry, route and the rule is in the kernel.
 * Two reference rows say where cabled's time goes: the engine's own log marks
 * when it had planned the burst and when its last ApplyCables was answered,
 * and each round also times the VXLAN driver's kernel writes alone
 * (overlay-only.ts), the part of the work the batch tools do.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchOptions, median, type Row, rssMb, sleep, spread } from './common.js';
import { batchRun, overlayOnlyRun, remotes, startVxlanEngine, untilInKernel } from './vxlan-lab.js';
import { BATCH_SIZE } from '../src/engine/reconcile-apply.js';
import { waitFor } from '../lab/netns.js';
import { nowUs, profileEnv, summariseProfiles } from './profile-summary.js';

interface EngineSample {
  ms: number;
  /** From the engine's log, ms after the file's rename: its first ApplyCables planned ('reconciling'). */
  planned: number;
  /** The same: the answer to the burst's last ApplyCables ('cables installed'), before the kernel was seen complete. */
  answered: number;
  engineMb: number;
  driverMb: number;
}

async function engineRound(opts: BenchOptions, count: number, memory: boolean, first: boolean): Promise<EngineSample> {
  const list = remotes(count);
  const profDir = opts.profile && first ? join(opts.profile, `p2-${count}-${Date.now()}`) : undefined;
  const lab = await startVxlanEngine(`${opts.tag}-p2`, {
    ...opts,
    engineEnv: profDir ? profileEnv(profDir) : opts.engineEnv,
  });
  let window: [number, number] = [0, 0];
  try {
    const from = nowUs();
    const t = await lab.publish(list);
    // The rename's time on the wall clock the engine's log uses.
    const renamed = Date.now() - (performance.now() - t);
    await untilInKernel(`cbb-${opts.tag}-p2-eng`, list);
    const ms = performance.now() - t;
    window = [from, nowUs()];
    const { planned, answered } = burstMarks(await lab.engine.log(), renamed, renamed + ms);
    let engineMb = Number.NaN;
    let driverMb = Number.NaN;
    if (memory) {
      // Memory while holding them: after the engine reports every cable and one more status refresh.
      await waitFor(
        'the engine reporting every cable connected',
        async () => (await lab.engine.connections()).filter((c) => c.status === 1).length === count,
        120000,
        200,
      );
      lab.engine.closeClients();
      await sleep(3000);
      const st = await lab.engine.status();
      lab.engine.closeClients();
      engineMb = await rssMb(lab.engine.pid);
      driverMb = await rssMb(st.driver?.pid ?? 0);
    }
    return { ms, planned, answered, engineMb, driverMb };
  } finally {
    await lab.stop(opts.keep);
    if (opts.keep) opts.say(`  kept: ${lab.work}`);
    if (profDir) {
      // The window, for other tools reading the profiles later (CLOCK_MONOTONIC microseconds).
      writeFileSync(join(profDir, 'window.json'), JSON.stringify({ fromUs: window[0], toUs: window[1] }));
      opts.say(
        `  CPU profile, ${count} endpoints, file -> kernel window (${((window[1] - window[0]) / 1000).toFixed(0)} ms):`,
      );
      for (const line of summariseProfiles(profDir, window[0], window[1])) opts.say(`  ${line}`);
    }
  }
}

/**
 * Where a burst's time went, from the engine's own log (JSON lines, ms timestamps): when it had planned
 * the burst (its 'reconciling' line: the file read and checked, the desired state and the plan made, no
 * ApplyCables sent yet) and when the burst's last ApplyCables was answered (its last 'cables installed'
 * line before the kernel was seen complete), each in ms after `renamed`.
 */
function burstMarks(log: string, renamed: number, seen: number): { planned: number; answered: number } {
  let planned = Number.NaN;
  let answered = Number.NaN;
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const { message, timestamp } = JSON.parse(line) as { message?: string; timestamp?: string };
    const at = Date.parse(timestamp ?? '');
    // The log's ms against the bench's sub-ms clock: a line may read up to 1 ms early.
    if (!(at >= renamed - 1 && at <= seen + 1)) continue;
    if (message === 'reconciling' && Number.isNaN(planned)) planned = at - renamed;
    if (message === 'cables installed') answered = at - renamed;
  }
  return { planned, answered };
}

/** RSS of a bare Node process (what Node itself costs on this machine), MB. */
function bareNodeMb(): number {
  const out = execFileSync(process.execPath, ['-e', 'setTimeout(() => console.log(process.memoryUsage().rss), 200)']);
  return Number(out.toString().trim()) / 1024 / 1024;
}

export async function runP2(opts: BenchOptions): Promise<Row[]> {
  const small = opts.smoke ? 50 : 1000;
  const large = opts.smoke ? 100 : 5000;
  const work = await mkdtemp(join(tmpdir(), `cbb-${opts.tag}-p2b-`));
  const batch: Record<number, number[]> = { [small]: [], [large]: [] };
  const cabled: Record<number, number[]> = { [small]: [], [large]: [] };
  const ratios: Record<number, number[]> = { [small]: [], [large]: [] };
  const overlay: Record<number, number[]> = { [small]: [], [large]: [] };
  const planned: Record<number, number[]> = { [small]: [], [large]: [] };
  const answered: Record<number, number[]> = { [small]: [], [large]: [] };
  const engineMb: number[] = [];
  const driverMb: number[] = [];
  try {
    for (let round = 0; round < opts.runs; round++) {
      for (const count of [small, large]) {
        let b = 0;
        let o = 0;
        let e: EngineSample | undefined;
        // Alternate which goes first, so a trend in the machine's load does not favour one side.
        if (round % 2 === 0) {
          b = await batchRun(`${opts.tag}-p2`, remotes(count), work);
          o = await overlayOnlyRun(`${opts.tag}-p2`, remotes(count));
          e = await engineRound(opts, count, count === small, round === 0);
        } else {
          e = await engineRound(opts, count, count === small, round === 0);
          o = await overlayOnlyRun(`${opts.tag}-p2`, remotes(count));
          b = await batchRun(`${opts.tag}-p2`, remotes(count), work);
        }
        batch[count]!.push(b);
        overlay[count]!.push(o);
        cabled[count]!.push(e.ms);
        ratios[count]!.push(e.ms / b);
        planned[count]!.push(e.planned);
        answered[count]!.push(e.answered);
        if (count === small) {
          engineMb.push(e.engineMb);
          driverMb.push(e.driverMb);
        }
        opts.say(
          `  P2 round ${round + 1}/${opts.runs}, ${count} endpoints: batch ${b.toFixed(1)} ms, cabled ${e.ms.toFixed(1)} ms (${(e.ms / b).toFixed(2)}x; planned at ${e.planned.toFixed(0)}, last batch answered at ${e.answered.toFixed(0)}), the driver's kernel writes alone ${o.toFixed(1)} ms` +
            (count === small ? `; RSS engine ${e.engineMb.toFixed(1)} MB, driver ${e.driverMb.toFixed(1)} MB` : ''),
        );
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const cmd = `npm run bench -- --only P2,P4 --runs ${opts.runs}`;
  const perEndpoint = (count: number) => median(cabled[count]!) / count;
  const growth = perEndpoint(large) / perEndpoint(small);
  const nodeMb = bareNodeMb();
  return [
    {
      id: 'P2',
      what: `${small} VXLAN endpoints, file -> kernel, cabled / (ip -batch + bridge -batch)`,
      target: '<= 1.5x',
      measured: `${spread(ratios[small]!, 2, 'x')}; cabled ${spread(cabled[small]!, 0, ' ms')}, batch ${spread(batch[small]!, 0, ' ms')}`,
      met: median(ratios[small]!) <= 1.5,
      command: cmd,
    },
    {
      id: 'P2',
      what: `${large} VXLAN endpoints, same`,
      target: '<= 1.5x',
      measured: `${spread(ratios[large]!, 2, 'x')}; cabled ${spread(cabled[large]!, 0, ' ms')}, batch ${spread(batch[large]!, 0, ' ms')}`,
      met: median(ratios[large]!) <= 1.5,
      command: cmd,
    },
    {
      id: 'P2',
      what: `linear: cabled's time per endpoint at ${large} / at ${small}`,
      target: '<= 1.2',
      measured: growth.toFixed(2),
      met: growth <= 1.2,
      command: cmd,
    },
    ...[small, large].map(
      (count): Row => ({
        id: 'P2',
        what: `where cabled's time went at ${count}, from the engine's log (ms after the rename): burst planned (file read and checked, desired state, plan; nothing sent yet) / last ApplyCables answered / kernel seen complete (the bench's poll)`,
        target: '-',
        measured: `${spread(planned[count]!, 0, ' ms')} / ${spread(answered[count]!, 0, ' ms')} / ${spread(cabled[count]!, 0, ' ms')}`,
        met: undefined,
        command: cmd,
      }),
    ),
    ...[small, large].map(
      (count): Row => ({
        id: 'P2',
        what: `floor at ${count}: the VXLAN driver's kernel writes alone (its overlay code in a fresh process with its V8 flags, batches of ${BATCH_SIZE}; no engine, file, gRPC or status; timed once its process has started, while the batch tools' time includes starting theirs) / batch tools, same rounds`,
        target: '-',
        measured: `${spread(
          overlay[count]!.map((o, i) => o / batch[count]![i]!),
          2,
          'x',
        )}; ${spread(overlay[count]!, 0, ' ms')}`,
        met: undefined,
        command: cmd,
      }),
    ),
    {
      id: 'P4',
      what: `engine RSS holding ${small} endpoints (bare node: ${nodeMb.toFixed(0)} MB)`,
      target: '<= 80 MB',
      measured: spread(engineMb, 1, ' MB'),
      met: median(engineMb) <= 80,
      command: cmd,
    },
    {
      id: 'P4',
      what: `VXLAN driver RSS holding ${small} endpoints`,
      target: '<= 60 MB',
      measured: spread(driverMb, 1, ' MB'),
      met: median(driverMb) <= 60,
      command: cmd,
    },
  ];
}
