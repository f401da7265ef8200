/** A dead peer costs nothing (issue 12, item 4), the engine side: repairs of a cable still failing back off, capped; reasons are logged on change. */
import assert from 'node:assert/strict';
import { RepairBackoff, reasonKey } from '../../../src/engine/repair-backoff.js';
import type { Logger } from '../../../src/lib/logger.js';

function recordingLogger(lines: string[]): Logger {
  const rec =
    (level: string) =>
    (msg: string): void => {
      lines.push(`${level} ${msg}`);
    };
  const l = { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') } as unknown as Logger;
  (l as unknown as { child: () => Logger }).child = () => l;
  return l;
}

describe('RepairBackoff (unit, fake clock)', () => {
  it('should allow the first repair, then wait 30 s, 60 s, ... up to the cap; a new reason resets it', () => {
    let now = 0;
    const lines: string[] = [];
    const b = new RepairBackoff(recordingLogger(lines), {
      firstMs: 30000,
      maxMs: 120000,
      summaryMs: 300000,
      now: () => now,
    });
    const gaps: number[] = [];
    let last = 0;
    for (let t = 0; t <= 900000; t += 1000) {
      now = t;
      if (b.allow('c1', 'no answer from peer')) {
        b.attempted('c1');
        gaps.push(t - last);
        last = t;
      }
    }
    assert.deepEqual(gaps.slice(0, 5), [0, 30000, 60000, 120000, 120000]);
    assert.equal(lines.filter((l) => l.includes('cable failing')).length, 1, 'the reason is logged once');
    assert.equal(b.allow('c1', 'authentication failed'), true, 'a new reason: repaired at once');
    assert.equal(lines.filter((l) => l.includes('cable failing')).length, 2);
    now += 300001;
    b.summarise();
    assert.ok(lines.some((l) => l.includes('cables failing (summary)')));
    b.healthy(new Set());
    assert.equal(b.size, 0);
    assert.ok(lines.some((l) => l.includes('cable no longer failing')));
  });
});

describe('reasonKey', () => {
  it('should see one failure in the reasons a dead peer alternates between', () => {
    const a =
      '0 of 2 SAs established; submariner-cable-c1-172-30-64-2-1: no answer from peer 172.30.64.2 (check that the peer is up); submariner-cable-c1-172-30-64-2-0: no SA and nothing in the log explains why (is the connection added?)';
    const b =
      '0 of 2 SAs established; submariner-cable-c1-172-30-64-2-0: no answer from peer 172.30.64.2 (check that the peer is up); submariner-cable-c1-172-30-64-2-1: no answer from peer 172.30.64.2 (check)';
    assert.equal(reasonKey(a), reasonKey(b));
    assert.equal(reasonKey(a), 'no answer from peer IP');
    assert.notEqual(reasonKey(a), reasonKey('0 of 2 SAs established; x-0: authentication failed (PSK mismatch?)'));
  });

  it('should see one failure whether IKE is negotiating or between two attempts (keyingtries=1 and the retry backoff)', () => {
    const negotiating =
      '0 of 2 SAs established; submariner-cable-c0-10-202-1-1-0: IKE negotiating with 10.202.1.1; no answer from peer 10.202.1.1 (check that the peer is up)';
    const between =
      '0 of 2 SAs established; submariner-cable-c0-10-202-1-1-0: IKE not established with 10.202.1.1: no answer from peer 10.202.1.1 (check that the peer is up)';
    assert.equal(reasonKey(negotiating), reasonKey(between));
    assert.equal(reasonKey(between), 'no answer from peer IP');
    assert.notEqual(
      reasonKey(between),
      reasonKey('0 of 2 SAs established; x-0: IKE not established with 10.0.0.1: authentication failed (PSK?)'),
    );
  });
});
