/**
 * ESP offload detection on real kernel interfaces: a veth pair and lo in a
 * throw-away namespace (prefix kb-), read through rtnetlink and ethtool.
 * veth reports the ESP features off [fixed], so nothing is capable.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { OffloadReport } from '../../../src/offload/index.js';
import { canUseNetns, createNetns, deleteNetns, ip, runNodeInNetns } from '../../../lab/netns.js';

const SCRIPT = fileURLToPath(new URL('./detect-in-netns.js', import.meta.url));

describe('ESP offload detection (real veth in a namespace)', function () {
  const ns = `kb-offload-${process.pid}`;

  before(async function () {
    if (!canUseNetns()) this.skip();
    await deleteNetns(ns);
    await createNetns(ns);
    await ip(ns, 'link', 'add', 'name', 'kbv0', 'type', 'veth', 'peer', 'name', 'kbv1');
    await ip(ns, 'link', 'set', 'kbv0', 'up');
  });
  after(async () => {
    if (canUseNetns()) await deleteNetns(ns);
  });

  it('should check every link and find none capable, none possible', async () => {
    const report = await runNodeInNetns<OffloadReport>(ns, SCRIPT, {});
    assert.deepEqual(report.errors, []);
    assert.deepEqual(
      report.interfaces,
      ['kbv0', 'kbv1', 'lo'].map((ifname) => ({ ifname, capable: false, possible: false, enabled: [] })),
    );
  });
});
