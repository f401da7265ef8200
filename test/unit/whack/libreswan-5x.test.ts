/**
 * Parsers and the classifier on REAL libreswan 5.2 and 5.4 output
 * (test/fixtures/whack/5.2, 5.4: two plutos in namespaces on a kernel without
 * ESP, a dead peer, and side A of the stock-kernel e2e with real ESP). Each
 * case observed on real 5.x (issue 13) is a named test here.
 */
import assert from 'node:assert/strict';
import {
  classifySa,
  hasEstablishedChild,
  hasEstablishedIke,
  lastPeerOf,
  parseBriefStatus,
  parseConnectionList,
  parseLogEvent,
  parseShowStates,
  parseTrafficStatus,
  parseVersion,
  saSummary,
  stuckChildStates,
} from '../../../src/lib/whack/index.js';
import { fixture } from './fixtures.js';

const lines = (name: string): string[] => fixture(name).split('\n').filter(Boolean);

for (const v of ['5.2', '5.4'] as const) {
  describe(`libreswan ${v}: parsers on real output`, () => {
    it('should read the version', () => {
      const parsed = parseVersion(fixture(`${v}/version.txt`));
      assert.equal(`${parsed.major}.${parsed.minor}`, v);
    });

    it('should parse the stock-kernel --showstates: one IKE SA, two established Child SAs with SAIDs', () => {
      const s = parseShowStates(fixture(`${v}/stock-kernel-established.showstates.txt`));
      const name = 'submariner-cable-cluster2-172-31-255-2-0-0';
      assert.equal(s.states.length, 3, 'SAID lines never become states');
      assert.ok(hasEstablishedIke(s, name) && hasEstablishedChild(s, name));
      const child = s.states.find((x) => x.serial === 3)!;
      assert.equal(child.kind, 'child');
      assert.equal(child.parent, 1);
      assert.ok(child.newest && child.erouteOwner);
      assert.equal(child.saids?.length, 4, 'two ESP SAIDs and two tun SAIDs (tunnel mode)');
      assert.equal(child.stateName, v === '5.2' ? 'ESTABLISHED_CHILD_SA' : undefined, '5.4 prints no state name');
      assert.equal(child.story, 'established Child SA');
    });

    it('should parse the stock-kernel --trafficstatus and --briefstatus', () => {
      const recs = parseTrafficStatus(fixture(`${v}/stock-kernel-established.trafficstatus.txt`));
      assert.deepEqual(
        recs.map((r) => [r.serial, r.inBytes, r.outBytes, r.peerId]),
        [
          [2, 0n, 0n, '172.31.255.2'],
          [3, 1260n, 1260n, '172.31.255.2'],
        ],
      );
      const b = parseBriefStatus(fixture(`${v}/stock-kernel-established.briefstatus.txt`));
      assert.deepEqual(b.ike, { total: 1, halfOpen: 0, open: 0, authenticated: 1, anonymous: 0 });
      assert.equal(b.ipsec.total, 2);
    });

    it('should read no Child SA from the no-ESP run (empty --trafficstatus, IPsec total 0)', () => {
      for (const side of ['initiator', 'responder']) {
        assert.deepEqual(parseTrafficStatus(fixture(`${v}/no-esp-kernel.${side}.trafficstatus.txt`)), []);
        assert.equal(parseBriefStatus(fixture(`${v}/no-esp-kernel.${side}.briefstatus.txt`)).ipsec.total, 0);
        const s = parseShowStates(fixture(`${v}/no-esp-kernel.${side}.showstates.txt`));
        assert.ok(s.states.some((x) => x.kind === 'ike' && x.established));
        assert.ok(!s.states.some((x) => x.kind === 'child' && x.established));
      }
    });

    it('should list the loaded connections with 5.x routing words', () => {
      const list = parseConnectionList(fixture(`${v}/no-esp-kernel.initiator.status.txt`));
      for (const name of ['tun', 'vx-in', 'vx-out']) assert.ok(list.has(name), name);
      for (const c of list.values()) assert.match(c.routing, /^(?:unrouted|routed-[a-z]+)$/, c.name);
    });

    it('should recognize the dead peer: no answer, with the peer address from "...:UDP/500"', () => {
      const log = lines(`${v}/pluto.dead-peer.initiator.log`);
      assert.equal(lastPeerOf(log, 'dead'), '10.231.7.9');
      const d = classifySa({ connection: 'dead', logLines: log });
      assert.equal(d.verdict, 'no-answer');
      assert.equal(d.reason, 'no answer from peer 10.231.7.9 (No route to host)');
      assert.equal(d.ike, 'down');
      const states = parseShowStates(fixture(`${v}/dead-peer.initiator.showstates.txt`));
      assert.equal(classifySa({ connection: 'dead', logLines: log, states }).ike, 'down', 'no state between attempts');
    });

    it("should say, on the responder, that this host's kernel refused every Child SA, with IKE established", () => {
      const log = lines(`${v}/pluto.kernel-refusal.responder.log`);
      const states = parseShowStates(fixture(`${v}/no-esp-kernel.responder.showstates.txt`));
      const refused = v === '5.2' ? ['tun', 'vx-in'] : ['vx-in', 'tun'];
      for (const name of refused) {
        const d = classifySa({ connection: name, logLines: log, states, ikeSiblings: ['tun', 'vx-in', 'vx-out'] });
        assert.equal(d.verdict, 'kernel-refused', name);
        assert.equal(d.reason, 'Child SA refused by the kernel: no ESP support (errno 38)');
        assert.equal(d.ike, 'established');
        assert.match(
          saSummary(d, '10.231.7.1'),
          /^IKE established with 10\.231\.7\.1; Child SA refused by the kernel: no ESP support \(errno 38\)/,
        );
      }
    });
  });
}

describe('libreswan 5.4: the cases observed on real 5.4', () => {
  it('should classify "netlink response for XFRM_MSG_UPDSA ... (errno 38)" as a kernel refusal', () => {
    const e = parseLogEvent(
      'Dec  1 13:53:42.307419: ERROR: "vx-in" #2: netlink response for XFRM_MSG_UPDSA esp.bb317c76@10.231.7.2: Function not implemented (errno 38)',
    );
    assert.deepEqual(
      { kind: e?.kind, connection: e?.connection, serial: e?.serial, errno: e?.errno },
      { kind: 'kernel-refused', connection: 'vx-in', serial: 2, errno: 38 },
    );
    assert.equal(
      parseLogEvent(
        'Dec  1 13:53:42.307456: ERROR: "vx-in" #2: netlink response for XFRM_MSG_GETSA esp.c7421b3a@10.231.7.1: No such process (errno 3)',
      ),
      undefined,
      'a failed GETSA after the refusal is not the cause',
    );
  });

  it('should say on the initiator: IKE established with the peer, the peer refused the Child SA (TEMPORARY_FAILURE)', () => {
    const log = lines('5.4/pluto.kernel-refusal.initiator.log');
    const states = parseShowStates(fixture('5.4/no-esp-kernel.initiator.showstates.txt'));
    for (const name of ['vx-in', 'tun']) {
      const d = classifySa({ connection: name, logLines: log, states, ikeSiblings: ['tun', 'vx-in', 'vx-out'] });
      assert.equal(d.verdict, 'peer-temporary-failure', name);
      assert.equal(d.ike, 'established', `${name} rides on the IKE SA "vx-in" #1`);
      assert.equal(
        saSummary(d, '10.231.7.2').split(' (')[0],
        'IKE established with 10.231.7.2; the peer refused the Child SA',
      );
      assert.match(saSummary(d, '10.231.7.2'), /its kernel could not install it \(see the peer's status/);
    }
  });

  it('should parse the routing word "unoriented" and say what it means', () => {
    const list = parseConnectionList(
      '"off": 10.231.7.1/32/UDP/4789===10.231.7.1...10.231.7.2===10.231.7.2/32/UDP; unoriented; my_ip=unset; their_ip=unset;\n',
    );
    assert.equal(list.get('off')?.routing, 'unoriented');
    assert.equal(list.get('off')?.oriented, false);
  });

  it('should parse the stock-kernel transport pair: each half has its own IKE SA or shares one', () => {
    const s = parseShowStates(fixture('5.4/stock-kernel-established-transport.showstates.txt'));
    const half0 = 'submariner-cable-cluster2-172-31-255-2-0';
    const half1 = 'submariner-cable-cluster2-172-31-255-2-1';
    assert.ok(hasEstablishedChild(s, half0) && hasEstablishedChild(s, half1));
    const d = classifySa({ connection: half0, states: s, ikeSiblings: [half1] });
    assert.equal(d.verdict, 'established');
    assert.equal(d.ike, 'established', 'the IKE SA is named after the other half');
    const recs = parseTrafficStatus(fixture('5.4/stock-kernel-established-transport.trafficstatus.txt'));
    assert.deepEqual(
      recs.map((r) => [r.connection, r.inBytes, r.outBytes]),
      [
        [half0, 2142n, 0n],
        [half1, 0n, 2334n],
      ],
    );
  });
});

describe('libreswan 5.2: the cases observed on real 5.2', () => {
  const log = lines('5.2/pluto.kernel-refusal.initiator.log');
  const states = parseShowStates(fixture('5.2/no-esp-kernel.initiator.showstates.txt'));

  it('should report "IKE_AUTH response missing v2SA, v2TSi or v2TSr" as the peer refusing the Child SA, IKE established', () => {
    const d = classifySa({ connection: 'tun', logLines: log, states, ikeSiblings: ['vx-in', 'vx-out'] });
    assert.equal(d.verdict, 'peer-refused-child');
    assert.equal(d.ike, 'established');
    assert.match(d.evidence ?? '', /"tun" #2: IKE_AUTH response missing v2SA, v2TSi or v2TSr/);
    assert.match(
      saSummary(d, '10.231.7.2'),
      /^IKE established with 10\.231\.7\.2; the peer refused the Child SA \(its IKE_AUTH answer carried none\): its kernel could not install it/,
    );
  });

  it('should find the stuck NEW_CHILD_I1 state that 5.2 never clears, and only it', () => {
    const stuck = stuckChildStates(states, log);
    assert.deepEqual(stuck, [{ serial: 2, connection: 'tun', ikeSerial: 1 }], 'and the IKE SA it hangs off');
    assert.deepEqual(
      stuckChildStates(parseShowStates(fixture('5.2/stock-kernel-established.showstates.txt')), log),
      [],
    );
  });

  it('should read the later Child SAs refused with TEMPORARY_FAILURE on the same IKE SA', () => {
    const d = classifySa({ connection: 'vx-in', logLines: log, states, ikeSiblings: ['tun', 'vx-out'] });
    assert.equal(d.verdict, 'peer-temporary-failure');
    assert.equal(d.ike, 'established');
  });
});
