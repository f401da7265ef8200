/**
 * Degrade, don't crash (issue 12, item 5), with the real engine and VXLAN
 * driver on a real namespace whose driver run directory is a tiny tmpfs:
 * filled up, then remounted read-only. The driver keeps serving (same pid),
 * installs what the endpoints ask for, status and readiness say what is wrong
 * and what to do, no temp file is left, and once space (or write access)
 * returns the state file catches up and the problem clears by itself.
 * Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { bridgeJson, canUseNetns, connectVeth, createNetns, run, waitFor } from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const NS = `cbt-reload-${tag}-rd`;
const PEER = `cbt-reload-${tag}-rq`;
const LOCAL = '172.30.63.1';

const remote = (n: number) => ({
  cluster_id: `cluster${n}`,
  private_ip: `172.30.63.${n}`,
  subnets: [`10.${n}.0.0/16`],
  backend: 'vxlan',
});
const fdb = async (): Promise<string[]> =>
  (await bridgeJson<{ mac: string; dst?: string }[]>(NS, 'fdb', 'show', 'dev', 'vxlan-tunnel'))
    .filter((e) => e.mac === '00:00:00:00:00:00')
    .map((e) => e.dst ?? '')
    .sort();

describe('degrade, do not crash: the driver run directory full, then read-only (integration, root, tmpfs)', function () {
  this.timeout(120000);
  let work: string;
  let path: string;
  let stateDir: string;
  let engine: EngineProcess;
  let mounted = false;
  const setEndpoints = async (n: number[]) => {
    await writeFile(`${path}.new`, stringify(n.map(remote)));
    await rename(`${path}.new`, path);
  };
  const stateCables = async (): Promise<string[]> =>
    Object.keys(JSON.parse(await readFile(join(stateDir, 'vxlan.state.json'), 'utf8')) as object).sort();
  const leftovers = async () => (await readdir(stateDir)).filter((f) => f.endsWith('.tmp'));

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-rundir-'));
    path = join(work, 'endpoints.yaml');
    stateDir = join(work, 'run', 'drivers');
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await run('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', `cbt-reload-${tag}`, stateDir]);
    mounted = true;
    await setEndpoints([2]);
    await createNetns(NS);
    await createNetns(PEER);
    await connectVeth({ ns: NS, name: 'eth-rd1', cidr: `${LOCAL}/24` }, { ns: PEER, name: 'eth-rd2' });
    engine = new EngineProcess({
      ns: NS,
      clusterId: 'cluster1',
      privateIp: LOCAL,
      subnets: ['10.1.0.0/16'],
      endpointsPath: path,
      runDir: join(work, 'run'),
      extraArgs: ['--no-health-check'],
    });
    engine.start();
    await waitFor('engine SERVING', () => engine.serving(), 30000);
  });

  after(async function () {
    await tearDownEngines({
      engines: [engine],
      namespaces: [NS, PEER],
      work: undefined,
      failed: this.currentTest?.state === 'failed',
      signal: 'SIGKILL',
    });
    if (mounted) await run('umount', ['-l', stateDir]).catch(() => undefined);
    await run('rm', ['-rf', work]);
  });

  for (const fault of ['full', 'read-only'] as const) {
    it(`should keep serving when the run dir is ${fault}, say so, leave no temp file, and recover by itself`, async () => {
      const driverPid = (await engine.status()).driver?.pid;
      const filler = join(stateDir, 'filler');
      const started = Date.now();
      if (fault === 'full')
        await run('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k', 'count=1000']).catch(() => undefined);
      else await run('mount', ['-o', 'remount,ro', stateDir]);
      const n = fault === 'full' ? 3 : 4;
      await setEndpoints([2, n]);
      await waitFor('the new cable installed', async () => (await fdb()).includes(`172.30.63.${n}`), 20000);
      const want = fault === 'full' ? /ENOSPC.*free space in/ : /EROFS.*remount it read-write/;
      await waitFor('the problem in the status', async () => want.test((await engine.status()).statusFailure), 20000);
      const status = (await engine.status()).statusFailure;
      assert.equal(await engine.serving(), false, 'readiness NOT_SERVING while degraded');
      assert.equal((await engine.status()).driver?.pid, driverPid, 'the driver did not crash');
      assert.deepEqual(await leftovers(), [], 'no temp file left');
      assert.ok(
        !(await stateCables()).some((c) => c.includes(`172-30-63-${n}`)),
        'the state file could not be written',
      );
      if (fault === 'full') await run('rm', ['-f', filler]);
      else await run('mount', ['-o', 'remount,rw', stateDir]);
      const fixedAt = Date.now();
      await waitFor(
        'recovered by itself',
        async () => (await engine.serving()) && (await engine.status()).statusFailure === '',
        30000,
      );
      const recoveredMs = Date.now() - fixedAt;
      assert.ok(
        (await stateCables()).some((c) => c.includes(`172-30-63-${n}`)),
        'the state file caught up',
      );
      assert.equal((await engine.status()).driver?.pid, driverPid);
      process.stdout.write(
        `      run dir ${fault}: status said "${status.slice(0, 140)}..."; recovered ${recoveredMs} ms after the fix (${Date.now() - started} ms in all)\n`,
      );
    });
  }
});
