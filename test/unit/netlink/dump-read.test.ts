/**
 * The status readings' dumps are read field by field (src/lib/netlink/dump-read.ts):
 * messages the netlink package's generic encoder makes must read back as what
 * they say, for every shape a route or FDB entry of the overlay takes, and a
 * malformed message must neither throw nor read past its end.
 */
import assert from 'node:assert/strict';
import netlink from 'netlink';
import { readFdb, readRoute } from '../../../src/lib/netlink/dump-read.js';
import { ipv4ToBuffer, macToBuffer } from '../../../src/lib/netlink/ip.js';
import type { RouteInfo } from '../../../src/lib/netlink/types.js';

function generic(format: (out: InstanceType<typeof netlink.AttrStream>) => void): Buffer {
  const out = new netlink.AttrStream();
  format(out);
  return Buffer.concat(out.bufs);
}

function routeBytes(r: RouteInfo, typeName: string, family = 2): Buffer {
  const [address, len] = r.dst.split('/') as [string, string];
  const attrs: Record<string, unknown> = { dst: ipv4ToBuffer(address), table: r.table };
  if (r.oif !== undefined) attrs.oif = r.oif;
  if (r.gateway) attrs.gateway = ipv4ToBuffer(r.gateway);
  if (r.src) attrs.prefsrc = ipv4ToBuffer(r.src);
  if (r.priority !== undefined) attrs.priority = r.priority;
  const data = {
    family,
    dstLen: Number(len),
    table: r.table < 256 ? r.table : 0,
    protocol: r.protocol,
    scope: 0,
    type: typeName,
  };
  return generic((out) => netlink.rt.formatRouteMessage({ kind: 'route', data, attrs } as never, out));
}

function fdbBytes(ifindex: number, dst: string | undefined, mac: string, permanent: boolean, family = 7): Buffer {
  const attrs: Record<string, unknown> = { lladdr: macToBuffer(mac) };
  if (dst) attrs.dst = ipv4ToBuffer(dst);
  const data = { family, ifindex, state: { permanent }, flags: { self: true } };
  return generic((out) => netlink.rt.formatNeighborMessage({ kind: 'neighbor', data, attrs } as never, out));
}

describe('netlink dumps read field by field', () => {
  it('should read every shape of IPv4 route the generic encoder writes', () => {
    const base = { dst: '10.101.3.0/24', oif: 9, table: 100, type: 'unicast', protocol: 4 };
    const shapes: [RouteInfo, string][] = [
      [base, 'UNICAST'],
      [{ ...base, gateway: '241.200.1.3', priority: 100 }, 'UNICAST'],
      [{ ...base, src: '10.0.0.1', priority: 0 }, 'UNICAST'],
      [{ ...base, gateway: '241.200.1.3', src: '10.0.0.1', priority: 4294967295 }, 'UNICAST'],
      [{ ...base, dst: '0.0.0.0/0', table: 1000, gateway: '10.0.0.254', protocol: 3 }, 'UNICAST'],
      [{ ...base, dst: '10.1.2.3/32', table: 4294967294, oif: undefined, type: 'blackhole' }, 'BLACKHOLE'],
      [{ ...base, type: 'unreachable', protocol: 2 }, 'UNREACHABLE'],
    ];
    for (const [route, typeName] of shapes) {
      const want = { gateway: undefined, oif: undefined, src: undefined, priority: undefined, ...route };
      assert.deepEqual(readRoute(routeBytes(route, typeName)), want, JSON.stringify(route));
    }
  });

  it('should skip routes of another family and FDB entries of another device or family', () => {
    const route = { dst: '10.1.0.0/16', oif: 3, table: 100, type: 'unicast', protocol: 4 };
    assert.equal(readRoute(routeBytes(route, 'UNICAST', 10)), undefined);
    assert.equal(readFdb(fdbBytes(7, '10.200.0.1', '00:00:00:00:00:00', true), 8), undefined);
    assert.equal(readFdb(fdbBytes(7, '10.200.0.1', '00:00:00:00:00:00', true, 2), 7), undefined);
  });

  it('should read FDB entries: the zero MAC and others, with and without a destination, permanent or not', () => {
    for (const [ifindex, dst, mac, permanent] of [
      [7, '10.200.3.4', '00:00:00:00:00:00', true],
      [2147483647, '255.255.255.254', 'aa:bb:cc:dd:ee:0f', false],
      [1, undefined, '02:00:00:00:00:01', true],
    ] as const) {
      assert.deepEqual(readFdb(fdbBytes(ifindex, dst, mac, permanent), ifindex), {
        linkIndex: ifindex,
        mac,
        dst,
        permanent,
        self: true,
      });
    }
  });

  it('should stop at a malformed attribute instead of throwing or reading past the message', () => {
    const route = { dst: '10.1.0.0/16', gateway: '241.1.1.1', oif: 3, table: 100, type: 'unicast', protocol: 4 };
    const whole = routeBytes(route, 'UNICAST');
    for (let cut = 12; cut < whole.length; cut++) {
      const part = readRoute(whole.subarray(0, cut));
      assert.ok(part, `cut at ${cut}`);
      assert.equal(part.type, 'unicast');
    }
    const bad = Buffer.from(whole);
    bad.writeUInt16LE(0xffff, 12); // the first attribute claims more bytes than the message has
    assert.equal(readRoute(bad)?.dst, '0.0.0.0/16');
    assert.equal(readRoute(Buffer.alloc(5)), undefined);
    assert.equal(readFdb(Buffer.alloc(3), 1), undefined);
  });
});
