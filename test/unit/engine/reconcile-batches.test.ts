/**
 * ApplyCables batches: bounded by count and by encoded size, whatever the
 * endpoints hold, and each but a burst's last marked `more`.
 */
import assert from 'node:assert/strict';
import type { DriverClient } from '../../../src/engine/driver-host/driver-client.js';
import { applyPlan, BATCH_BYTES, BATCH_SIZE, splitBatches } from '../../../src/engine/reconcile-apply.js';
import { silentLogger } from '../../../src/lib/logger.js';
import type { ReconcileAction } from '../../../src/engine/reconcile-plan.js';
import { ApplyCablesRequest, type Endpoint } from '../../../src/generated/cabled/driver/v1/driver.js';

const connect = (i: number, subnets: number, big = true): ReconcileAction => {
  const endpoint: Endpoint = {
    clusterId: `c${i}`,
    cableName: `submariner-cable-c${i}-172-30-0-2`,
    hostname: big ? 'h'.repeat(253) : '',
    subnets: Array.from({ length: subnets }, (_, j) => `10.${j >> 8}.${j & 255}.0/24`),
    privateIp: '172.30.0.2',
    publicIp: '',
    natEnabled: false,
    backend: 'vxlan',
    backendConfig: big ? Object.fromEntries(Array.from({ length: 32 }, (_, k) => [`key-${k}`, 'v'.repeat(256)])) : {},
    healthCheckIp: '',
  };
  return { kind: 'connect', remote: { endpoint, useNat: false, useIp: '172.30.0.2' }, reason: 'test' };
};

describe('splitBatches', () => {
  it('should cut by count when cables are small', () => {
    const batches = splitBatches(Array.from({ length: 1200 }, (_, i) => connect(i, 1, false)));
    assert.deepEqual(
      batches.map((b) => b.length),
      [BATCH_SIZE, BATCH_SIZE, 200],
    );
  });
  it('should keep every request under the size limit with the largest endpoints the policy allows', () => {
    const plan = Array.from({ length: 600 }, (_, i) => connect(i, 256));
    const batches = splitBatches(plan);
    assert.equal(batches.flat().length, 600);
    assert.ok(batches.length > 1);
    for (const b of batches) {
      const bytes = ApplyCablesRequest.encode({
        disconnect: [],
        connect: b.map((a) => (a.kind === 'connect' ? a.remote : { endpoint: undefined, useNat: false, useIp: '' })),
        more: true,
      }).finish().length;
      assert.ok(bytes <= BATCH_BYTES + 64 * b.length, `${bytes} bytes`);
      assert.ok(bytes < 4 * 1024 * 1024);
    }
  });
});

describe('applyPlan in batches (a recording driver client)', () => {
  it('should mark every ApplyCables call of a burst but the last `more`, and a lone call not', async () => {
    const calls: { cables: number; more: boolean }[] = [];
    const driver = {
      applyCables: async (_down: unknown[], up: { endpoint?: Endpoint }[], more = false) => {
        calls.push({ cables: up.length, more });
        return up.map((r) => ({ cableName: r.endpoint!.cableName, usingIp: '172.30.0.2', error: '' }));
      },
    } as unknown as DriverClient;
    const plan = Array.from({ length: 1200 }, (_, i) => connect(i, 1, false));
    const result = await applyPlan(driver, plan, silentLogger(), { batch: true });
    assert.equal(result.applied, 1200);
    assert.deepEqual(calls, [
      { cables: BATCH_SIZE, more: true },
      { cables: BATCH_SIZE, more: true },
      { cables: 200, more: false },
    ]);
    calls.length = 0;
    await applyPlan(driver, plan.slice(0, 3), silentLogger(), { batch: true });
    assert.deepEqual(calls, [{ cables: 3, more: false }]);
  });
});
