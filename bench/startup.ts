/**
 * Startup figures (issue 9): how long each process takes to start and how
 * much memory it holds, each as a ratio to bare `node -e 0` measured in the
 * same run. The cases run interleaved (one of each per round), so a busy
 * machine slows them all alike; every figure is a median with its min/max.
 *
 *   node dist/bench/startup.js [--runs N] [--dist DIR] [--compare DIR]   (npm run bench:startup)
 *
 * Cases: `node -e 0`, `cabled version`, `cablectl --help` (spawn to exit,
 * peak RSS); each driver from spawn to its handshake line (RSS then); and,
 * as root, the engine from spawn to "API serving" with a file endpoint
 * source in a namespace of its own (RSS then, and idle RSS 1 s after its
 * driver is ready). --dist measures another build; --compare DIR adds the
 * same cases for a second build (e.g. main's), interleaved with the first in
 * every round, for a before/after under the same load. Prints targets beside the figures but never fails on them:
 * it exits non-zero only when a command fails.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

interface Sample {
  ms: number;
  /** Peak (spawn-to-exit cases) or current (long-running cases) RSS of the process, MB. */
  rssMb: number;
  /** Engine only: RSS 1 s after its driver reported ready, MB. */
  idleMb?: number;
}

interface Case {
  name: string;
  /** Time target in ms, absolute or as a ratio to node -e 0. */
  target?: { ms?: number; ratio?: number; rssMb?: number };
  run: (round: number) => Promise<Sample>;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const RUNS = Math.max(1, Number(flag('--runs') ?? 7));
const DIST = resolve(flag('--dist') ?? fileURLToPath(new URL('../', import.meta.url)));
const COMPARE = flag('--compare') ? resolve(flag('--compare')!) : undefined;
const NODE = process.execPath;
const work = mkdtempSync(join(tmpdir(), `cabled-bench-startup-${process.pid}-`));
const NS = `cbb-start-${process.pid}`;
const isRoot = process.getuid?.() === 0;

// A one-line preload (the same for every case, node -e 0 included) reports the process's peak RSS at exit.
const rssFile = join(work, 'rss.txt');
const preload = join(work, 'rss-report.cjs');
writeFileSync(
  preload,
  `process.on('exit', () => require('fs').appendFileSync(${JSON.stringify(rssFile)}, process.pid + ' ' + process.resourceUsage().maxRSS + '\\n'));\n`,
);

function peakRssMb(pid: number): number {
  let text = '';
  try {
    text = readFileSync(rssFile, 'utf8');
  } catch {
    return NaN;
  }
  const line = text.split('\n').find((l) => l.startsWith(`${pid} `));
  return line ? Number(line.split(' ')[1]) / 1024 : NaN;
}

function currentRssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Spawn to exit; fails when the command exits non-zero. */
function oneShot(args: string[]): () => Promise<Sample> {
  return () =>
    new Promise((resolveRun, reject) => {
      const t0 = performance.now();
      const child = spawn(NODE, args, {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: `--require ${preload}` },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => {
        const ms = performance.now() - t0;
        if (code !== 0) reject(new Error(`node ${args.join(' ')}: exit ${String(code)}: ${stderr.trim()}`));
        else resolveRun({ ms, rssMb: peakRssMb(child.pid ?? 0) });
      });
    });
}

/**
 * Spawns a long-running process and times it to the first output line that
 * `ready` accepts; `after` may wait for more (it gets the lines seen so far),
 * then the process is stopped with SIGTERM.
 */
function untilLine(
  command: string,
  args: (round: number) => string[],
  ready: (line: string) => boolean,
  after?: (pid: number, lines: () => string[]) => Promise<Partial<Sample>>,
  env: Record<string, string> = {},
): (round: number) => Promise<Sample> {
  return (round) =>
    new Promise((resolveRun, reject) => {
      const t0 = performance.now();
      const child = spawn(command, args(round), {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CABLED_LOG_FORMAT: 'json', ...env },
      });
      const seen: string[] = [];
      let done = false;
      const timer = setTimeout(
        () => finish(new Error(`no ready line within 60 s: ${seen.slice(-5).join('\n')}`)),
        60000,
      );
      const finish = (err?: Error, sample?: Sample) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        child.once('exit', () => (err ? reject(err) : resolveRun(sample!)));
        if (child.exitCode !== null || child.signalCode !== null) child.emit('exit');
        else child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10000).unref();
      };
      child.once('error', (e) => finish(e));
      child.once('exit', (code) => {
        if (!done)
          finish(new Error(`${args(round).join(' ')}: exited (${String(code)}) before ready: ${seen.join('\n')}`));
      });
      let fired = false;
      const onLine = (line: string) => {
        seen.push(line);
        if (fired || !ready(line)) return;
        fired = true;
        const ms = performance.now() - t0;
        const rssMb = currentRssMb(child.pid ?? 0);
        void (after ? after(child.pid ?? 0, () => seen) : Promise.resolve({})).then(
          (more) => finish(undefined, { ms, rssMb, ...more }),
          (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
        );
      };
      createInterface({ input: child.stdout }).on('line', onLine);
      createInterface({ input: child.stderr }).on('line', onLine);
    });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function driverCase(name: string, dist: string, label: string): Case {
  return {
    name: `${label}${name} driver: spawn -> handshake`,
    target: { ms: 500 },
    run: untilLine(
      NODE,
      (round) => [
        '--max-semi-space-size=2',
        join(dist, `drivers/${name}/main.js`),
        '--socket',
        join(work, `${label}${name}-${round}`.replace(/\W/g, '_'), 'driver.sock'),
      ],
      (line) => line.startsWith('CABLED|'),
    ),
  };
}

function engineCase(dist: string, label: string): Case {
  const endpoints = join(work, 'endpoints.json');
  writeFileSync(endpoints, '[]\n');
  return {
    name: `${label}engine: spawn -> "API serving" (file source)`,
    target: { ms: 1000 },
    run: untilLine(
      'ip',
      (round) => [
        'netns',
        'exec',
        NS,
        NODE,
        join(dist, 'src/engine/main.js'),
        'run',
        '--cluster-id',
        'bench',
        '--private-ip',
        '172.31.254.1',
        '--subnets',
        '10.77.0.0/16',
        '--endpoints',
        endpoints,
        '--run-dir',
        join(work, `${label}engine-${round}`.replace(/\W/g, '_')),
        '--driver',
        'vxlan',
      ],
      (line) => line.includes('API serving'),
      // Idle RSS: 1 s after the driver is ready (the engine then holds what it keeps).
      async (pid, lines) => {
        await waitFor(() => lines().some((l) => l.includes('driver ready')), 60000, 'driver ready');
        await sleep(1000);
        return { idleMb: currentRssMb(pid) };
      },
    ),
  };
}

function setUpNamespace(): void {
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['-n', NS, 'link', 'add', 'bench0', 'type', 'veth', 'peer', 'name', 'bench1']);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'bench1', 'up']);
  execFileSync('ip', ['-n', NS, 'addr', 'add', '172.31.254.1/24', 'dev', 'bench0']);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'bench0', 'up']);
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length ? (s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2) : NaN;
  return { median, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

const f0 = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(0));
const f1 = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(1));

async function main(): Promise<number> {
  const builds = COMPARE
    ? [
        { dist: COMPARE, label: '[compare] ' },
        { dist: DIST, label: '' },
      ]
    : [{ dist: DIST, label: '' }];
  const cases: Case[] = [{ name: 'node -e 0', run: oneShot(['-e', '0']) }];
  for (const { dist, label } of builds) {
    cases.push(
      {
        name: `${label}cabled version`,
        target: { ratio: 3, rssMb: 60 },
        run: oneShot([join(dist, 'src/engine/main.js'), 'version']),
      },
      {
        name: `${label}cablectl --help`,
        target: { ratio: 3, rssMb: 60 },
        run: oneShot([join(dist, 'src/cli/main.js'), '--help']),
      },
      driverCase('vxlan', dist, label),
      driverCase('libreswan', dist, label),
    );
  }
  if (isRoot) {
    setUpNamespace();
    for (const { dist, label } of builds) cases.push(engineCase(dist, label));
  }
  const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
  process.stdout.write(
    `startup figures: ${RUNS} interleaved rounds, ${DIST}${COMPARE ? ` ([compare]: ${COMPARE})` : ''}, node ${process.version}\n`,
  );
  for (let round = 0; round < RUNS; round++) {
    for (const c of cases) samples.get(c.name)!.push(await c.run(round));
  }
  const base = stats(samples.get('node -e 0')!.map((s) => s.ms)).median;
  const baseRss = stats(samples.get('node -e 0')!.map((s) => s.rssMb)).median;
  const rows: string[][] = [['case', 'ms median', 'min-max', 'x node -e 0', 'RSS MB', 'idle RSS MB', 'target', 'met']];
  for (const c of cases) {
    const list = samples.get(c.name)!;
    const t = stats(list.map((s) => s.ms));
    const r = stats(list.map((s) => s.rssMb));
    const idle = stats(list.map((s) => s.idleMb ?? NaN));
    const ratio = t.median / base;
    const goals: string[] = [];
    let met = true;
    if (c.target?.ratio) {
      goals.push(`<= ${c.target.ratio}x`);
      met &&= ratio <= c.target.ratio;
    }
    if (c.target?.ms) {
      goals.push(`< ${c.target.ms} ms`);
      met &&= t.median < c.target.ms;
    }
    if (c.target?.rssMb) {
      goals.push(`< ${c.target.rssMb} MB`);
      met &&= r.median < c.target.rssMb;
    }
    rows.push([
      c.name,
      f0(t.median),
      `${f0(t.min)}-${f0(t.max)}`,
      `${ratio.toFixed(2)}x`,
      `${f1(r.median)} (${(r.median / baseRss).toFixed(2)}x)`,
      f1(idle.median),
      goals.join(', ') || '-',
      c.target ? (met ? 'yes' : 'NO') : '',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}\n`);
  if (!isRoot) process.stdout.write('(engine case skipped: it needs root for a network namespace)\n');
  process.stdout.write(`load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
  return 0;
}

function cleanUp(): void {
  if (isRoot) {
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      /* not created */
    }
  }
  rmSync(work, { recursive: true, force: true });
}

main().then(
  (code) => {
    cleanUp();
    process.exit(code);
  },
  (err: unknown) => {
    cleanUp();
    process.stderr.write(`startup bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
