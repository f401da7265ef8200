/** Parsers of whack output on recorded 4.x and real 5.2/5.4 samples (test/fixtures/whack; more 5.x in libreswan-5x.test.ts). */
import assert from 'node:assert/strict';
import {
  MonotonicCounter,
  WRAP_32,
  counterWrap,
  hasEstablishedChild,
  hasEstablishedIke,
  newestByConnection,
  parseBriefStatus,
  parseConnectionList,
  parseShowStates,
  parseTrafficStatus,
  parseWhackOutput,
  version,
} from '../../../src/lib/whack/index.js';
import { fixture } from './fixtures.js';

describe('whack output lines', () => {
  it('should strip 4.x RC prefixes and keep them as codes', () => {
    assert.deepEqual(
      parseWhackOutput('002 "t1": added IKEv2 connection\n020 attempt to redefine connection "t1"\n000  \n'),
      [
        { code: 2, text: '"t1": added IKEv2 connection' },
        { code: 20, text: 'attempt to redefine connection "t1"' },
        { code: 0, text: ' ' },
      ],
    );
    assert.deepEqual(parseWhackOutput('"t1": added oriented IKEv2 connection\n'), [
      { text: '"t1": added oriented IKEv2 connection' },
    ]);
  });
});

describe('--trafficstatus parser', () => {
  it('should parse 4.x records with RC prefixes, instances and bigint counters', () => {
    const recs = parseTrafficStatus(fixture('trafficstatus-4.x-stock.txt'));
    assert.equal(recs.length, 5);
    assert.deepEqual(recs[0], {
      serial: 5,
      connection: 'submariner-cable-cluster2-172-31-255-2-0',
      type: 'ESP',
      addTime: 1795381142,
      inBytes: 1620n,
      outBytes: 0n,
      maxBytes: '2^63',
      peerId: '172.31.255.2',
    });
    const inst = recs[4]!;
    assert.equal(inst.connection, 'cable-a-0');
    assert.equal(inst.instance, 1);
    assert.equal(inst.instancePeer, '172.31.255.1');
    assert.equal(inst.outBytes, 5_000_000_000n);
  });

  it('should parse 5.x record forms not in the real samples (nic-offload, DN ids with commas, lease)', () => {
    // Real 5.2/5.4 records: libreswan-5x.test.ts. These forms come from upstream's whack output (constructed).
    const recs = parseTrafficStatus(
      [
        `#4: "east"[2] 192.1.2.45, type=ESP, add_time=1234567890, inBytes=84, outBytes=84, maxBytes=2^63B, id='@west', lease=192.3.1.0/32`,
        `#7: "offload", type=ESP(nic-offload=packet), add_time=1234567891, inBytes=9000000000, outBytes=12, maxBytes=2^63B, id='C=CA, O=Libreswan, CN=east.testing.libreswan.org'`,
      ].join('\n'),
    );
    assert.equal(recs.length, 2);
    assert.equal(recs[0]?.lease, '192.3.1.0/32');
    assert.equal(recs[0]?.peerId, '@west');
    assert.equal(recs[1]?.nicOffload, 'packet');
    assert.equal(recs[1]?.type, 'ESP');
    assert.equal(recs[1]?.peerId, 'C=CA, O=Libreswan, CN=east.testing.libreswan.org');
    assert.equal(recs[1]?.inBytes, 9_000_000_000n);
  });

  it('should keep the newest Child SA per connection', () => {
    const newest = newestByConnection(parseTrafficStatus(fixture('trafficstatus-4.x-stock.txt')));
    assert.deepEqual(
      [...newest.keys()],
      ['submariner-cable-cluster2-172-31-255-2-0', 'submariner-cable-cluster2-172-31-255-2-1', 'tun', 'cable-a-0[1]'],
    );
    assert.equal(newest.get('submariner-cable-cluster2-172-31-255-2-0')?.serial, 5);
    assert.equal(
      newestByConnection(parseTrafficStatus(fixture('5.4/stock-kernel-established.trafficstatus.txt'))).get(
        'submariner-cable-cluster2-172-31-255-2-0-0',
      )?.serial,
      3,
    );
  });

  it('should read an empty output as no Child SA', () => {
    assert.deepEqual(parseTrafficStatus(''), []);
  });
});

describe('monotonic counter', () => {
  it('should unwrap the 32-bit 4.x inBytes and fold in replaced SAs', () => {
    assert.equal(counterWrap(version('4.10'), 'inBytes'), WRAP_32);
    assert.equal(counterWrap(version('4.10'), 'outBytes'), undefined);
    assert.equal(counterWrap(version('5.0'), 'inBytes'), undefined);
    const c = new MonotonicCounter(WRAP_32);
    assert.equal(c.update(5, 4_000_000_000n), 4_000_000_000n);
    assert.equal(c.update(5, 100n), WRAP_32 + 100n, 'a lower reading on the same SA is one wrap');
    assert.equal(c.update(5, 200n), WRAP_32 + 200n);
    assert.equal(c.update(9, 50n), WRAP_32 + 250n, 'a new serial starts at 0 on top of the old total');
    const c64 = new MonotonicCounter(undefined);
    c64.update(1, 1000n);
    assert.equal(c64.update(1, 10n), 1010n, 'a 64-bit counter going down is a reset, never a wrap');
  });
});

describe('--showstates parser', () => {
  it('should parse live 4.10 half-open IKE SAs and pending Child SAs', () => {
    const s = parseShowStates(fixture('showstates-4.10-live.txt'));
    assert.deepEqual(s.pending, [
      { serial: 29, connection: 'closed' },
      { serial: 28, connection: 'dead' },
    ]);
    const dead = s.states.find((x) => x.connection === 'dead');
    assert.equal(dead?.stateName, 'STATE_V2_PARENT_I1');
    assert.equal(dead?.story, 'sent IKE_SA_INIT request');
    assert.equal(dead?.kind, 'ike');
    assert.equal(dead?.established, false);
    assert.deepEqual(dead?.events, [{ name: 'RETRANSMIT', inSeconds: 1 }]);
    assert.ok(hasEstablishedIke(s, 't1'));
    assert.ok(!hasEstablishedChild(s, 't1'));
  });

  it('should parse 4.x established Child SAs with parent, owner flags and SAID lines', () => {
    const s = parseShowStates(fixture('showstates-4.x-stock.txt'));
    const name = 'submariner-cable-cluster2-172-31-255-2-0';
    const child = s.states.find((x) => x.serial === 5)!;
    assert.equal(child.kind, 'child');
    assert.equal(child.parent, 1);
    assert.equal(child.newest, true);
    assert.equal(child.erouteOwner, true);
    assert.equal(child.remotePort, 4500);
    assert.deepEqual(child.saids, ['esp.e2f3a6b9@172.31.255.2', 'esp.cdcc64c9@172.31.255.1']);
    assert.deepEqual(child.traffic, { ESPin: '1KB', ESPout: '0B', ESPmax: '2^63B' });
    const old = s.states.find((x) => x.serial === 2)!;
    assert.equal(old.newest, false);
    assert.equal(old.erouteOwner, false);
    assert.ok(hasEstablishedIke(s, name) && hasEstablishedChild(s, name));
    assert.equal(s.states.find((x) => x.connection === 'tun')?.saids?.length, 4);
    assert.equal(s.states.length, 4);
  });

  it('should parse 5.x line forms not in the real samples: instances, (tcp), IPv6 SAIDs, pending', () => {
    // Real 5.2/5.4 --showstates: libreswan-5x.test.ts. These forms come from upstream's whack output (constructed).
    const s = parseShowStates(
      [
        '#8: "private#192.1.2.0/24"[1] ...192.1.2.23:500 STATE_V2_ESTABLISHED_CHILD_SA (established Child SA); REKEY in 27000s; newest; eroute owner; IKE SA #7; idle;',
        '#8: "private#192.1.2.0/24"[1] ...192.1.2.23 esp.1a2b3c4d@192.1.2.23 esp.4d3c2b1a@192.1.2.45 Traffic: ESPin=0B ESPout=0B ESPmax=2^63B',
        '#1: "east-west":4500(tcp) established IKE SA; REKEY in 28259s; REPLACE in 28799s; newest; idle;',
        '#3: "dead":500 sent IKE_SA_INIT request; RETRANSMIT in 1s; idle;',
        '#3: pending Child SA for "dead"',
        '#6: "v6":500 established Child SA; REKEY in 90s; newest; eroute owner; IKE SA #5; idle;',
        '#6: "v6" esp.0badcafe@2001:db8::2 esp.cafe0bad@2001:db8::1 Traffic: ESPin=0B ESPout=0B ESPmax=2^63B',
      ].join('\n'),
    );
    const inst = s.states.find((x) => x.serial === 8)!;
    assert.equal(inst.connection, 'private#192.1.2.0/24');
    assert.equal(inst.instance, 1);
    assert.equal(inst.peer, '...192.1.2.23');
    assert.equal(inst.kind, 'child');
    assert.equal(inst.saids?.length, 2);
    const tcp = s.states.find((x) => x.serial === 1)!;
    assert.equal(tcp.tcp, true);
    assert.equal(tcp.stateName, undefined);
    assert.equal(tcp.story, 'established IKE SA');
    assert.equal(tcp.kind, 'ike');
    assert.deepEqual(s.pending, [{ serial: 3, connection: 'dead' }]);
    const v6 = s.states.find((x) => x.serial === 6)!;
    assert.deepEqual(v6.saids, ['esp.0badcafe@2001:db8::2', 'esp.cafe0bad@2001:db8::1']);
    assert.equal(s.states.length, 4, 'SAID lines never become states');
  });
});

describe('--briefstatus and connection list parsers', () => {
  it('should parse 4.10 and 5.x totals', () => {
    const b4 = parseBriefStatus(fixture('briefstatus-4.10-live.txt'));
    assert.deepEqual(b4.ike, { total: 3, halfOpen: 2, open: 0, authenticated: 1, anonymous: 0 });
    assert.deepEqual(b4.ipsec, { total: 0, authenticated: 0, anonymous: 0 });
    assert.equal(b4.acceptingNewIke, true);
    const b5 = parseBriefStatus(fixture('5.2/stock-kernel-established.briefstatus.txt'));
    assert.equal(b5.ipsec.total, 2);
    assert.equal(b5.ike.authenticated, 1);
  });

  it('should list loaded connections and their routing from --status', () => {
    const text = [
      '000 "k1": 10.30.1.0/24===10.99.0.1:4500[@left]...10.99.0.2:4500[@right]===10.30.2.0/24; prospective erouted; eroute owner: #0',
      '000 "k1":     oriented; my_ip=unset; their_ip=unset; my_updown=<disabled>;',
      '000 "z3": 10.99.0.1...10.95.0.3; unrouted; eroute owner: #0',
      '"a": 10.0.1.0/24===192.1.2.45...192.1.2.23===10.0.2.0/24; unrouted; my_ip=unset; their_ip=unset;',
      '000 Total IPsec connections: loaded 3, active 0',
    ].join('\n');
    const list = parseConnectionList(text);
    assert.deepEqual([...list.keys()], ['k1', 'z3', 'a']);
    assert.equal(list.get('k1')?.routing, 'prospective erouted');
    assert.equal(list.get('z3')?.routing, 'unrouted');
  });
});
