/** The "why is this SA not up" classifier on pluto 4.10 log text captured on this machine (5.x: libreswan-5x.test.ts). */
import assert from 'node:assert/strict';
import { classifySa, parseLogEvent, parseShowStates, saSummary } from '../../../src/lib/whack/index.js';
import { fixture } from './fixtures.js';

const lines = (name: string): string[] => fixture(name).split('\n').filter(Boolean);
const initiator = lines('pluto-4.10-initiator.log');
const responder = lines('pluto-4.10-responder.log');
const upTo = (log: string[], marker: string): string[] => log.slice(0, log.findIndex((l) => l.includes(marker)) + 1);

describe('SA classifier', () => {
  it('should recognize the kernel refusal line of 4.10 and the older "included errno" form', () => {
    const e = parseLogEvent(
      'Nov 22 21:58:06.267685: ERROR: "t1" #5: netlink response for Add SA esp.d5e00c7d@10.99.0.1: Function not implemented (errno 38)',
    );
    assert.deepEqual(
      { kind: e?.kind, connection: e?.connection, serial: e?.serial, errno: e?.errno, detail: e?.detail },
      { kind: 'kernel-refused', connection: 't1', serial: 5, errno: 38, detail: 'Function not implemented' },
    );
    const old = parseLogEvent(
      'Aug  9 13:47:41 vpn pluto[14763]: "L2TP-PSK-NAT"[4] 178.82.150.18 #17: ERROR: netlink response for Add SA esp.e6c9c0cc@178.82.150.18 included errno 17: File exists',
    );
    assert.equal(old?.kind, 'kernel-refused');
    assert.equal(old?.errno, 17);
    assert.equal(old?.connection, 'L2TP-PSK-NAT');
  });

  it('should blame the kernel (no ESP, errno 38) on the responder', () => {
    const d = classifySa({ connection: 't1', logLines: responder });
    assert.equal(d.verdict, 'kernel-refused');
    assert.equal(d.reason, 'Child SA refused by the kernel: no ESP support (errno 38)');
    assert.equal(d.errno, 38);
    assert.match(
      d.evidence ?? '',
      /netlink response for Add SA esp\.[0-9a-f]+@10\.99\.0\.1: Function not implemented \(errno 38\)/,
    );
  });

  it('should blame the kernel (errno 93) for a CBC connection without esp4', () => {
    const d = classifySa({ connection: 'cbc', logLines: responder });
    assert.equal(d.reason, 'Child SA refused by the kernel: no ESP support (errno 93)');
    assert.match(d.hint ?? '', /esp4/);
  });

  it("should say the peer refused the Child SA (TS_UNACCEPTABLE) on the initiator, with IKE established, pointing at the peer's status", () => {
    const d = classifySa({ connection: 'cbc', logLines: initiator });
    assert.equal(d.verdict, 'ts-unacceptable');
    assert.equal(d.ike, 'established');
    assert.equal(
      d.reason,
      'the peer refused the Child SA (TS_UNACCEPTABLE): its kernel could not install it, or our selectors do not mirror its own',
    );
    assert.match(d.hint ?? '', /see the peer's status; .*netlink response for Add SA/);
    assert.match(saSummary(d, '10.99.0.2'), /^IKE established with 10\.99\.0\.2; the peer refused the Child SA/);
  });

  it('should report a PSK mismatch on both sides', () => {
    const before = upTo(initiator, '"t1" #5: IKE SA authentication request rejected by peer');
    const i = classifySa({ connection: 't1', logLines: before });
    assert.equal(i.verdict, 'auth-failed');
    assert.equal(i.reason, 'authentication failed (PSK mismatch?)');
    assert.match(i.evidence ?? '', /IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED/);
    const r = classifySa({ connection: 't1', logLines: upTo(responder, '"t1" #3: encountered fatal error') });
    assert.equal(r.verdict, 'auth-failed');
    assert.match(
      r.evidence ?? '',
      /authentication failed: computed hash does not match hash received from peer ID_FQDN '@left'|AUTHENTICATION_FAILED/,
    );
  });

  it('should move on once the PSK is fixed (IKE up, Child refused)', () => {
    assert.equal(classifySa({ connection: 't1', logLines: initiator }).verdict, 'ts-unacceptable');
    assert.equal(classifySa({ connection: 't1', logLines: responder }).verdict, 'kernel-refused');
  });

  it('should report no answer, with the peer and the ICMP error', () => {
    const dead = classifySa({ connection: 'dead', logLines: initiator });
    assert.equal(dead.verdict, 'no-answer');
    assert.equal(dead.reason, 'no answer from peer 10.99.0.9 (No route to host)');
    assert.equal(dead.ike, 'down');
    assert.match(saSummary(dead, '10.99.0.9'), /^IKE not established with 10\.99\.0\.9: no answer from peer/);
    const closed = classifySa({ connection: 'closed', logLines: initiator });
    assert.equal(closed.reason, 'no answer from peer 10.99.0.5 (Connection refused)');
    assert.match(closed.hint ?? '', /nothing listens on its IKE port/);
  });

  it('should report a genuine selector mismatch seen by the responder', () => {
    // (in the full log t1 also has an earlier kernel refusal, which rightly wins)
    const d = classifySa({
      connection: 't1',
      logLines: responder.filter((l) => /established IKE SA|No IKEv2 connection found|\(ID 3\)/.test(l)),
    });
    assert.equal(d.verdict, 'ts-unacceptable');
    assert.match(d.reason, /no local connection matches/);
  });

  it('should report a Child SA proposal mismatch (PFS mixed on one IKE SA) as no-proposal, not an IKE problem', () => {
    const d = classifySa({ connection: 'vx-in', logLines: lines('pluto-4.10-pfs-mix.log') });
    assert.equal(d.verdict, 'no-proposal');
    assert.equal(d.reason, 'no common ESP proposal (NO_PROPOSAL_CHOSEN)');
    assert.match(d.hint ?? '', /sharing one IKE SA/);
  });

  it('should say established when showstates or trafficstatus show a Child SA, and ike-only otherwise', () => {
    const states = parseShowStates(fixture('showstates-4.x-stock.txt'));
    assert.equal(classifySa({ connection: 'tun', states, logLines: responder }).verdict, 'established');
    const live = parseShowStates(fixture('showstates-4.10-live.txt'));
    const t1 = classifySa({ connection: 't1', states: live });
    assert.equal(t1.verdict, 'ike-only');
    assert.equal(saSummary(t1, '10.99.0.2').split(' (')[0], 'IKE established with 10.99.0.2; no Child SA yet');
    const dead = classifySa({ connection: 'dead', states: live });
    assert.equal(dead.verdict, 'negotiating');
    assert.equal(saSummary(dead, '10.99.0.9'), 'IKE negotiating with 10.99.0.9');
    assert.equal(classifySa({ connection: 'nothing' }).verdict, 'unknown');
  });
});
