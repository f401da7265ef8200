/**
 * One engine per network namespace, on real namespaces with the VXLAN driver.
 * Observed before: a second engine started in the same namespace with another
 * --run-dir adopted the first one's device and installed cables beside it.
 * Now it refuses to start, naming the first one's pid and run dir, and
 * changes nothing; `cabled cleanup` refuses too. After the first is killed
 * with -9 (no chance to release anything) a new engine starts. An engine in
 * another namespace is not affected. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ENGINE_MAIN, EngineProcess } from '../../../lab/engine-process.js';
import { bridgeJson, canUseNetns, connectVeth, createNetns, ipJson, nsExec, waitFor } from '../../../lab/netns.js';
import { tearDownEngines } from '../../../lab/engine-process.js';

const tag = `${process.pid}`;
const NS = `cbt-trustapi-${tag}-one`;
const OTHER_NS = `cbt-trustapi-${tag}-two`;
const IP = '172.30.42.1';
const OTHER_IP = '172.30.42.2';

const vxlanIfindex = async (ns: string): Promise<number | undefined> =>
  (await ipJson<{ ifindex: number }[]>(ns, 'link', 'show', 'dev', 'vxlan-tunnel').catch(() => []))[0]?.ifindex;
const fdbDsts = async (): Promise<string[]> =>
  (await bridgeJson<{ mac: string; dst?: string }[]>(NS, 'fdb', 'show', 'dev', 'vxlan-tunnel').catch(() => []))
    .filter((e) => e.mac === '00:00:00:00:00:00')
    .map((e) => e.dst ?? '')
    .sort();

describe('one engine per network namespace (integration, root)', function () {
  this.timeout(120000);
  let work: string;
  const engines: EngineProcess[] = [];

  const engine = (ns: string, ip: string, runDir: string, endpoints = 'endpoints.yaml'): EngineProcess => {
    const e = new EngineProcess({
      ns,
      clusterId: ns === NS ? 'cluster1' : 'cluster2',
      privateIp: ip,
      subnets: [ns === NS ? '10.1.0.0/16' : '10.2.0.0/16'],
      endpointsPath: join(work, endpoints),
      runDir: join(work, runDir),
    });
    engines.push(e);
    return e;
  };

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-onens-'));
    const remote = (id: string, ip: string, subnet: string) => ({
      cluster_id: id,
      hostname: `gw-${id}`,
      private_ip: ip,
      subnets: [subnet],
      backend: 'vxlan',
    });
    await writeFile(join(work, 'endpoints.yaml'), stringify([remote('cluster2', OTHER_IP, '10.2.0.0/16')]));
    // What the second engine would install beside the first one's cables.
    await writeFile(join(work, 'endpoints-b.yaml'), stringify([remote('cluster3', '172.30.42.3', '10.3.0.0/16')]));
    await createNetns(NS);
    await createNetns(OTHER_NS);
    await connectVeth(
      { ns: NS, name: 'eth-oa', cidr: `${IP}/24` },
      { ns: OTHER_NS, name: 'eth-ob', cidr: `${OTHER_IP}/24` },
    );
  });

  after(async function () {
    await tearDownEngines({
      engines,
      namespaces: [NS, OTHER_NS],
      work,
      failed: this.currentTest?.state === 'failed',
      signal: 'SIGKILL',
    });
  });

  it('refuses a second engine with another run dir, naming the first one pid and run dir, and changes nothing', async () => {
    const first = engine(NS, IP, 'run-a');
    first.start();
    await waitFor('first engine SERVING', async () => (await first.serving()) && (await fdbDsts()).length === 1, 40000);
    const ifindex = await vxlanIfindex(NS);

    const second = engine(NS, IP, 'run-b', 'endpoints-b.yaml');
    second.start();
    await waitFor('second engine exits', async () => !alive(second.pid), 30000);
    const log = await second.log();
    assert.match(
      log,
      new RegExp(
        `another cabled engine runs in this network namespace \\(pid ${first.pid}, run dir ${join(work, 'run-a')}`,
      ),
    );
    assert.match(log, /stop that one first/);

    assert.ok(await first.serving(), 'the first engine still serves');
    assert.equal(await vxlanIfindex(NS), ifindex, 'the same device');
    assert.deepEqual(await fdbDsts(), [OTHER_IP], 'no cable of the second engine');

    const cleanup = await nsExec(NS, process.execPath, [
      ENGINE_MAIN,
      'cleanup',
      '--cluster-id',
      'cluster1',
      '--endpoints',
      join(work, 'endpoints.yaml'),
      '--run-dir',
      join(work, 'run-c'),
    ]).then(
      () => 'ran',
      (err: unknown) => String(err),
    );
    assert.match(cleanup, new RegExp(`pid ${first.pid}, run dir ${join(work, 'run-a')}`));
    assert.equal(await vxlanIfindex(NS), ifindex, 'cleanup removed nothing');
  });

  it('lets an engine run in another namespace meanwhile', async () => {
    const other = engine(OTHER_NS, OTHER_IP, 'run-other');
    other.start();
    await waitFor('engine in the other namespace SERVING', () => other.serving(), 40000);
  });

  it('starts a new engine after the first one is killed with -9', async () => {
    const first = engines[0];
    assert.ok(first);
    await first.stop('SIGKILL');
    const next = engine(NS, IP, 'run-b');
    next.start();
    await waitFor('new engine SERVING', async () => (await next.serving()) && (await fdbDsts()).length === 1, 40000);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
