/**
 * `npm run bench`: runs the performance benchmarks of issue 15 (P1-P4), each
 * against its baseline in the same run, interleaved, and prints one table
 * (target, measured median and spread, met or not). A full run writes the
 * table into docs/benchmarks.md with the command that reproduces each line.
 * Run as root (network namespaces, pluto):
 *   npm run bench [-- --runs N] [--only P1,P2,P3,P4] [--keep] [--smoke] [--no-write]
 * --smoke: tiny sizes, one round, nothing written; for CI (fails only when a
 * benchmark cannot run, never on its figures).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchOptions, machineLoad, type Row } from './common.js';
import { runP1 } from './p1-libreswan.js';
import { runP2 } from './p2-vxlan.js';
import { runP3 } from './p3-api.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string', default: 'P1,P2,P3,P4' },
    smoke: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});

const smoke = values.smoke ?? false;
const opts: BenchOptions = {
  runs: smoke ? 1 : Math.max(1, Number(values.runs)),
  smoke,
  keep: values.keep ?? false,
  tag: `perf${process.pid % 100000}`,
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
  if (only.has('P2') || only.has('P4')) {
    console.log(`== P2 / P4: VXLAN endpoints file -> kernel, and memory (${machineLoad()})`);
    rows.push(...(await runP2(opts)).filter((r) => only.has(r.id)));
  }
  if (only.has('P3')) {
    console.log(`== P3: API latency under status work (${machineLoad()})`);
    rows.push(...(await runP3(opts)));
  }
  if (only.has('P1')) {
    console.log(`== P1: libreswan, endpoints -> every IKE_SA_INIT sent (${machineLoad()})`);
    rows.push(...(await runP1(opts)));
  }
  rows.sort((a, b) => a.id.localeCompare(b.id));
  const minutes = ((performance.now() - t0) / 60000).toFixed(1);
  const header =
    `Measured ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} CPUs, kernel ${release()}, ` +
    `Node ${process.versions.node}, ${opts.runs} round(s) per benchmark, ${minutes} min; machine ${loadBefore} before, ${machineLoad()} after` +
    `${smoke ? ' (SMOKE: tiny sizes, figures mean nothing)' : ''}.`;
  const text = table(rows, header);
  console.log(`\n${text}\n`);
  if (!smoke && !values['no-write'] && only.size >= 4) {
    const doc = readFileSync(DOC, 'utf8');
    const block = `${BEGIN}\n${text}\n${END}`;
    const i = doc.indexOf(BEGIN);
    const j = doc.indexOf(END);
    const next =
      i >= 0 && j > i
        ? doc.slice(0, i) + block + doc.slice(j + END.length)
        : doc.replace(/\n## /, `\n${block}\n\n## `);
    writeFileSync(DOC, next);
    console.log(`written to ${DOC}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
