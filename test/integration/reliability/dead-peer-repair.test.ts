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
import { desiredTransportState, diffStates, observeState, waitForExactState } from '../../../lab/datapath-state.js';
import { DeadPeerGateway, type DeadRemote, deadCableName } from '../../../lab/dead-peer-gateway.js';
import { run, waitFor } from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const NS = `cbt-d12c-${tag}-dr`;
const PEER = `cbt-d12c-${tag}-dq`;
const LOCAL = '172.30.64.1';
const PSK = 'cabled-test-psk-dead-repair-0123456789abcdef';

// On the gateway's own subnet, and nobody answers ARP for them: no IKE answer, ever.
const remote = (n: number): DeadRemote => ({
  cluster_id: `cluster${n}`,
  private_ip: `172.30.64.${n}`,
  subnets: [`10.${n}.0.0/16`],
  backend: 'libreswan',
});
const DEAD = [remote(2), remote(3), remote(4)];

describe('dead peers: a repair rewrites nothing, yet puts back a missing part (integration, root, real pluto, transport mode)', function () {
  this.timeout(420000);
  let gateway: DeadPeerGateway;
  const expectExact = (what: string, timeoutMs: number) =>
    waitForExactState(
      what,
      NS,
      gateway.ctl,
      desiredTransportState({
        localIp: LOCAL,
        vxlanPort: 4789,
        remotes: DEAD.map((r) => ({ cableName: deadCableName(r), ip: r.private_ip, subnets: r.subnets })),
      }),
      timeoutMs,
      500,
    );

  before(async () => {
    gateway = await DeadPeerGateway.start({
      tag: 'd12c',
      ns: NS,
      peer: PEER,
      veth: ['eth-dr1', 'eth-dr2'],
      localIp: LOCAL,
      localSubnet: '10.1.0.0/16',
      dead: DEAD,
      ceCustomConfig: `ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\nceIPSecPSK: "${PSK}"\n`,
    });
    await expectExact('installed', 30000);
  });

  after(async function () {
    await gateway?.stop(this.currentTest?.state === 'failed');
  });

  it('should not install again cables whose every part is in place: no repair round, no rewrite of the secrets, the state file or pluto', async () => {
    await gateway.waitForPartsInPlace();
    const before = await gateway.traces();
    // 25 s: about 8 resyncs (every 3 s), and the driver's status readings in between.
    await new Promise((r) => setTimeout(r, 25000));
    const after = await gateway.traces();
    assert.equal(after.rounds, before.rounds, 'no repair round');
    assert.equal(after.added, before.added, 'no connection added again');
    assert.equal(after.secrets, before.secrets, 'the secrets file was not rewritten');
    assert.equal(after.state, before.state, 'the state file was not rewritten');
    await expectExact('after a repair that found nothing missing', 10000);
  });

  it('should still put back a block policy, an overlay route, a trap policy and a pluto connection deleted behind its back', async () => {
    const [a, b, c] = DEAD as [DeadRemote, DeadRemote, DeadRemote];
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
      ...['netns', 'exec', NS, 'ipsec', 'whack', '--ctlsocket', gateway.ctl],
      ...['--delete', '--name', `${deadCableName(c)}-0`],
    ]);
    const diff = diffStates(
      desiredTransportState({
        localIp: LOCAL,
        vxlanPort: 4789,
        remotes: DEAD.map((r) => ({ cableName: deadCableName(r), ip: r.private_ip, subnets: r.subnets })),
      }),
      await observeState(NS, gateway.ctl),
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
    const conns = await gateway.engine.connections();
    assert.ok(conns.length === DEAD.length && conns.every((c) => c.status === 3), 'still in error (dead peers)');
  });
});
