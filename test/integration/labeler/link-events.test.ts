/**
 * Link change notifications (RTNLGRP_LINK through the netlink adapter) on a
 * real kernel, in a throw-away namespace (prefix kb-): the labeler re-checks
 * on these.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { canUseNetns, createNetns, deleteNetns, runNodeInNetns } from '../../../lab/netns.js';

const SCRIPT = fileURLToPath(new URL('./link-events-in-netns.js', import.meta.url));

describe('watchLinkEvents (real namespace)', function () {
  const ns = `kb-links-${process.pid}`;
  before(async function () {
    if (!canUseNetns()) this.skip();
    await deleteNetns(ns);
    await createNetns(ns);
  });
  after(async () => {
    if (canUseNetns()) await deleteNetns(ns);
  });

  it('should report a link added and a link removed', async () => {
    assert.deepEqual(await runNodeInNetns(ns, SCRIPT, {}), { added: true, removed: true });
  });
});
