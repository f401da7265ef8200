/**
 * The VXLAN overlay against a real kernel, in a throw-away namespace: device
 * creation and adoption, replacement of a mismatching device, remotes added,
 * changed and removed one by one, and a cleanup that leaves nothing behind.
 * Kernel state is read back independently with iproute2.
 */
import assert from 'node:assert/strict';
import type { VxlanOverlayOptions } from '../../../src/overlay/index.js';
import { canUseNetns, connectVeth, createNetns, deleteNetns, ip, nsName, nsSysctl } from '../../../lab/netns.js';
import { inNetns, ov, tryInNetns, underlay } from './in-netns.js';
import { addressesOf, fdbOf, linkView, routesOf, rulesOf } from './kernel-view.js';

const OPTIONS: VxlanOverlayOptions = { localIp: '192.168.250.1', port: 4500 };
const A = { remoteIp: '192.168.250.2', remoteVtepSourceIp: '192.168.250.2', subnets: ['10.2.0.0/16', '10.96.0.0/16'] };
const B = { remoteIp: '198.51.100.7', remoteVtepSourceIp: '192.168.251.3', subnets: ['10.3.0.0/16'] };

describe('VXLAN overlay (real namespace)', function () {
  const ns = nsName('ovl');
  const peer = nsName('ovp');
  const run = (...steps: Parameters<typeof inNetns>[1]) => inNetns(ns, steps, OPTIONS);
  const rule100 = async () => (await rulesOf(ns)).filter((r) => r.startsWith('100:'));

  before(async function () {
    if (!canUseNetns()) this.skip();
    await Promise.all([deleteNetns(ns), deleteNetns(peer)]);
    await Promise.all([createNetns(ns), createNetns(peer)]);
    await connectVeth(
      { ns, name: 'eth0', cidr: '192.168.250.1/24', mtu: 1400 },
      { ns: peer, name: 'eth0', cidr: '192.168.250.2/24' },
    );
  });

  after(async () => {
    if (canUseNetns()) await Promise.all([deleteNetns(ns), deleteNetns(peer)]);
  });

  it('should detect the private IP, underlay device and MTU from the routing state', async () => {
    const [found, noRoute] = await run(underlay({ target: '192.168.250.2' }), underlay({ localIp: '192.168.250.1' }));
    const eth0 = await linkView(ns, 'eth0');
    assert.deepEqual(found, { localIp: '192.168.250.1', ifindex: eth0?.ifindex, ifname: 'eth0', mtu: 1400 });
    assert.deepEqual(noRoute, found);
    const out = await tryInNetns(ns, [underlay()]);
    assert.equal(out.error?.name, 'FailedPreconditionError');
    assert.match(
      out.error?.message ?? '',
      /no route to 8\.8\.8\.8 with a source address; set the private IP explicitly/,
    );
  });

  it('should create the device with VNI, port, MTU (underlay - 50), VTEP address, rule and loose rp_filter', async () => {
    const [res] = await run(ov('ensureDevice'));
    assert.deepEqual(res, {
      ifindex: res.ifindex,
      adopted: false,
      replaced: false,
      mtu: 1350,
      vtepCidr: '241.168.250.1/8',
      up: true,
    });
    const view = await linkView(ns, 'vxlan-tunnel');
    assert.equal(view?.ifindex, res.ifindex);
    assert.equal(view?.mtu, 1350);
    assert.ok(view?.flags.includes('UP'));
    assert.equal(view?.linkinfo?.info_kind, 'vxlan');
    const data = view?.linkinfo?.info_data;
    assert.deepEqual(
      [data?.id, data?.port, data?.local, data?.link, data?.learning],
      [1000, 4500, '192.168.250.1', 'eth0', false],
    );
    assert.deepEqual(await addressesOf(ns, 'vxlan-tunnel'), ['241.168.250.1/8']);
    assert.deepEqual(await rule100(), ['100: from all lookup 100']);
    assert.equal(await nsSysctl(ns, 'net.ipv4.conf.vxlan-tunnel.rp_filter'), '2');
    assert.equal(await nsSysctl(ns, 'net.ipv4.conf.vxlan-tunnel.forwarding'), '1');
  });

  it('should adopt a matching device on a second run, keeping its ifindex and fixing its MTU and address', async () => {
    const before = await linkView(ns, 'vxlan-tunnel');
    await ip(ns, 'link', 'set', 'vxlan-tunnel', 'mtu', '1200');
    await ip(ns, 'addr', 'add', '241.9.9.9/8', 'dev', 'vxlan-tunnel');
    const [res] = await run(ov('ensureDevice'));
    assert.equal(res.adopted, true);
    assert.equal(res.ifindex, before?.ifindex);
    assert.equal((await linkView(ns, 'vxlan-tunnel'))?.mtu, 1350);
    assert.deepEqual(await addressesOf(ns, 'vxlan-tunnel'), ['241.168.250.1/8']);
    assert.deepEqual(await rule100(), ['100: from all lookup 100']);
  });

  it('should install two remotes: one FDB entry each and their subnets via their VTEPs in table 100', async () => {
    const [a, b, again] = await run(ov('ensureRemote', A), ov('ensureRemote', B), ov('ensureRemote', A));
    assert.deepEqual(a.fdbAdded, ['192.168.250.2']);
    assert.deepEqual(b.routesReplaced, ['10.3.0.0/16']);
    assert.deepEqual(again, {
      vtep: '241.168.250.2',
      fdbAdded: [],
      fdbRemoved: [],
      routesReplaced: [],
      routesRemoved: [],
    });
    assert.deepEqual(await fdbOf(ns, 'vxlan-tunnel'), [
      '00:00:00:00:00:00 dst 192.168.250.2',
      '00:00:00:00:00:00 dst 198.51.100.7',
    ]);
    assert.deepEqual(await routesOf(ns, 100), [
      '10.2.0.0/16 via 241.168.250.2 dev vxlan-tunnel metric 100',
      '10.3.0.0/16 via 241.168.251.3 dev vxlan-tunnel metric 100',
      '10.96.0.0/16 via 241.168.250.2 dev vxlan-tunnel metric 100',
    ]);
  });

  it('should report what is installed, per VTEP', async () => {
    const [state] = await run(ov('listRemotes'));
    assert.deepEqual(state.fdbDsts.sort(), ['192.168.250.2', '198.51.100.7']);
    assert.deepEqual(
      state.routes.map((r: { vtep: string; subnets: string[] }) => `${r.vtep}=${r.subnets.sort().join(',')}`).sort(),
      ['241.168.250.2=10.2.0.0/16,10.96.0.0/16', '241.168.251.3=10.3.0.0/16'],
    );
    assert.equal(state.device.vni, 1000);
  });

  it('should keep installed remotes when the device is adopted again (driver restart)', async () => {
    const fdbBefore = await fdbOf(ns, 'vxlan-tunnel');
    const routesBefore = await routesOf(ns, 100);
    const [res] = await run(ov('ensureDevice'));
    assert.equal(res.adopted, true);
    assert.deepEqual(await fdbOf(ns, 'vxlan-tunnel'), fdbBefore);
    assert.deepEqual(await routesOf(ns, 100), routesBefore);
  });

  it("should drop a remote's routes that are no longer wanted, leaving the other remote alone", async () => {
    const [change] = await run(ov('ensureRemote', { ...A, subnets: ['10.2.0.0/16', '10.97.0.0/16'] }));
    assert.deepEqual(change.routesReplaced, ['10.97.0.0/16']);
    assert.deepEqual(change.routesRemoved, ['10.96.0.0/16']);
    assert.deepEqual(await routesOf(ns, 100), [
      '10.2.0.0/16 via 241.168.250.2 dev vxlan-tunnel metric 100',
      '10.3.0.0/16 via 241.168.251.3 dev vxlan-tunnel metric 100',
      '10.97.0.0/16 via 241.168.250.2 dev vxlan-tunnel metric 100',
    ]);
  });

  it('should remove exactly one remote', async () => {
    await run(ov('removeRemote', B), ov('removeRemote', B));
    assert.deepEqual(await fdbOf(ns, 'vxlan-tunnel'), ['00:00:00:00:00:00 dst 192.168.250.2']);
    assert.deepEqual(await routesOf(ns, 100), [
      '10.2.0.0/16 via 241.168.250.2 dev vxlan-tunnel metric 100',
      '10.97.0.0/16 via 241.168.250.2 dev vxlan-tunnel metric 100',
    ]);
  });

  it('should install and remove many remotes in one pipelined burst, touching only those remotes', async () => {
    const many = Array.from({ length: 60 }, (_, i) => ({
      remoteIp: `192.168.252.${i + 1}`,
      remoteVtepSourceIp: `192.168.252.${i + 1}`,
      subnets: [`10.${120 + i}.0.0/16`],
    }));
    const [installed] = await run(
      ov(
        'applyRemotes',
        [],
        many.map((spec) => ({ spec })),
      ),
    );
    assert.equal(installed.length, 60);
    assert.ok(
      installed.every((c: { vtep?: string }) => c.vtep?.startsWith('241.168.252.')),
      'every item succeeded',
    );
    const fdb = await fdbOf(ns, 'vxlan-tunnel');
    assert.equal(fdb.length, 61);
    assert.ok(fdb.includes('00:00:00:00:00:00 dst 192.168.250.2'), "the earlier remote's entry stays");
    assert.equal((await routesOf(ns, 100)).length, 62);

    // Remove 20 and change one in the same burst: removals first, then installs.
    const [outcome] = await run(
      ov('applyRemotes', many.slice(0, 20), [{ spec: { ...many[30]!, subnets: ['10.150.0.0/16', '10.250.0.0/16'] } }]),
    );
    assert.equal(outcome.length, 21);
    const after = await routesOf(ns, 100);
    assert.equal((await fdbOf(ns, 'vxlan-tunnel')).length, 41);
    assert.equal(after.length, 43);
    assert.ok(!after.some((r) => r.startsWith('10.120.0.0/16')), 'a removed remote has no route left');
    assert.ok(after.includes('10.250.0.0/16 via 241.168.252.31 dev vxlan-tunnel metric 100'));
    assert.ok(
      after.includes('10.2.0.0/16 via 241.168.250.2 dev vxlan-tunnel metric 100'),
      "the earlier remote's routes stay",
    );
  });

  it('should replace a device of that name with another VNI, with a new ifindex', async () => {
    await run(ov('cleanup'));
    await ip(
      ns,
      'link',
      'add',
      'vxlan-tunnel',
      'type',
      'vxlan',
      'id',
      '2000',
      'dstport',
      '4500',
      'local',
      '192.168.250.1',
      'dev',
      'eth0',
    );
    const old = await linkView(ns, 'vxlan-tunnel');
    const [res] = await run(ov('ensureDevice'));
    assert.equal(res.replaced, true);
    assert.notEqual(res.ifindex, old?.ifindex);
    assert.equal((await linkView(ns, 'vxlan-tunnel'))?.linkinfo?.info_data?.id, 1000);
  });

  it('should keep a new device down when asked, and refuse routes until setUp()', async () => {
    await run(ov('cleanup'));
    const [res] = await run(ov('ensureDevice', { up: false }));
    assert.equal(res.up, false);
    assert.ok(!(await linkView(ns, 'vxlan-tunnel'))?.flags.includes('UP'));
    const refused = await tryInNetns(ns, [ov('ensureRemote', A)], OPTIONS);
    assert.equal(refused.error?.name, 'FailedPreconditionError');
    assert.match(refused.error?.message ?? '', /vxlan-tunnel: the device is down.*call setUp\(\) first/);
    await run(ov('setUp'), ov('ensureRemote', A));
    assert.deepEqual(await routesOf(ns, 100), [
      '10.2.0.0/16 via 241.168.250.2 dev vxlan-tunnel metric 100',
      '10.96.0.0/16 via 241.168.250.2 dev vxlan-tunnel metric 100',
    ]);
  });

  it('should leave nothing after cleanup, and cleanup again without error', async () => {
    await run(ov('cleanup'), ov('cleanup'));
    assert.equal(await linkView(ns, 'vxlan-tunnel'), undefined);
    assert.deepEqual(await routesOf(ns, 100), []);
    assert.deepEqual(await rule100(), []);
    const [state] = await run(ov('listRemotes'), ov('removeRemote', A));
    assert.deepEqual(state, { fdbDsts: [], routes: [] });
  });
});
