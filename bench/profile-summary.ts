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
  return { NODE_OPTIONS: `--require ${preload}` };
}

export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export function summariseProfiles(dir: string, fromUs: number, toUs: number, top = 10): string[] {
  const out: string[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [`no profiles in ${dir}`];
  }
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
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
