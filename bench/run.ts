/**
 * `npm run bench`: runs the performance benchmarks of issue 15 (P1-P4), each
 * against its baseline in the same run, interleaved, and prints one table
 * (target, measured median and spread, met or not). A full run writes the
 * table into docs/benchmarks.md with the command that reproduces each line.
 * Run as root (network namespaces, pluto):
 *   npm run bench [-- --runs N] [--only P1,P2,P3,P4] [--keep] [--smoke] [--no-write]
 *                 [--dist DIR (another build's dist, e.g. main's: before/after)] [--profile DIR]
 * --smoke: tiny sizes, one round, nothing written; for CI (fails only when a
 * benchmark cannot run, never on its figures).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchOptions, machineLoad, type Row } from './common.js';
import { runP1 } from './p1-libreswan.js';
import { runP2 } from './p2-vxlan.js';
import { runP3 } from './p3-api.js';

const USAGE = `usage: npm run bench [-- --runs N] [--only P1,P2,P3,P4] [--keep] [--smoke] [--no-write]
                 [--dist DIR] [--profile DIR]
  --runs N       rounds per benchmark, each against its baseline, interleaved (default 5)
  --only LIST    which benchmarks (default P1,P2,P3,P4; P4 is measured in P2's rounds)
  --keep         keep each run's folders and logs
  --smoke        tiny sizes, one round, nothing written (CI: fails only when a benchmark cannot run)
  --no-write     print the table without writing it into docs/benchmarks.md
  --dist DIR     run another build's engine (e.g. main's dist) for a before/after
  --profile DIR  CPU profiles of the timed windows into DIR
Run as root (network namespaces, pluto).`;

function parseBenchArgs() {
  try {
    return parseArgs({
      options: {
        runs: { type: 'string', default: '5' },
        only: { type: 'string', default: 'P1,P2,P3,P4' },
        smoke: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        'no-write': { type: 'boolean', default: false },
        dist: { type: 'string' },
        profile: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const { values } = parseBenchArgs();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!/^[1-9]\d{0,2}$/.test(values.runs ?? '')) {
  console.error(`bench: --runs must be a whole number from 1 to 999, got ${JSON.stringify(values.runs)}\n${USAGE}`);
  process.exit(2);
}
const unknown = (values.only ?? '')
  .split(',')
  .map((s) => s.trim().toUpperCase())
  .filter((s) => !['P1', 'P2', 'P3', 'P4'].includes(s));
if (unknown.length) {
  console.error(`bench: --only takes P1, P2, P3 and P4, not ${unknown.join(', ')}\n${USAGE}`);
  process.exit(2);
}

const smoke = values.smoke ?? false;
const opts: BenchOptions = {
  runs: smoke ? 1 : Math.max(1, Number(values.runs)),
  smoke,
  keep: values.keep ?? false,
  tag: `perf${process.pid % 100000}`,
  engineMain: values.dist ? resolve(values.dist, 'src/engine/main.js') : undefined,
  profile: values.profile ? resolve(values.profile) : undefined,
  say: (line) => console.log(line),
};
const only = new Set((values.only ?? '').split(',').map((s) => s.trim().toUpperCase()));
const DOC = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const BEGIN = '<!-- bench:begin (written by npm run bench) -->';
const END = '<!-- bench:end -->';

function table(rows: readonly Row[], header: string): string {
  const met = (r: Row) => (r.met === undefined ? '-' : r.met ? '**met**' : '**not met**');
  return [
    header,
    '',
    '| | what | target | measured: median (min-max, n) | | reproduce |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.id} | ${r.what} | ${r.target} | ${r.measured} | ${met(r)} | \`${r.command}\` |`),
  ].join('\n');
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('npm run bench needs root (network namespaces, pluto)');
  const started = new Date();
  const loadBefore = machineLoad();
  const rows: Row[] = [];
  const t0 = performance.now();
  let failed = 0;
  // One benchmark that cannot run is reported as such; the others still run.
  const step = async (ids: string[], title: string, bench: (o: BenchOptions) => Promise<Row[]>) => {
    if (!ids.some((id) => only.has(id))) return;
    console.log(`== ${title} (${machineLoad()})`);
    try {
      rows.push(...(await bench(opts)).filter((r) => only.has(r.id)));
    } catch (err) {
      failed++;
      console.error(err);
      for (const id of ids.filter((i) => only.has(i)))
        rows.push({
          id,
          what: title,
          target: '',
          measured: `did not run: ${String(err).slice(0, 200)}`,
          met: false,
          command: '',
        });
    }
  };
  await step(['P2', 'P4'], 'P2 / P4: VXLAN endpoints file -> kernel, and memory', runP2);
  await step(['P3'], 'P3: API latency under status work', runP3);
  await step(['P1'], 'P1: libreswan, endpoints -> every IKE_SA_INIT sent', runP1);
  rows.sort((a, b) => a.id.localeCompare(b.id));
  const minutes = ((performance.now() - t0) / 60000).toFixed(1);
  const header =
    `Measured ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} CPUs, kernel ${release()}, ` +
    `Node ${process.versions.node}, ${opts.runs} round(s) per benchmark, ${minutes} min; machine ${loadBefore} before, ${machineLoad()} after` +
    `${smoke ? ' (SMOKE: tiny sizes, figures mean nothing)' : ''}.`;
  const text = table(rows, `${header}${opts.engineMain ? ` Engine: ${opts.engineMain}.` : ''}`);
  console.log(`\n${text}\n`);
  if (!smoke && !values['no-write'] && !opts.engineMain && only.size >= 4) {
    const doc = readFileSync(DOC, 'utf8');
    const block = `${BEGIN}\n${text}\n${END}`;
    const i = doc.indexOf(BEGIN);
    const j = doc.indexOf(END);
    const next =
      i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + END.length) : doc.replace(/\n## /, `\n${block}\n\n## `);
    writeFileSync(DOC, next);
    console.log(`written to ${DOC}`);
  }
  if (failed) throw new Error(`${failed} benchmark(s) could not run`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
