/**
 * `cablectl shutdown` (the preStop hook of the chart) against a real engine
 * with the real VXLAN driver in a network namespace: without --cleanup the
 * engine exits and the datapath stays (host-pluto mode: tunnels survive the
 * pod); with --cleanup it is removed first (own mode). Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CABLECTL_MAIN, EngineProcess } from '../../../lab/engine-process.js';
import {
  bridgeJson,
  canUseNetns,
  connectVeth,
  createNetns,
  deleteNetns,
  ipJson,
  run,
  waitFor,
} from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const NS = `cbt-shut-${tag}-a`;
const PEER_NS = `cbt-shut-${tag}-b`;
const IP = '172.30.19.1';
const REMOTE_IP = '172.30.19.2';

interface LinkJson {
  ifindex: number;
}
interface FdbJson {
  mac: string;
  dst?: string;
}

const vxlanIfindex = async (): Promise<number | undefined> =>
  (await ipJson<LinkJson[]>(NS, 'link', 'show', 'dev', 'vxlan-tunnel').catch(() => [] as LinkJson[]))[0]?.ifindex;
const remoteFdb = async (): Promise<boolean> =>
  (await bridgeJson<FdbJson[]>(NS, 'fdb', 'show', 'dev', 'vxlan-tunnel').catch(() => [] as FdbJson[])).some(
    (e) => e.mac === '00:00:00:00:00:00' && e.dst === REMOTE_IP,
  );
const exited = (pid: number) => async (): Promise<boolean> => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

describe('cablectl shutdown against a real engine with the VXLAN driver (integration, root)', function () {
  this.timeout(60000);
  let work: string;
  let engine: EngineProcess | undefined;

  const startEngine = async (): Promise<EngineProcess> => {
    const e = new EngineProcess({
      ns: NS,
      clusterId: 'cluster1',
      privateIp: IP,
      subnets: ['10.1.0.0/16'],
      endpointsPath: join(work, 'endpoints.yaml'),
      runDir: join(work, 'run'),
    });
    engine = e;
    e.start();
    await waitFor(
      'engine SERVING with the remote installed',
      async () => (await e.serving()) && (await remoteFdb()),
      30000,
    );
    return e;
  };

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-shut-'));
    await writeFile(
      join(work, 'endpoints.yaml'),
      stringify([
        { cluster_id: 'cluster2', hostname: 'gw-2', private_ip: REMOTE_IP, subnets: ['10.2.0.0/16'], backend: 'vxlan' },
      ]),
    );
    await createNetns(NS);
    await createNetns(PEER_NS);
    await connectVeth(
      { ns: NS, name: 'eth-sa', cidr: `${IP}/24` },
      { ns: PEER_NS, name: 'eth-sb', cidr: `${REMOTE_IP}/24` },
    );
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      process.stderr.write(`--- engine log ---\n${(await engine?.log())?.slice(-4000)}\n`);
    await engine?.stop('SIGKILL');
  });

  after(async () => {
    await deleteNetns(NS);
    await deleteNetns(PEER_NS);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('should stop the engine and leave the VXLAN device and its FDB entry without --cleanup', async () => {
    const e = await startEngine();
    const before = await vxlanIfindex();
    const { stdout } = await run(process.execPath, [CABLECTL_MAIN, '--socket', e.socket, 'shutdown'], 30000);
    assert.equal(stdout.trim(), 'engine stopped; datapath left in place');
    await waitFor('engine process gone', exited(e.pid), 10000);
    assert.equal(await vxlanIfindex(), before, 'the same vxlan-tunnel device is still there');
    assert.ok(await remoteFdb(), 'the remote FDB entry is still there');
  });

  it('should remove the VXLAN device before stopping with --cleanup', async () => {
    const e = await startEngine();
    const { stdout } = await run(
      process.execPath,
      [CABLECTL_MAIN, '--socket', e.socket, 'shutdown', '--cleanup'],
      30000,
    );
    assert.equal(stdout.trim(), 'engine stopped; datapath removed');
    await waitFor('engine process gone', exited(e.pid), 10000);
    assert.equal(await vxlanIfindex(), undefined, 'vxlan-tunnel is gone');
  });
});
