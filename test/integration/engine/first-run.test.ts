/**
 * What a new user meets on a first run, with the real cabled process: causes
 * that cannot fix themselves (no CAP_NET_ADMIN, not root, a --private-ip this
 * host does not hold) are said once, with what to do, and the process exits
 * non-zero instead of retrying; `cabled cleanup` removes a real datapath
 * without --cluster-id or --endpoints. Runs as root (drops privileges with
 * setpriv where a test needs fewer).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ENGINE_MAIN, EngineProcess } from '../../../lab/engine-process.js';
import { canUseNetns, connectVeth, createNetns, deleteNetns, ipJson, run, waitFor } from '../../../lab/netns.js';
import { removeDir } from '../../../lab/fs-helpers.js';

const tag = `${process.pid % 100000}`;
const NS1 = `cbt-polish-${tag}-f1`;
const NS2 = `cbt-polish-${tag}-f2`;
const IP1 = '172.30.43.1';
const IP2 = '172.30.43.2';
/** A busy CI machine is slow to start node; nothing here waits on a retry. */
const EXIT_CEILING_MS = 60000;

interface Exit {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs a command to its end (killed at the ceiling), with stdout and stderr together. */
function runToExit(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_CEILING_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe('first run of the real cabled process (integration, root)', function () {
  this.timeout(180000);
  let work: string;
  let endpointsPath: string;

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-firstrun-'));
    endpointsPath = join(work, 'endpoints.yaml');
    await writeFile(
      endpointsPath,
      stringify([
        { cluster_id: 'cluster1', hostname: 'gw-1', private_ip: IP1, subnets: ['10.1.0.0/16'], backend: 'vxlan' },
        { cluster_id: 'cluster2', hostname: 'gw-2', private_ip: IP2, subnets: ['10.2.0.0/16'], backend: 'vxlan' },
      ]),
    );
    await createNetns(NS1);
    await createNetns(NS2);
    await connectVeth({ ns: NS1, name: 'eth-f1', cidr: `${IP1}/24` }, { ns: NS2, name: 'eth-f2', cidr: `${IP2}/24` });
  });

  after(async () => {
    await deleteNetns(NS1);
    await deleteNetns(NS2);
    if (work) removeDir(work);
  });

  const runArgs = (runDir: string, ...extra: string[]) => [
    ENGINE_MAIN,
    'run',
    '--cluster-id',
    'cluster1',
    '--subnets',
    '10.1.0.0/16',
    '--endpoints',
    endpointsPath,
    '--run-dir',
    runDir,
    ...extra,
  ];

  it('root without CAP_NET_ADMIN: says "run as root or with CAP_NET_ADMIN" once and exits non-zero', async () => {
    const exit = await runToExit('ip', [
      'netns',
      'exec',
      NS2,
      'setpriv',
      '--bounding-set',
      '-net_admin',
      process.execPath,
      ...runArgs(join(work, 'nocap'), '--private-ip', IP1),
    ]);
    assert.notEqual(exit.code, 0, exit.output);
    assert.ok(exit.ms < EXIT_CEILING_MS, 'exited by itself');
    assert.equal(count(exit.output, 'run as root or with CAP_NET_ADMIN'), 1, exit.output);
    assert.doesNotMatch(exit.output, /EPERM|EACCES/);
  });

  it('a user that is not root, with the default run directory: the same one message, no EACCES', async function () {
    const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    const canRead = await runToExit('setpriv', [
      ...nobody,
      process.execPath,
      '-e',
      `require('fs').readFileSync(${JSON.stringify(ENGINE_MAIN)})`,
    ]);
    if (canRead.code !== 0) this.skip(); // this checkout is not readable by uid 65534
    const exit = await runToExit('ip', [
      'netns',
      'exec',
      NS2,
      'setpriv',
      ...nobody,
      process.execPath,
      ENGINE_MAIN,
      'run',
      '--cluster-id',
      'cluster1',
      '--endpoints',
      endpointsPath,
    ]);
    assert.notEqual(exit.code, 0, exit.output);
    assert.equal(count(exit.output, 'run as root or with CAP_NET_ADMIN'), 1, exit.output);
    assert.match(exit.output, /uid 65534 without CAP_NET_ADMIN/);
    assert.doesNotMatch(exit.output, /EACCES|mkdir/);
  });

  it('a --private-ip on no device: says so once with the addresses it has, and exits instead of retrying', async () => {
    const exit = await runToExit('ip', [
      'netns',
      'exec',
      NS1,
      process.execPath,
      ...runArgs(join(work, 'noip'), '--private-ip', '10.99.0.1'),
    ]);
    assert.notEqual(exit.code, 0, exit.output);
    assert.equal(count(exit.output, '--private-ip 10.99.0.1 is on no device of this host'), 1, exit.output);
    assert.match(exit.output, new RegExp(`its addresses: ${IP1.replaceAll('.', '\\.')}`));
    assert.doesNotMatch(exit.output, /set the MTU explicitly/);
  });

  it('cabled cleanup removes what a real engine left, with neither --cluster-id nor --endpoints', async () => {
    const runDir = join(work, 'run1');
    const engine = new EngineProcess({
      ns: NS1,
      clusterId: 'cluster1',
      privateIp: IP1,
      subnets: ['10.1.0.0/16'],
      endpointsPath,
      runDir,
      extraArgs: ['--no-health-check'],
    });
    engine.start();
    try {
      await waitFor('the engine to install its cable', () => engine.serving(), 60000);
    } finally {
      await engine.stop('SIGTERM'); // leaves the datapath in place
    }
    assert.equal((await ipJson<unknown[]>(NS1, 'link', 'show', 'vxlan-tunnel')).length, 1, 'datapath left in place');

    const exit = await runToExit('ip', [
      'netns',
      'exec',
      NS1,
      process.execPath,
      ENGINE_MAIN,
      'cleanup',
      '--private-ip',
      IP1,
      '--run-dir',
      runDir,
    ]);
    assert.equal(exit.code, 0, exit.output);
    await assert.rejects(run('ip', ['-n', NS1, 'link', 'show', 'vxlan-tunnel']), /does not exist/);
    assert.deepEqual(await ipJson(NS1, 'route', 'show', 'table', '100'), []);
    await access(runDir, constants.F_OK);
  });
});
