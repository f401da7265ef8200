/**
 * The guest program: runs inside the stock kernel (chrooted into the host
 * root shared over 9p), as `node dist/test/e2e/guest/main.js <job.json> <out-dir>`.
 * Runs the job's scenarios one after the other and rewrites
 * `<out-dir>/result.json` after each, so a timeout still leaves what was measured.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { installedVersion } from '../../../src/lib/whack/index.js';
import type { GuestJob, GuestResult } from '../harness/types.js';
import { runScenario, say } from './scenarios.js';

async function main(): Promise<void> {
  const [jobPath, outDir] = process.argv.slice(2);
  if (!jobPath || !outDir) throw new Error('usage: main.js <job.json> <out-dir>');
  const job = JSON.parse(readFileSync(jobPath, 'utf8')) as GuestJob;
  const t0 = Date.now();
  const result: GuestResult = {
    kernel: release(),
    startedAt: new Date().toISOString(),
    elapsed: 0,
    finished: false,
    scenarios: [],
  };
  result.libreswan = await installedVersion().then(
    (v) => v.raw,
    () => undefined, // no libreswan: the libreswan scenarios say so
  );
  const write = () => {
    result.elapsed = Math.round((Date.now() - t0) / 100) / 10;
    writeFileSync(join(outDir, 'result.json'), JSON.stringify(result, null, 2));
  };
  write();
  say(`kernel ${result.kernel}, ${result.libreswan ?? 'no libreswan'}, scenarios ${job.scenarios.join(', ')}`);
  for (const name of job.scenarios) {
    result.scenarios.push(await runScenario(name, job, outDir));
    write();
  }
  result.finished = true;
  write();
  say(`done in ${result.elapsed} s`);
}

main().catch((err: unknown) => {
  say(`guest program failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
