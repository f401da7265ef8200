/**
 * P3's load generator, a process of its own: the bench process (which also
 * drives the lab) must not share an event loop with the client whose
 * latencies it reports. Reads one JSON line per window on stdin,
 * `{"socket": "/path", "rps": 2000, "seconds": 6}`, sends grpc.health.v1
 * Check at that rate (open loop: on schedule, not after the previous
 * answer; paced by a 1 ms timer, not a busy loop, so it leaves the CPU to
 * the servers) and answers with one JSON line: client-side latency p50, p99
 * and max, failed calls, and the client's own event-loop delay in the window
 * (p99, max), which bounds how much of a latency is the client's.
 *   node dist/bench/health-load.js
 */
import { Metadata } from '@grpc/grpc-js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createHealthClient, type HealthClient } from '../src/lib/grpc/health-client.js';

export interface LoadRequest {
  socket: string;
  rps: number;
  seconds: number;
}

export interface LoadWindow {
  p50: number;
  p99: number;
  max: number;
  errors: number;
  sent: number;
  /** The client's event-loop delay over the window, ms (how late it could be to send or to read an answer). */
  clientLoopP99: number;
  clientLoopMax: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const clients = new Map<string, HealthClient>();

function client(socket: string): HealthClient {
  let c = clients.get(socket);
  if (!c) {
    c = createHealthClient(`unix://${socket}`);
    clients.set(socket, c);
  }
  return c;
}

function loadWindow(req: LoadRequest): Promise<LoadWindow> {
  const health = client(req.socket);
  const lat: number[] = [];
  let errors = 0;
  let sent = 0;
  let answered = 0;
  const total = Math.round(req.rps * req.seconds);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const t0 = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      loop.disable();
      lat.sort((a, b) => a - b);
      resolve({
        p50: quantile(lat, 0.5),
        p99: quantile(lat, 0.99),
        max: lat.length ? lat[lat.length - 1]! : Number.NaN,
        errors,
        sent,
        clientLoopP99: loop.percentile(99) / 1e6,
        clientLoopMax: loop.max / 1e6,
      });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * req.rps));
      for (; sent < due; sent++) {
        const start = performance.now();
        health.check({ service: '' }, new Metadata(), { deadline: Date.now() + 5000 }, (err) => {
          if (err) errors++;
          else lat.push(performance.now() - start);
          if (++answered === total) finish();
        });
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  const req = JSON.parse(line) as LoadRequest;
  queue = queue.then(async () => {
    process.stdout.write(`${JSON.stringify(await loadWindow(req))}\n`);
  });
});
lines.on('close', () => {
  void queue.then(() => {
    for (const c of clients.values()) c.close();
  });
});
process.stdout.write('ready\n');
