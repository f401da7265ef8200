/**
 * A dead peer costs (almost) nothing (issue 12, item 4), tunnel mode, with the
 * real engine, the real libreswan driver and its own real pluto: cables to
 * peers nobody answers (two subnet pairs each, so two pluto connections) are
 * in error, but the driver observes every part of them in place (each
 * connection loaded and routed in pluto, pluto's trap policy on each subnet
 * pair: Connection.parts_in_place) and the engine's periodic resyncs do not
 * install them again: no repair round, no secrets file, no state file, no
 * "connections added". A part deleted behind the driver's back (a trap policy
 * deleted with `ip xfrm`, pluto still calling its connection routed; a
 * connection deleted in pluto, the one its showstates do not name) is still
 * noticed (the driver's audit of dead cables, 1 min after the install, then
 * doubling) and put back by the repair that follows, checked by an exact
 * comparison of pluto's connections and the namespace's policies and routes
 * with the desired state. Runs as root.
 */
import assert from 'node:assert/strict';
import { desiredTunnelState, observeTunnelState, waitForExactTunnelState } from '../../../lab/datapath-state.js';
import { DeadPeerGateway, type DeadRemote, deadCableName } from '../../../lab/dead-peer-gateway.js';
import { run } from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const NS = `cbt-tuna-${tag}-dr`;
const PEER = `cbt-tuna-${tag}-dq`;
const LOCAL = '172.30.66.1';
const LOCAL_SUBNET = '10.1.0.0/16';
const PSK = 'cabled-test-psk-tuna-dead-repair-0123456789ab';

// On the gateway's own subnet, and nobody answers ARP for them: no IKE answer, ever.
const remote = (n: number): DeadRemote => ({
  cluster_id: `cluster${n}`,
  private_ip: `172.30.66.${n}`,
  subnets: [`10.${n}.0.0/16`, `10.${n + 100}.0.0/16`],
  backend: 'libreswan',
});
const DEAD = [remote(2), remote(3), remote(4)];
const DESIRED = desiredTunnelState({
  localSubnets: [LOCAL_SUBNET],
  remotes: DEAD.map((r) => ({ cableName: deadCableName(r), ip: r.private_ip, subnets: r.subnets })),
  routed: true,
});

describe('dead peers, tunnel mode: a repair rewrites nothing, yet puts back a missing part (integration, root, real pluto)', function () {
  this.timeout(420000);
  let gateway: DeadPeerGateway;
  const expectExact = (what: string, timeoutMs: number) =>
    waitForExactTunnelState(what, NS, gateway.ctl, DESIRED, timeoutMs, 500);

  before(async () => {
    gateway = await DeadPeerGateway.start({
      tag: 'tuna',
      ns: NS,
      peer: PEER,
      veth: ['eth-tu1', 'eth-tu2'],
      localIp: LOCAL,
      localSubnet: LOCAL_SUBNET,
      dead: DEAD,
      ceCustomConfig: `ceIPSecPSK: "${PSK}"\n`,
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

  it('should still put back a trap policy deleted with ip xfrm and a pluto connection deleted with whack', async () => {
    const [a, b] = DEAD as [DeadRemote, DeadRemote, DeadRemote];
    // a: the trap policy of its second subnet pair (pluto still calls the connection routed).
    await run('ip', ['-n', NS, 'xfrm', 'policy', 'delete', 'src', LOCAL_SUBNET, 'dst', a.subnets[1]!, 'dir', 'out']);
    // b: its second connection, the one --showstates does not name (pluto lists the pair under the first).
    await run('ip', [
      ...['netns', 'exec', NS, 'ipsec', 'whack', '--ctlsocket', gateway.ctl],
      ...['--delete', '--name', `${deadCableName(b)}-0-1`],
    ]);
    const observed = await observeTunnelState(NS, gateway.ctl);
    const missing = [...DESIRED].filter((l) => !observed.has(l));
    assert.ok(
      missing.includes(`trap ${LOCAL_SUBNET} -> ${a.subnets[1]}`) && missing.includes(`conn ${deadCableName(b)}-0-1`),
      `the parts are missing: ${missing.join('; ')}`,
    );
    // Noticed at the driver's next audit (1 min after the install, then 2 min after the first audit: the
    // deletions fall in the first or second interval), then repaired by the engine's next resync.
    await expectExact('after the repair that follows', 330000);
    const conns = await gateway.engine.connections();
    assert.ok(conns.length === DEAD.length && conns.every((c) => c.status === 3), 'still in error (dead peers)');
  });
});
