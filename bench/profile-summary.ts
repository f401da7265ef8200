/**
 * Summarises V8 CPU profiles (node --cpu-prof) over a time window: busy time
 * and the functions with the most self time, per process. The window is in
 * CLOCK_MONOTONIC microseconds (process.hrtime), the clock V8 stamps
 * profiles with on Linux.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Environment that makes every Node process started with it (the engine, and
 * its driver, which inherits it) write a CPU profile into `dir` at exit.
 * `--cpu-prof` itself is not allowed in NODE_OPTIONS: a preload starts the
 * inspector's profiler instead.
 */
export function profileEnv(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const preload = join(dir, 'cpu-profile-preload.cjs');
  writeFileSync(
    preload,
    `const inspector = require('node:inspector');
const fs = require('node:fs');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
const name = (process.argv[1] || 'node').split('/').slice(-2).join('-').replace(/\\.js$/, '');
process.on('exit', () => {
  session.post('Profiler.stop', (err, res) => {
    if (!err) fs.writeFileSync(${JSON.stringify(dir)} + '/' + name + '-' + process.pid + '.cpuprofile', JSON.stringify(res.profile));
  });
});
`,
  );
  // Event-loop stalls (a 10 ms timer firing more than 5 ms late) and garbage collections, each with its
  // CLOCK_MONOTONIC time, so they can be matched with a window and with the CPU profile's samples.
  const monitor = join(dir, 'loop-monitor-preload.cjs');
  writeFileSync(
    monitor,
    `const { PerformanceObserver, performance } = require('node:perf_hooks');
const fs = require('node:fs');
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const offsetUs = nowUs() - performance.now() * 1000;
const stalls = [];
const gcs = [];
let last = nowUs();
setInterval(() => {
  const n = nowUs();
  const late = n - last - 10000;
  if (late > 5000) stalls.push([last + 10000, late]);
  last = n;
}, 10).unref();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([Math.round(offsetUs + e.startTime * 1000), Math.round(e.duration * 1000), e.detail ? e.detail.kind : 0]);
}).observe({ entryTypes: ['gc'] });
const name = (process.argv[1] || 'node').split('/').slice(-2).join('-').replace(/.js$/, '');
process.on('exit', () => {
  fs.writeFileSync(${JSON.stringify(dir)} + '/' + name + '-' + process.pid + '.loop.json', JSON.stringify({ stalls, gcs }));
});
`,
  );
  return { NODE_OPTIONS: `--require ${preload} --require ${monitor}` };
}

export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const loaded = new Map<string, { profile: Profile; byId: Map<number, ProfileNode> }>();

function profileOf(path: string): { profile: Profile; byId: Map<number, ProfileNode> } {
  let p = loaded.get(path);
  if (!p) {
    const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
    p = { profile, byId: new Map(profile.nodes.map((n) => [n.id, n])) };
    loaded.set(path, p);
  }
  return p;
}

function filesIn(dir: string, suffix: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(suffix));
  } catch {
    return [];
  }
}

export function summariseProfiles(dir: string, fromUs: number, toUs: number, top = 10, only?: string): string[] {
  const out: string[] = [];
  const files = filesIn(dir, '.cpuprofile').filter((f) => !only || f.startsWith(only));
  if (!files.length) return [`no profiles in ${dir}`];
  for (const f of files) {
    const { profile: p, byId } = profileOf(join(dir, f));
    const self = new Map<string, number>();
    let t = p.startTime;
    let busy = 0;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i] ?? 0;
      const dt = p.timeDeltas[i + 1] ?? 0;
      if (t < fromUs || t > toUs) continue;
      const n = byId.get(p.samples[i]!);
      if (!n) continue;
      const fn = n.callFrame.functionName || '(anonymous)';
      if (fn === '(idle)') continue;
      const where = n.callFrame.url ? ` ${basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '';
      const key = `${fn}${where}`;
      self.set(key, (self.get(key) ?? 0) + dt);
      busy += dt;
    }
    if (!busy) continue;
    out.push(`${f}: ${(busy / 1000).toFixed(0)} ms on CPU in the window; most self time:`);
    for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
      out.push(`    ${(us / 1000).toFixed(1).padStart(7)} ms  ${((us / busy) * 100).toFixed(0).padStart(3)} %  ${k}`);
  }
  return out;
}

interface LoopRecord {
  stalls: [number, number][];
  gcs: [number, number, number][];
}

const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weak' };

/**
 * Event-loop stalls over 5 ms and garbage collection in a window, per
 * process (the loop monitor of profileEnv), each stall with what was on the
 * CPU in it (the CPU profile's samples).
 */
export function summariseLoop(dir: string, fromUs: number, toUs: number): string[] {
  const out: string[] = [];
  for (const f of filesIn(dir, '.loop.json')) {
    const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as LoopRecord;
    const stalls = rec.stalls.filter(([t]) => t >= fromUs && t <= toUs);
    const gcs = rec.gcs.filter(([t]) => t >= fromUs && t <= toUs);
    const seconds = (toUs - fromUs) / 1e6;
    const gcMs = gcs.reduce((n, g) => n + g[1], 0) / 1000;
    const byKind = new Map<string, { n: number; ms: number; max: number }>();
    for (const [, us, kind] of gcs) {
      const k = GC_KINDS[kind] ?? String(kind);
      const e = byKind.get(k) ?? { n: 0, ms: 0, max: 0 };
      e.n++;
      e.ms += us / 1000;
      e.max = Math.max(e.max, us / 1000);
      byKind.set(k, e);
    }
    const name = f.replace(/\.loop\.json$/, '');
    out.push(
      `${name}: ${stalls.length} event-loop stall(s) over 5 ms in ${seconds.toFixed(1)} s` +
        (stalls.length ? ` (longest ${(Math.max(...stalls.map((s) => s[1])) / 1000).toFixed(1)} ms)` : '') +
        `; GC ${gcMs.toFixed(0)} ms in ${gcs.length} pauses: ` +
        [...byKind].map(([k, e]) => `${k} ${e.n} x, ${e.ms.toFixed(0)} ms, longest ${e.max.toFixed(1)} ms`).join('; '),
    );
    for (const [t, late] of [...stalls].sort((a, b) => b[1] - a[1]).slice(0, 5)) {
      out.push(`    stall ${(late / 1000).toFixed(1)} ms at +${((t - fromUs) / 1e6).toFixed(2)} s; on the CPU then:`);
      const cpu = summariseProfiles(dir, t - 10000, t + late, 4, `${name}.cpuprofile`);
      out.push(...cpu.slice(1).map((l) => `    ${l}`));
    }
  }
  return out;
}
