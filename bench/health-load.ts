/**
 * P3's load generator, a process of its own: the bench process (which also
 * drives the lab) must not share an event loop with the client whose
 * latencies it reports. Reads one JSON line per window on stdin,
 * `{"socket": "/path", "rps": 2000, "seconds": 6}`, sends grpc.health.v1
 * Check (raw HTTP/2, see check()) at that rate (open loop: on schedule, not after the previous
 * answer; paced by a 1 ms timer, not a busy loop, so it leaves the CPU to
 * the servers) and answers with one JSON line: client-side latency p50, p99
 * and max, failed calls, and the client's own event-loop delay in the window
 * (p99, max), which bounds how much of a latency is the client's.
 *   node dist/bench/health-load.js
 */
import { type ClientHttp2Session, connect as connectHttp2, constants } from 'node:http2';
import { connect as connectUnix } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

export interface LoadRequest {
  socket: string;
  rps: number;
  seconds: number;
}

/** `calls` unary calls of `path` (an empty request), one after the other, `gapMs` apart. */
export interface SerialRequest {
  socket: string;
  path: string;
  calls: number;
  gapMs: number;
}

export interface SerialResult {
  /** Client-side latency of each call until its last byte and trailers arrived (not decoded), ms. */
  latencies: number[];
  errors: number;
  /** Bytes of the last answer. */
  bytes: number;
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
  /** The client's CPU time over the window, in % of one core. */
  clientCpu: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Check as raw HTTP/2 on one connection per server: the request is the same
 * five bytes every time (an empty HealthCheckRequest, uncompressed), the
 * answer's grpc-status trailer says whether it succeeded. A grpc-js client
 * costs as much CPU per call as the server it measures (call objects,
 * metadata, a deadline timer per call); on two cores that cost is in the
 * figures of both servers.
 */
const CHECK = '/grpc.health.v1.Health/Check';
const EMPTY_REQUEST = Buffer.from([0, 0, 0, 0, 0]);
const sessions = new Map<string, ClientHttp2Session>();

function session(socket: string): ClientHttp2Session {
  let s = sessions.get(socket);
  if (!s || s.closed || s.destroyed) {
    s = connectHttp2('http://localhost', { createConnection: () => connectUnix(socket) });
    s.on('error', () => sessions.delete(socket));
    sessions.set(socket, s);
  }
  return s;
}

function check(socket: string, done: (ok: boolean, bytes: number) => void, path = CHECK): void {
  let status: string | undefined;
  let bytes = 0;
  const req = session(socket).request({
    [constants.HTTP2_HEADER_METHOD]: 'POST',
    [constants.HTTP2_HEADER_PATH]: path,
    [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
    te: 'trailers',
  });
  req.on('response', (headers) => {
    const s = headers['grpc-status'];
    if (typeof s === 'string') status = s; // trailers-only answer
  });
  req.on('trailers', (trailers) => {
    const s = trailers['grpc-status'];
    if (typeof s === 'string') status = s;
  });
  req.on('error', () => undefined);
  req.on('close', () => done(status === '0', bytes));
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.end(EMPTY_REQUEST);
}

function loadWindow(req: LoadRequest): Promise<LoadWindow> {
  const lat: number[] = [];
  let errors = 0;
  let sent = 0;
  let answered = 0;
  const total = Math.round(req.rps * req.seconds);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  return new Promise((resolve) => {
    let finished = false;
    // A server that stops answering does not hang the bench: what is still unanswered 10 s after the window failed.
    const giveUp = setTimeout(
      () => {
        errors += total - answered;
        finish();
      },
      req.seconds * 1000 + 10000,
    );
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(giveUp);
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
        clientCpu: (() => {
          const c = process.cpuUsage(cpu0);
          return ((c.user + c.system) / 1000 / (performance.now() - t0)) * 100;
        })(),
      });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * req.rps));
      for (; sent < due; sent++) {
        const start = performance.now();
        check(req.socket, (ok) => {
          if (!ok) errors++;
          else lat.push(performance.now() - start);
          if (++answered === total) finish();
        });
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}

async function serial(req: SerialRequest): Promise<SerialResult> {
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  for (let i = 0; i < req.calls; i++) {
    const start = performance.now();
    await new Promise<void>((resolve) =>
      check(
        req.socket,
        (ok, n) => {
          if (ok) latencies.push(performance.now() - start);
          else errors++;
          bytes = n;
          resolve();
        },
        req.path,
      ),
    );
    await new Promise((r) => setTimeout(r, req.gapMs));
  }
  return { latencies, errors, bytes };
}

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  const req = JSON.parse(line) as LoadRequest | SerialRequest;
  queue = queue.then(async () => {
    const answer = 'path' in req ? await serial(req) : await loadWindow(req);
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
});
lines.on('close', () => {
  void queue.then(() => {
    for (const s of sessions.values()) s.close();
  });
});
process.stdout.write('ready\n');
