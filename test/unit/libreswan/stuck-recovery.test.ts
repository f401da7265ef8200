/**
 * Recovery of the Child SA libreswan 5.2 leaves stuck (NEW_CHILD_I1 after a
 * payload-less IKE_AUTH answer): delete its IKE SA, initiate again unless
 * pluto revived it, back off.
 * The whack calls are recorded; the real 5.2 case runs in
 * test/integration/engine/libreswan-engine.test.ts under the 5.2 matrix.
 */
import assert from 'node:assert/strict';
import { StuckChildRecovery } from '../../../drivers/libreswan/stuck-recovery.js';
import { silentLogger } from '../../../src/lib/logger.js';

function harness(fail = false, revived = false) {
  const calls: string[] = [];
  let now = 1_000_000;
  const r = new StuckChildRecovery({
    deleteState: async (serial) => {
      calls.push(`deletestate ${serial}`);
      if (fail) throw new Error('whack failed');
    },
    initiate: async (name) => void calls.push(`initiate ${name}`),
    hasState: async () => revived,
    reviveWaitMs: 0,
    logger: silentLogger(),
    now: () => now,
  });
  return { r, calls, tick: (ms: number) => (now += ms) };
}

describe('stuck Child SA recovery (libreswan 5.2)', () => {
  it('should delete the IKE SA the stuck state hangs off, and initiate when pluto did not revive it', async () => {
    const { r, calls } = harness();
    await r.consider([{ serial: 2, connection: 'tun', ikeSerial: 1 }]);
    assert.deepEqual(calls, ['deletestate 1', 'initiate tun']);
    assert.equal(r.recoveries('tun'), 1);
  });

  it('should leave the retry to pluto when it revived the connection itself', async () => {
    const { r, calls } = harness(false, true);
    await r.consider([{ serial: 2, connection: 'tun', ikeSerial: 1 }]);
    assert.deepEqual(calls, ['deletestate 1']);
  });

  it('should not touch the same state twice, and back off 5 s, 10 s, 20 s ... for a connection that gets stuck again', async () => {
    const { r, calls, tick } = harness();
    await r.consider([{ serial: 2, connection: 'tun' }]);
    await r.consider([{ serial: 2, connection: 'tun' }]);
    assert.equal(calls.length, 2, 'the same serial is handled once');
    await r.consider([{ serial: 7, connection: 'tun' }]);
    assert.equal(calls.length, 2, 'a new stuck state within 5 s waits');
    tick(5000);
    await r.consider([{ serial: 7, connection: 'tun' }]);
    assert.deepEqual(calls.slice(2), ['deletestate 7', 'initiate tun']);
    tick(9999);
    await r.consider([{ serial: 9, connection: 'tun' }]);
    assert.equal(calls.length, 4, 'the second wait is 10 s');
    tick(1);
    await r.consider([{ serial: 9, connection: 'tun' }]);
    assert.equal(calls.length, 6);
  });

  it('should start the backoff over once the connection is established', async () => {
    const { r, calls } = harness();
    await r.consider([{ serial: 2, connection: 'tun' }]);
    await r.consider([], ['tun']);
    await r.consider([{ serial: 5, connection: 'tun' }]);
    assert.deepEqual(calls, ['deletestate 2', 'initiate tun', 'deletestate 5', 'initiate tun']);
  });

  it('should retry a state whose deletion failed, after the backoff', async () => {
    const { r, calls, tick } = harness(true);
    await r.consider([{ serial: 2, connection: 'tun' }]);
    tick(5000);
    await r.consider([{ serial: 2, connection: 'tun' }]);
    assert.deepEqual(calls, ['deletestate 2', 'deletestate 2']);
  });
});
