/**
 * P3: the engine's API while it holds 1000 VXLAN endpoints. grpc.health.v1
 * Check at a fixed rate (open loop: requests are sent on schedule, not after
 * the previous answer) against the engine and against a bare grpc-js server
 * (bare-health-server.ts) in alternating windows of the same length, in the
 * same run; latency measured by the client, p50/p99/max per window. Then
 * ListConnections (every cable, full status) called back to back.
 */
import { spawn } from 'node:child_process';
import { Metadata } from '@grpc/grpc-js';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { call } from '../src/lib/grpc/call.js';
import { createHealthClient, type HealthClient } from '../src/lib/grpc/health-client.js';
import { waitFor } from '../lab/netns.js';
import { type BenchOptions, median, quantile, type Row, sleep, spread } from './common.js';
import { remotes, startVxlanEngine, untilInKernel } from './vxlan-lab.js';

interface Window {
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

/** Sends Check at `rps` for `seconds`; client-side latency of each answer. */
async function loadWindow(client: HealthClient, rps: number, seconds: number): Promise<Window> {
  const lat: number[] = [];
  let errors = 0;
  let sent = 0;
  const total = Math.round(rps * seconds);
  const t0 = performance.now();
  const pending = new Set<Promise<void>>();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rps));
    for (; sent < due; sent++) {
      const start = performance.now();
      const p = new Promise<void>((resolve) => {
        client.check({ service: '' }, new Metadata(), { deadline: Date.now() + 5000 }, (err) => {
          if (err) errors++;
          else lat.push(performance.now() - start);
          resolve();
        });
      });
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(pending);
  return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: Math.max(...lat), errors };
}

export async function runP3(opts: BenchOptions): Promise<Row[]> {
  const count = opts.smoke ? 50 : 1000;
  const rps = opts.smoke ? 500 : 2000;
  const seconds = opts.smoke ? 1 : 6;
  const lists = opts.smoke ? 10 : 100;
  const list = remotes(count);
  const lab = await startVxlanEngine(`${opts.tag}-p3`, opts);
  const bareSock = join(lab.work, 'bare.sock');
  const bare = spawn(process.execPath, [fileURLToPath(new URL('./bare-health-server.js', import.meta.url)), bareSock], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const engineHealth = createHealthClient(`unix://${lab.engine.socket}`);
  const bareHealth = createHealthClient(`unix://${bareSock}`);
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: bare.stdout! }).on('line', (l) => l === 'ready' && resolve());
      bare.once('exit', (code) => reject(new Error(`bare health server exited (${String(code)})`)));
    });
    await lab.publish(list);
    await untilInKernel(`cbb-${opts.tag}-p3-eng`, list);
    await waitFor(
      'the engine reporting every cable connected',
      async () => (await lab.engine.connections()).filter((c) => c.status === 1).length === count,
      120000,
      200,
    );
    // Warm both connections and both servers.
    await loadWindow(engineHealth, rps, 0.5);
    await loadWindow(bareHealth, rps, 0.5);
    const eng: Window[] = [];
    const base: Window[] = [];
    for (let round = 0; round < opts.runs; round++) {
      const order = round % 2 === 0 ? ['bare', 'engine'] : ['engine', 'bare'];
      for (const which of order) {
        const w = await loadWindow(which === 'bare' ? bareHealth : engineHealth, rps, seconds);
        (which === 'bare' ? base : eng).push(w);
      }
      const e = eng.at(-1)!;
      const b = base.at(-1)!;
      opts.say(
        `  P3 round ${round + 1}/${opts.runs}: Check at ${rps}/s for ${seconds} s: engine p50 ${e.p50.toFixed(2)} p99 ${e.p99.toFixed(2)} max ${e.max.toFixed(1)} ms; bare p50 ${b.p50.toFixed(2)} p99 ${b.p99.toFixed(2)} max ${b.max.toFixed(1)} ms`,
      );
    }
    const listMs: number[] = [];
    const gateway = lab.engine.gatewayClient();
    for (let i = 0; i < lists; i++) {
      const t = performance.now();
      const res = await call(gateway.listConnections.bind(gateway), {}, { timeoutMs: 10000 });
      listMs.push(performance.now() - t);
      if (res.connections.length !== count) throw new Error(`ListConnections returned ${res.connections.length}`);
      await sleep(20);
    }
    opts.say(
      `  P3 ListConnections(${count}) x ${lists}: p50 ${quantile(listMs, 0.5).toFixed(1)} p99 ${quantile(listMs, 0.99).toFixed(1)} ms`,
    );
    const ratio = eng.map((e, i) => e.p99 / base[i]!.p99);
    const cmd = `npm run bench -- --only P3 --runs ${opts.runs}`;
    const errors = [...eng, ...base].reduce((n, w) => n + w.errors, 0);
    return [
      {
        id: 'P3',
        what: `Health Check p99 at ${rps}/s, engine holding ${count} endpoints / bare grpc-js server${errors ? ` (${errors} failed calls)` : ''}`,
        target: '<= 1.2x',
        measured: `${spread(ratio, 2, 'x')}; engine ${spread(
          eng.map((w) => w.p99),
          2,
          ' ms',
        )}, bare ${spread(
          base.map((w) => w.p99),
          2,
          ' ms',
        )}`,
        met: median(ratio) <= 1.2 && errors === 0,
        command: cmd,
      },
      {
        id: 'P3',
        what: 'Health Check p99 at the engine, absolute',
        target: '< 2 ms',
        measured: spread(
          eng.map((w) => w.p99),
          2,
          ' ms',
        ),
        met: median(eng.map((w) => w.p99)) < 2,
        command: cmd,
      },
      {
        id: 'P3',
        what: 'Health Check worst answer per window (engine / bare): stalls',
        target: '-',
        measured: `engine ${spread(
          eng.map((w) => w.max),
          1,
          ' ms',
        )}, bare ${spread(
          base.map((w) => w.max),
          1,
          ' ms',
        )}`,
        met: undefined,
        command: cmd,
      },
      {
        id: 'P3',
        what: `ListConnections(${count}) p99, client side, ${lists} calls`,
        target: '< 20 ms',
        measured: `p99 ${quantile(listMs, 0.99).toFixed(1)} ms, p50 ${quantile(listMs, 0.5).toFixed(1)} ms`,
        met: quantile(listMs, 0.99) < 20,
        command: cmd,
      },
    ];
  } finally {
    engineHealth.close();
    bareHealth.close();
    bare.kill('SIGTERM');
    await lab.stop(opts.keep);
    if (opts.keep) opts.say(`  kept: ${lab.work}`);
  }
}
