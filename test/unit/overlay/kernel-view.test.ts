import assert from 'node:assert/strict';
import type { LinkInfo, RouteInfo } from '../../../src/lib/netlink/index.js';
import { KernelView } from '../../../src/overlay/kernel-view.js';
import { planEnsureRemote, planRemoveRemote, resolveRemote } from '../../../src/overlay/index.js';

const link: LinkInfo = { index: 7, name: 'vxlan-tunnel', kind: 'vxlan', up: true, mtu: 1450 };
const route = (dst: string, gateway: string): RouteInfo => ({
  dst,
  gateway,
  oif: 7,
  table: 100,
  priority: 100,
  type: 'unicast',
  protocol: 4,
});

describe('overlay kernel view', () => {
  const a = resolveRemote({ remoteIp: '10.0.0.2', remoteVtepSourceIp: '10.0.0.2', subnets: ['10.2.0.0/16'] }, 241);
  const b = resolveRemote({ remoteIp: '10.0.0.3', remoteVtepSourceIp: '10.0.0.3', subnets: ['10.3.0.0/16'] }, 241);

  it('should hand the planner only the entries of the remotes it plans for', () => {
    const view = new KernelView(
      link,
      100,
      100,
      [{ linkIndex: 7, mac: '00:00:00:00:00:00', dst: '10.0.0.3', permanent: true, self: true }],
      [route('10.3.0.0/16', b.vtep)],
    );
    const ctx = view.narrow(a);
    assert.deepEqual(ctx.fdb, []);
    assert.deepEqual(ctx.routes, []);
    assert.equal(view.narrow(b).routes.length, 1);
  });

  it('should plan nothing after a plan it recorded (idempotent installs without re-reading the kernel)', () => {
    const view = new KernelView(link, 100, 100, [], []);
    const first = planEnsureRemote(view.narrow(a), a);
    assert.deepEqual(first.addFdb, ['10.0.0.2']);
    view.apply(first);
    const again = planEnsureRemote(view.narrow(a), a);
    assert.deepEqual(again, { addFdb: [], replaceRoutes: [], deleteRoutes: [], deleteFdb: [] });
  });

  it('should forget a removed remote, so removing it again plans nothing', () => {
    const view = new KernelView(link, 100, 100, [], []);
    view.apply(planEnsureRemote(view.narrow(a), a));
    const removal = planRemoveRemote(view.narrow(a), a);
    assert.deepEqual(removal.deleteFdb, ['10.0.0.2']);
    assert.equal(removal.deleteRoutes.length, 1);
    view.apply(removal);
    assert.deepEqual(planRemoveRemote(view.narrow(a), a), {
      addFdb: [],
      replaceRoutes: [],
      deleteRoutes: [],
      deleteFdb: [],
    });
  });
});
