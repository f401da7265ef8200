/** Planning one remote's FDB and route changes from listed kernel state. */
import assert from 'node:assert/strict';
import type { FdbEntry, RouteInfo } from '../../../src/lib/netlink/index.js';
import { planEnsureRemote, planRemoveRemote, resolveRemote } from '../../../src/overlay/index.js';

const IF = 7;
const fdb = (...dsts: string[]): FdbEntry[] =>
  dsts.map((dst) => ({ linkIndex: IF, mac: '00:00:00:00:00:00', dst, permanent: true, self: true }));
const route = (dst: string, gateway: string, extra: Partial<RouteInfo> = {}): RouteInfo => ({
  dst,
  gateway,
  oif: IF,
  table: 100,
  priority: 100,
  type: 'unicast',
  protocol: 4,
  ...extra,
});
const ctx = (f: FdbEntry[], routes: RouteInfo[]) => ({ ifindex: IF, table: 100, metric: 100, fdb: f, routes });
const east = resolveRemote(
  { remoteIp: '172.18.0.9', remoteVtepSourceIp: '172.18.0.9', subnets: ['10.2.0.0/16', '10.96.0.0/16'] },
  241,
);

describe('remote plan', () => {
  it('should never plan to delete FDB destination 0.0.0.0, which the kernel reads as every destination', () => {
    const zero = resolveRemote({ remoteIp: '0.0.0.0', remoteVtepSourceIp: '0.0.0.0', subnets: [] }, 241);
    const plan = planRemoveRemote(ctx(fdb('0.0.0.0', '172.18.0.9'), []), zero);
    assert.deepEqual(plan.deleteFdb, []);
    const moved = planEnsureRemote(ctx(fdb('0.0.0.0', '172.18.0.9'), []), east, zero);
    assert.deepEqual(moved.deleteFdb, []);
  });

  it('should add the FDB entry and one route per subnet on an empty overlay', () => {
    const plan = planEnsureRemote(ctx([], []), east);
    assert.deepEqual(plan.addFdb, ['172.18.0.9']);
    assert.deepEqual(plan.replaceRoutes, [
      { dst: '10.2.0.0/16', gateway: '241.18.0.9', oif: IF, table: 100, priority: 100 },
      { dst: '10.96.0.0/16', gateway: '241.18.0.9', oif: IF, table: 100, priority: 100 },
    ]);
    assert.deepEqual([plan.deleteRoutes, plan.deleteFdb], [[], []]);
  });

  it('should change nothing when everything is in place', () => {
    const plan = planEnsureRemote(
      ctx(fdb('172.18.0.9'), [route('10.2.0.0/16', '241.18.0.9'), route('10.96.0.0/16', '241.18.0.9')]),
      east,
    );
    assert.deepEqual(plan, { addFdb: [], replaceRoutes: [], deleteRoutes: [], deleteFdb: [] });
  });

  it("should delete this remote's unwanted routes and leave other remotes' routes alone", () => {
    const plan = planEnsureRemote(
      ctx(fdb('172.18.0.9', '172.18.0.5'), [
        route('10.2.0.0/16', '241.18.0.9'),
        route('10.50.0.0/16', '241.18.0.9'),
        route('10.3.0.0/16', '241.18.0.5'),
      ]),
      east,
    );
    assert.deepEqual(
      plan.replaceRoutes.map((r) => r.dst),
      ['10.96.0.0/16'],
    );
    assert.deepEqual(plan.deleteRoutes, [
      { dst: '10.50.0.0/16', table: 100, gateway: '241.18.0.9', oif: IF, priority: 100 },
    ]);
    assert.deepEqual(plan.deleteFdb, []);
  });

  it('should replace a route whose source differs and ignore routes on other devices', () => {
    const withSrc = resolveRemote(
      { remoteIp: '172.18.0.9', remoteVtepSourceIp: '172.18.0.9', subnets: ['10.2.0.0/16'], routeSrc: '10.1.0.1' },
      241,
    );
    const plan = planEnsureRemote(
      ctx(fdb('172.18.0.9'), [route('10.2.0.0/16', '241.18.0.9'), route('10.9.0.0/16', '241.18.0.9', { oif: 3 })]),
      withSrc,
    );
    assert.deepEqual(plan.replaceRoutes, [
      { dst: '10.2.0.0/16', gateway: '241.18.0.9', oif: IF, table: 100, priority: 100, src: '10.1.0.1' },
    ]);
    assert.deepEqual(plan.deleteRoutes, []);
  });

  it('should move off the previous use IP and VTEP after they changed, make before break', () => {
    const previous = resolveRemote(
      { remoteIp: '203.0.113.9', remoteVtepSourceIp: '172.18.0.4', subnets: ['10.2.0.0/16', '10.7.0.0/16'] },
      241,
    );
    const plan = planEnsureRemote(
      ctx(fdb('203.0.113.9'), [route('10.2.0.0/16', '241.18.0.4'), route('10.7.0.0/16', '241.18.0.4')]),
      east,
      previous,
    );
    assert.deepEqual(plan.addFdb, ['172.18.0.9']);
    assert.deepEqual(
      plan.replaceRoutes.map((r) => `${r.dst} via ${r.gateway}`),
      ['10.2.0.0/16 via 241.18.0.9', '10.96.0.0/16 via 241.18.0.9'],
    );
    assert.deepEqual(
      plan.deleteRoutes.map((r) => `${r.dst} via ${r.gateway}`),
      ['10.7.0.0/16 via 241.18.0.4'],
    );
    assert.deepEqual(plan.deleteFdb, ['203.0.113.9']);
  });

  it('should remove exactly one remote', () => {
    const plan = planRemoveRemote(
      ctx(fdb('172.18.0.9', '172.18.0.5'), [route('10.2.0.0/16', '241.18.0.9'), route('10.3.0.0/16', '241.18.0.5')]),
      east,
    );
    assert.deepEqual(plan.deleteFdb, ['172.18.0.9']);
    assert.deepEqual(
      plan.deleteRoutes.map((r) => r.dst),
      ['10.2.0.0/16'],
    );
  });

  it('should de-duplicate subnets', () => {
    const r = resolveRemote(
      { remoteIp: '172.18.0.9', remoteVtepSourceIp: '172.18.0.9', subnets: ['10.2.0.0/16', '10.2.0.0/16'] },
      241,
    );
    assert.deepEqual(r.subnets, ['10.2.0.0/16']);
  });
});
