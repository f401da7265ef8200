/**
 * The netlink adapter against a real kernel, in a throw-away namespace. Each
 * write goes through the adapter; each check reads the kernel independently
 * with iproute2.
 */
import assert from 'node:assert/strict';
import { canUseNetns, createNetns, deleteNetns, ip, nsName } from '../../../lab/netns.js';
import { inNetns, nl, tryInNetns } from './in-netns.js';
import { addressesOf, fdbOf, linkView, routesOf, rulesOf } from './kernel-view.js';

describe('netlink adapter (real namespace)', function () {
  const ns = nsName('adapter');
  let underlayIndex = 0;

  before(async function () {
    if (!canUseNetns()) this.skip();
    await deleteNetns(ns);
    await createNetns(ns);
    await ip(ns, 'link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1');
    await ip(ns, 'addr', 'add', '10.77.0.1/24', 'dev', 'u0');
    await ip(ns, 'link', 'set', 'u0', 'up');
    await ip(ns, 'route', 'add', 'default', 'via', '10.77.0.254', 'dev', 'u0');
    const [u0] = await inNetns(ns, [nl('getLink', 'u0')]);
    underlayIndex = u0.index;
  });

  after(async () => {
    if (canUseNetns()) await deleteNetns(ns);
  });

  it('should create a VXLAN device the kernel reports with the asked VNI, port, local IP, underlay and MTU', async () => {
    const [created, byName, missing] = await inNetns(ns, [
      nl('createVxlan', { name: 'vx0', vni: 4242, port: 4789, localIp: '10.77.0.1', underlayIndex, mtu: 1400 }),
      nl('getLink', 'vx0'),
      nl('getLink', 'nope0'),
    ]);
    assert.deepEqual(created, byName);
    assert.equal(missing, null);
    assert.deepEqual(created.vxlan, { vni: 4242, port: 4789, localIp: '10.77.0.1', underlayIndex, learning: false });
    const view = await linkView(ns, 'vx0');
    assert.equal(view?.ifindex, created.index);
    assert.equal(view?.mtu, 1400);
    assert.equal(view?.linkinfo?.info_kind, 'vxlan');
    assert.deepEqual(
      { ...view?.linkinfo?.info_data },
      { ...view?.linkinfo?.info_data, id: 4242, port: 4789, local: '10.77.0.1', link: 'u0', learning: false },
    );
  });

  it('should refuse a second device of the same name, naming it and the errno', async () => {
    const out = await tryInNetns(ns, [nl('createVxlan', { name: 'vx0', vni: 1, port: 4789, localIp: '10.77.0.1' })]);
    assert.equal(out.ok, false);
    assert.equal(out.error?.errno, 'EEXIST');
    assert.match(
      out.error?.message ?? '',
      /^create VXLAN device vx0 \(vni 1, port 4789, local 10\.77\.0\.1\): EEXIST \(file already exists\)$/,
    );
  });

  it('should set MTU and up/down state', async () => {
    const [link] = await inNetns(ns, [nl('getLink', 'vx0')]);
    await inNetns(ns, [nl('setLinkMtu', link.index, 1300), nl('setLinkUp', link.index, true)]);
    let view = await linkView(ns, 'vx0');
    assert.equal(view?.mtu, 1300);
    assert.ok(view?.flags.includes('UP'));
    await inNetns(ns, [nl('setLinkUp', link.index, false)]);
    view = await linkView(ns, 'vx0');
    assert.ok(!view?.flags.includes('UP'));
    await inNetns(ns, [nl('setLinkUp', link.index, true)]);
  });

  it('should add an address once and delete it idempotently', async () => {
    const [link] = await inNetns(ns, [nl('getLink', 'vx0')]);
    const [first, second, listed] = await inNetns(ns, [
      nl('ensureAddress', link.index, '241.77.0.1/8'),
      nl('ensureAddress', link.index, '241.77.0.1/8'),
      nl('listAddresses', link.index),
    ]);
    assert.equal(first, true);
    assert.equal(second, false);
    assert.deepEqual(listed, [{ linkIndex: link.index, address: '241.77.0.1', prefixLength: 8, cidr: '241.77.0.1/8' }]);
    assert.deepEqual(await addressesOf(ns, 'vx0'), ['241.77.0.1/8']);
  });

  it('should append FDB entries (idempotently), list them, and delete exactly one', async () => {
    const [link] = await inNetns(ns, [nl('getLink', 'vx0')]);
    await inNetns(ns, [
      nl('appendFdb', link.index, '10.77.0.2'),
      nl('appendFdb', link.index, '10.77.0.3'),
      nl('appendFdb', link.index, '10.77.0.3'),
    ]);
    assert.deepEqual(await fdbOf(ns, 'vx0'), ['00:00:00:00:00:00 dst 10.77.0.2', '00:00:00:00:00:00 dst 10.77.0.3']);
    const [, , listed] = await inNetns(ns, [
      nl('deleteFdb', link.index, '10.77.0.2'),
      nl('deleteFdb', link.index, '10.77.0.2'),
      nl('listFdb', link.index),
    ]);
    assert.deepEqual(listed, [
      { linkIndex: link.index, mac: '00:00:00:00:00:00', dst: '10.77.0.3', permanent: true, self: true },
    ]);
    assert.deepEqual(await fdbOf(ns, 'vx0'), ['00:00:00:00:00:00 dst 10.77.0.3']);
  });

  it('should say which FDB entry on which device failed', async () => {
    const out = await tryInNetns(ns, [nl('appendFdb', 9999, '10.0.0.2')]);
    assert.equal(
      out.error?.message,
      'add FDB entry 00:00:00:00:00:00 dst 10.0.0.2 on ifindex 9999: ENODEV (no such device)',
    );
  });

  it('should replace, list and delete routes in a table', async () => {
    const [link] = await inNetns(ns, [nl('getLink', 'vx0')]);
    const route = { dst: '10.2.0.0/16', gateway: '241.77.0.2', oif: link.index, table: 100, priority: 100 };
    const [, , listed] = await inNetns(ns, [
      nl('replaceRoute', route),
      nl('replaceRoute', { ...route, gateway: '241.77.0.3', src: '241.77.0.1' }),
      nl('listRoutes', 100),
    ]);
    assert.deepEqual(listed, [
      {
        dst: '10.2.0.0/16',
        gateway: '241.77.0.3',
        oif: link.index,
        table: 100,
        src: '241.77.0.1',
        priority: 100,
        type: 'unicast',
        protocol: 4,
      },
    ]);
    assert.deepEqual(await routesOf(ns, 100), ['10.2.0.0/16 via 241.77.0.3 dev vx0 src 241.77.0.1 metric 100']);
    await inNetns(ns, [
      nl('deleteRoute', { dst: '10.2.0.0/16', table: 100 }),
      nl('deleteRoute', { dst: '10.2.0.0/16', table: 100 }),
    ]);
    assert.deepEqual(await routesOf(ns, 100), []);
  });

  it('should send a batch of 700 FDB and route writes in order, with one outcome per write', async () => {
    const [link] = await inNetns(ns, [nl('getLink', 'vx0')]);
    const dsts = Array.from({ length: 300 }, (_, i) => `10.78.${i >> 7}.${(i & 127) + 1}`);
    const subnets = Array.from({ length: 300 }, (_, i) => `10.${120 + (i >> 8)}.${i & 255}.0/24`);
    const route = (dst: string, gateway: string) => ({ dst, gateway, oif: link.index, table: 100, priority: 100 });
    const writes = [
      ...dsts.map((dst) => ({ op: 'appendFdb', linkIndex: link.index, dst })),
      // The same route twice, 300 writes apart (across the 128-message chunks): the later one wins.
      { op: 'replaceRoute', route: route('10.9.0.0/16', '241.77.0.5') },
      ...subnets.map((dst) => ({ op: 'replaceRoute', route: route(dst, '241.77.0.9') })),
      { op: 'replaceRoute', route: route('10.9.0.0/16', '241.77.0.6') },
      { op: 'deleteFdb', linkIndex: link.index, dst: '10.79.0.1' }, // absent: done
      { op: 'deleteRoute', route: { dst: '10.8.0.0/16', table: 100 } }, // absent: done
      { op: 'appendFdb', linkIndex: 9999, dst: '10.0.0.2' }, // refused by the kernel
      { op: 'replaceRoute', route: route('10.2.0.1/16', '241.77.0.2') }, // refused before the kernel
      ...Array.from({ length: 94 }, (_, i) => ({ op: 'deleteFdb', linkIndex: link.index, dst: dsts[i] })),
    ];
    const [outcomes] = await inNetns(ns, [nl('writeBatch', writes)]);
    assert.equal(outcomes.length, 700);
    const failed = (outcomes as ({ error: string; errno?: string } | null)[])
      .map((o, i) => [i, o] as const)
      .filter(([, o]) => o);
    assert.deepEqual(failed, [
      [
        604,
        {
          error: 'add FDB entry 00:00:00:00:00:00 dst 10.0.0.2 on ifindex 9999: ENODEV (no such device)',
          errno: 'ENODEV',
        },
      ],
      [605, { error: 'invalid route destination "10.2.0.1/16": host bits are set; the network is 10.2.0.0/16' }],
    ]);
    const fdb = await fdbOf(ns, 'vx0');
    assert.equal(fdb.length, 1 + 300 - 94); // 10.77.0.3 from the test before, 300 added, 94 deleted
    assert.ok(fdb.includes(`00:00:00:00:00:00 dst ${dsts[94]}`) && !fdb.includes(`00:00:00:00:00:00 dst ${dsts[93]}`));
    const routes = await routesOf(ns, 100);
    assert.equal(routes.length, 301);
    assert.ok(routes.includes('10.9.0.0/16 via 241.77.0.6 dev vx0 metric 100'), routes.slice(0, 3).join('; '));
    const [cleanup] = await inNetns(ns, [
      nl('writeBatch', [
        ...dsts.map((dst) => ({ op: 'deleteFdb', linkIndex: link.index, dst })),
        ...[...subnets, '10.9.0.0/16'].map((dst) => ({ op: 'deleteRoute', route: { dst, table: 100 } })),
      ]),
    ]);
    assert.ok((cleanup as unknown[]).every((o) => o === null));
    assert.deepEqual(await routesOf(ns, 100), []);
    assert.deepEqual(await fdbOf(ns, 'vx0'), ['00:00:00:00:00:00 dst 10.77.0.3']);
  });

  it('should reject a route destination with host bits set before asking the kernel', async () => {
    const out = await tryInNetns(ns, [nl('replaceRoute', { dst: '10.2.0.1/16', oif: 1, table: 100 })]);
    assert.equal(out.error?.name, 'InvalidArgumentError');
    assert.match(out.error?.message ?? '', /host bits are set; the network is 10\.2\.0\.0\/16/);
  });

  it('should look up the route to an address and the default route without sending anything', async () => {
    const [lookup, def, unreachable] = await inNetns(ns, [
      nl('routeTo', '8.8.8.8'),
      nl('getDefaultRoute'),
      nl('routeTo', '0.0.0.0'),
    ]);
    assert.equal(lookup.oif, underlayIndex);
    assert.equal(lookup.src, '10.77.0.1');
    assert.equal(lookup.gateway, '10.77.0.254');
    assert.equal(def.oif, underlayIndex);
    assert.equal(def.dst, '0.0.0.0/0');
    assert.ok(unreachable === null || typeof unreachable === 'object');
  });

  it('should add a selector-less table rule once and delete it idempotently', async () => {
    const [added, again] = await inNetns(ns, [
      nl('ensureRule', { priority: 100, table: 100 }),
      nl('ensureRule', { priority: 100, table: 100 }),
    ]);
    assert.equal(added, true);
    assert.equal(again, false);
    assert.deepEqual(
      (await rulesOf(ns)).filter((r) => r.startsWith('100:')),
      ['100: from all lookup 100'],
    );
    await inNetns(ns, [
      nl('deleteRule', { priority: 100, table: 100 }),
      nl('deleteRule', { priority: 100, table: 100 }),
    ]);
    assert.deepEqual(
      (await rulesOf(ns)).filter((r) => r.startsWith('100:')),
      [],
    );
  });

  it('should delete a link idempotently', async () => {
    await inNetns(ns, [nl('deleteLink', 'vx0'), nl('deleteLink', 'vx0')]);
    assert.equal(await linkView(ns, 'vx0'), undefined);
  });
});
