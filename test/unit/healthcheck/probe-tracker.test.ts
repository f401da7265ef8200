/** One endpoint's probe state: Submariner's pinger rules, fed parsed ping lines. */
import assert from 'node:assert/strict';
import { ProbeTracker } from '../../../src/healthcheck/probe-tracker.js';

const reply = (seq: number, rttNs = 1_000_000) => ({ kind: 'reply', seq, rttNs }) as const;
const lost = (seq: number) => ({ kind: 'lost', seq, reason: 'no answer' }) as const;

describe('ProbeTracker', () => {
  it('should start unknown, with no RTT', () => {
    const r = new ProbeTracker('10.2.0.1', 5).result();
    assert.equal(r.state, 'unknown');
    assert.equal(r.rtt, undefined);
    assert.match(r.message, /no answer from 10\.2\.0\.1 yet/);
  });

  it('should become connected on an answer and collect its RTT', () => {
    const t = new ProbeTracker('10.2.0.1', 5);
    assert.equal(t.observe(reply(1, 300_000)), true);
    assert.equal(t.observe(reply(2, 500_000)), false, 'staying connected is no change');
    const r = t.result();
    assert.equal(r.state, 'connected');
    assert.equal(r.message, '');
    assert.deepEqual(r.rtt, { lastNs: 500_000, minNs: 300_000, averageNs: 400_000, maxNs: 500_000, stddevNs: 100_000 });
  });

  context('when probes are lost', () => {
    it("should turn error on the maxPacketLossCount-th lost probe in a row, with Submariner's message", () => {
      const t = new ProbeTracker('10.2.0.1', 3);
      t.observe(reply(1));
      assert.equal(t.observe(lost(2)), false);
      assert.equal(t.observe(lost(3)), false);
      assert.equal(t.result().state, 'connected');
      assert.equal(t.result().lostInARow, 2);
      assert.equal(t.observe(lost(4)), true);
      const r = t.result();
      assert.equal(r.state, 'error');
      assert.equal(
        r.message,
        'Failed to successfully ping the remote endpoint IP "10.2.0.1": 3 probes in a row unanswered (last: no answer)',
      );
      assert.equal(t.observe(lost(5)), false, 'a lasting outage is one change');
      assert.ok(r.rtt, 'the RTT seen before stays');
    });

    it('should not count losses separated by answers', () => {
      const t = new ProbeTracker('10.2.0.1', 2);
      for (let i = 0; i < 10; i++) {
        t.observe(lost(2 * i));
        t.observe(reply(2 * i + 1));
      }
      assert.equal(t.result().state, 'connected');
    });

    it('should become connected again on the next answer', () => {
      const t = new ProbeTracker('10.2.0.1', 1);
      t.observe(lost(1));
      assert.equal(t.result().state, 'error');
      assert.equal(t.observe(reply(2)), true);
      assert.equal(t.result().state, 'connected');
      assert.equal(t.result().lostInARow, 0);
    });
  });

  it('should be unknown, saying why, when ping cannot run', () => {
    const t = new ProbeTracker('10.2.0.1', 5);
    t.observe(reply(1));
    assert.equal(t.failed('ping exited with code 2: connect: Network is unreachable'), true);
    assert.deepEqual(
      [t.result().state, t.result().message],
      ['unknown', 'cannot probe 10.2.0.1: ping exited with code 2: connect: Network is unreachable'],
    );
  });
});
