/** A dead peer costs nothing (issue 12, item 4), the driver side: which dead cables have every part in place. */
import assert from 'node:assert/strict';
import { KernelPartsAudit, plutoHoldsAll } from '../../../drivers/libreswan/parts-audit.js';
import { indexStates } from '../../../drivers/libreswan/status.js';
import { parseShowStates } from '../../../src/lib/whack/index.js';

describe('KernelPartsAudit (unit, fake clock)', () => {
  it('should count installed cables in place, read the kernel again at most every minute, and fail safe', async () => {
    let now = 0;
    let kernel = new Set(['a', 'b']);
    let reads = 0;
    let broken = false;
    const audit = new KernelPartsAudit(
      async (cables) => {
        reads++;
        if (broken) throw new Error('netlink timeout');
        return new Set(cables.filter((c) => kernel.has(c)));
      },
      { everyMs: 60000, now: () => now },
    );
    assert.equal(audit.inPlace('a'), false, 'nothing known before an install or a check');
    audit.installed(['a', 'b']);
    assert.equal(audit.inPlace('a'), true);
    await audit.refresh(['a', 'b']);
    assert.equal(reads, 1, 'the first check runs at once');
    kernel = new Set(['a']); // b's route deleted behind the driver's back
    now = 30000;
    await audit.refresh(['a', 'b']);
    assert.equal(reads, 1, 'not again within the minute');
    assert.equal(audit.inPlace('b'), true);
    now = 60000;
    await audit.refresh(['a', 'b']);
    assert.equal(reads, 2);
    assert.equal(audit.inPlace('b'), false, 'the missing part is noticed');
    assert.equal(audit.inPlace('a'), true);
    audit.installed(['b']); // repaired
    assert.equal(audit.inPlace('b'), true);
    broken = true;
    now = 120000;
    await audit.refresh(['a']);
    assert.equal(audit.inPlace('a'), false, 'a failed read counts nothing in place');
    assert.equal(audit.inPlace('b'), true, 'cables not checked keep what was known');
    audit.forget('b');
    assert.equal(audit.inPlace('b'), false);
    now = 1e6;
    await audit.refresh([]);
    assert.equal(reads, 3, 'no read without cables in question');
  });
});

describe('plutoHoldsAll (unit, live 4.10 --showstates)', () => {
  it('should see a dead peer connection with a state or a pending Child SA, and miss one pluto does not hold', () => {
    const index = indexStates(
      parseShowStates(
        [
          '000 #29: "c1-0":500 STATE_V2_PARENT_I1 (sent IKE_SA_INIT request); RETRANSMIT in 1s; idle;',
          '000 #29: pending CHILD SA for "c1-0"',
          '000 #29: pending CHILD SA for "c1-1"',
          '000 #28: "c2-0":500 STATE_V2_PARENT_I1 (sent IKE_SA_INIT request); RETRANSMIT in 1s; idle;',
          '000 #28: pending CHILD SA for "c2-0"',
        ].join('\n'),
      ),
    );
    assert.equal(plutoHoldsAll(['c1-0', 'c1-1'], index), true);
    assert.equal(plutoHoldsAll(['c2-0', 'c2-1'], index), false, 'c2-1 is not in pluto (deleted)');
    assert.equal(plutoHoldsAll(['c3-0'], index), false);
  });
});
