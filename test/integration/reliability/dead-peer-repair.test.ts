/**
 * A dead peer costs (almost) nothing (issue 12, item 4), with the real engine,
 * the real libreswan driver in transport mode and its own real pluto: cables
 * to peers nobody answers are in error, but the driver observes every part of
 * them in place (Connection.parts_in_place) and the engine's periodic resyncs
 * do not install them again: no repair round, no secrets file, no state file,
 * no "connections added". A part deleted behind the driver's back (a block
 * policy, an overlay route, pluto's trap policy, a connection in pluto) is still noticed (the
 * driver's audit of the parts of dead cables, 1 min after the install, then
 * doubling) and put back by the repair that follows, checked by an exact
 * comparison of pluto and the datapath with the desired state. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { desiredTransportState, diffStates, observeState, waitForExactState } from '../../../lab/datapath-state.js';
import { EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { canUseNetns, connectVeth, createNetns, run, waitFor } from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const NS = `cbt-d12c-${tag}-dr`;
const PEER = `cbt-d12c-${tag}-dq`;
const LOCAL = '172.30.64.1';
const PSK = 'cabled-test-psk-dead-repair-0123456789abcdef';

interface Remote {
  cluster_id: string;
  private_ip: string;
  subnets: string[];
  backend: string;
}
// On the gateway's own subnet, and nobody answers ARP for them: no IKE answer, ever.
const remote = (n: number): Remote => ({
  cluster_id: `cluster${n}`,
  private_ip: `172.30.64.${n}`,
  subnets: [`10.${n}.0.0/16`],
  backend: 'libreswan',
});
const DEAD = [remote(2), remote(3), remote(4)];
const cableOf = (r: Remote) => `submariner-cable-${r.cluster_id}-${r.private_ip.replaceAll('.', '-')}`;

describe('dead peers: a repair rewrites nothing, yet puts back a missing part (integration, root, real pluto, transport mode)', function () {
  this.timeout(420000);
  let work: string;
  let engine: EngineProcess;
  const runDir = () => join(work, 'run');
  const ctl = () => join(runDir(), 'drivers', 'pluto', 'run', 'pluto.ctl');
  const mtime = async (path: string) => (await stat(path)).mtimeMs;
  const stateFile = () => join(runDir(), 'drivers', 'libreswan.state.json');
  const secretsFile = () => join(runDir(), 'drivers', 'pluto', 'ipsec.secrets');
  const repairRounds = async () => (await engine.log()).split('\n').filter((l) => l.includes('"reconciling"')).length;
  const added = async () =>
    (await engine.log()).split('\n').filter((l) => l.includes('IPsec connections added')).length;
  const expectExact = (what: string, timeoutMs: number) =>
    waitForExactState(
      what,
      NS,
      ctl(),
      desiredTransportState({
        localIp: LOCAL,
        vxlanPort: 4789,
        remotes: DEAD.map((r) => ({ cableName: cableOf(r), ip: r.private_ip, subnets: r.subnets })),
      }),
      timeoutMs,
      500,
    );

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), `cabled-d12c-${tag}-`));
    const path = join(work, 'endpoints.yaml');
    await writeFile(
      `${path}.new`,
      stringify([
        { cluster_id: 'cluster1', private_ip: LOCAL, subnets: ['10.1.0.0/16'], backend: 'libreswan' },
        ...DEAD,
      ]),
    );
    await rename(`${path}.new`, path);
    await createNetns(NS);
    await createNetns(PEER);
    await connectVeth({ ns: NS, name: 'eth-dr1', cidr: `${LOCAL}/16` }, { ns: PEER, name: 'eth-dr2' });
    const configDir = join(work, 'config');
    writeKubeletVolume(configDir, {
      ceCustomConfig: `ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\nceIPSecPSK: "${PSK}"\n`,
    });
    engine = new EngineProcess({
      ns: NS,
      clusterId: 'cluster1',
      privateIp: LOCAL,
      subnets: ['10.1.0.0/16'],
      endpointsPath: path,
      runDir: runDir(),
      extraArgs: ['--driver', 'libreswan', '--config', configDir, '--no-health-check', '--resync-interval', '3'],
    });
    engine.start();
    await waitFor(
      'every cable reported in error (no answer)',
      async () => {
        const conns = await engine.connections().catch(() => []);
        return conns.length === DEAD.length && conns.every((c) => c.status === 3);
      },
      90000,
      500,
    );
    await expectExact('installed', 30000);
  });

  after(async function () {
    await engine?.stopPluto();
    await tearDownEngines({
      engines: [engine],
      namespaces: [NS, PEER],
      work,
      failed: this.currentTest?.state === 'failed',
      signal: 'SIGKILL',
    });
  });

  it('should not install again cables whose every part is in place: no repair round, no rewrite of the secrets, the state file or pluto', async () => {
    await waitFor(
      'every cable reported in error with every part in place',
      async () => {
        const conns = await engine.connections().catch(() => []);
        return conns.length === DEAD.length && conns.every((c) => c.status === 3 && c.partsInPlace === true);
      },
      90000,
      500,
    );
    const before = {
      rounds: await repairRounds(),
      added: await added(),
      state: await mtime(stateFile()),
      secrets: await mtime(secretsFile()),
    };
    // 25 s: about 8 resyncs (every 3 s), and the driver's status readings in between.
    await new Promise((r) => setTimeout(r, 25000));
    assert.equal(await repairRounds(), before.rounds, 'no repair round');
    assert.equal(await added(), before.added, 'no connection added again');
    assert.equal(await mtime(secretsFile()), before.secrets, 'the secrets file was not rewritten');
    assert.equal(await mtime(stateFile()), before.state, 'the state file was not rewritten');
    await expectExact('after a repair that found nothing missing', 10000);
  });

  it('should still put back a block policy, an overlay route, a trap policy and a pluto connection deleted behind its back', async () => {
    const [a, b, c] = DEAD as [Remote, Remote, Remote];
    // The block policy by its index (its selector carries cabled's tag, which `ip xfrm` cannot name).
    const listed = (
      await run('ip', ['-s', '-n', NS, 'xfrm', 'policy', 'list', 'dst', `${a.private_ip}/32`, 'dir', 'out'])
    ).stdout;
    const block = listed.split(/\n(?=src )/).find((p) => /action block/.test(p)) ?? '';
    const index = /\bindex (\d+)/.exec(block)?.[1];
    assert.ok(index, `the block policy towards ${a.private_ip}: ${listed}`);
    await run('ip', ['-n', NS, 'xfrm', 'policy', 'delete', 'index', index, 'dir', 'out']);
    await run('ip', ['-n', NS, 'route', 'del', b.subnets[0]!, 'table', '100']);
    // pluto's trap policy of b's connection towards its VXLAN port: pluto still calls the connection routed.
    const trapOf = async (): Promise<string | undefined> => {
      const out = (
        await run('ip', ['-s', '-n', NS, 'xfrm', 'policy', 'list', 'dst', `${b.private_ip}/32`, 'dir', 'out'])
      ).stdout;
      const trap = out.split(/\n(?=src )/).find((p) => /\btmpl\b/.test(p) && /dport 4789\b/.test(p));
      return trap ? /\bindex (\d+)/.exec(trap)?.[1] : undefined;
    };
    const trapIndex = await trapOf();
    assert.ok(trapIndex, `pluto's trap policy towards ${b.private_ip}`);
    await run('ip', ['-n', NS, 'xfrm', 'policy', 'delete', 'index', trapIndex, 'dir', 'out']);
    assert.equal(await trapOf(), undefined, 'the trap policy is gone');
    await run('ip', [
      ...['netns', 'exec', NS, 'ipsec', 'whack', '--ctlsocket', ctl()],
      ...['--delete', '--name', `${cableOf(c)}-0`],
    ]);
    const diff = diffStates(
      desiredTransportState({
        localIp: LOCAL,
        vxlanPort: 4789,
        remotes: DEAD.map((r) => ({ cableName: cableOf(r), ip: r.private_ip, subnets: r.subnets })),
      }),
      await observeState(NS, ctl()),
    );
    assert.ok(diff.length >= 3, `the three parts are missing: ${diff.join('; ')}`);
    // Noticed at the driver's next audit (1 min after the install, then 2 min after the first audit: the
    // deletions fall in the first or second interval), then repaired by the engine's next resync.
    await expectExact('after the repair that follows', 330000);
    await waitFor(
      "pluto's trap policy put back (the repair routes the connection again)",
      async () => (await trapOf()) !== undefined,
      60000,
      500,
    );
    const conns = await engine.connections();
    assert.ok(conns.length === DEAD.length && conns.every((c) => c.status === 3), 'still in error (dead peers)');
  });
});
