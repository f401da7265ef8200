/**
 * The batch path's FDB and route messages are written straight into a buffer
 * (src/lib/netlink/wire.ts); these must be the very bytes the netlink
 * package's generic encoder makes of the same request (what the single
 * requests send), for every shape the overlay sends, and invalid input must be
 * refused the same way.
 */
import assert from 'node:assert/strict';
import netlink from 'netlink';
import { encodeFdb } from '../../../src/lib/netlink/fdb.js';
import { ipv4ToBuffer, macToBuffer } from '../../../src/lib/netlink/ip.js';
import { encodeRoute } from '../../../src/lib/netlink/routes.js';
import type { RouteMatch, RouteSpec } from '../../../src/lib/netlink/types.js';

function generic(format: (out: InstanceType<typeof netlink.AttrStream>) => void): Buffer {
  const out = new netlink.AttrStream();
  format(out);
  return Buffer.concat(out.bufs);
}

function genericFdb(linkIndex: number, dst: string, mac: string, add: boolean): Buffer {
  const attrs = { lladdr: macToBuffer(mac), dst: ipv4ToBuffer(dst) };
  const data = add
    ? { family: 7, ifindex: linkIndex, state: { permanent: true, noarp: true }, flags: { self: true } }
    : { family: 7, ifindex: linkIndex, flags: { self: true } };
  return generic((out) => netlink.rt.formatNeighborMessage({ kind: 'neighbor', data, attrs } as never, out));
}

function genericReplace(spec: RouteSpec): Buffer {
  const [address, len] = spec.dst.split('/') as [string, string];
  const attrs: Record<string, unknown> = { dst: ipv4ToBuffer(address), oif: spec.oif, table: spec.table };
  if (spec.gateway) attrs.gateway = ipv4ToBuffer(spec.gateway);
  if (spec.src) attrs.prefsrc = ipv4ToBuffer(spec.src);
  if (spec.priority !== undefined) attrs.priority = spec.priority;
  const data = {
    family: 2,
    dstLen: Number(len),
    table: spec.table < 256 ? spec.table : 0,
    protocol: 4,
    scope: spec.gateway ? 0 : 253,
    type: 'UNICAST',
  };
  return generic((out) => netlink.rt.formatRouteMessage({ kind: 'route', data, attrs } as never, out));
}

function genericDelete(match: RouteMatch): Buffer {
  const [address, len] = match.dst.split('/') as [string, string];
  const attrs: Record<string, unknown> = { dst: ipv4ToBuffer(address), table: match.table };
  if (match.gateway) attrs.gateway = ipv4ToBuffer(match.gateway);
  if (match.oif !== undefined) attrs.oif = match.oif;
  if (match.priority !== undefined) attrs.priority = match.priority;
  const data = { family: 2, dstLen: Number(len), table: match.table < 256 ? match.table : 0, scope: 255 };
  return generic((out) => netlink.rt.formatRouteMessage({ kind: 'route', data, attrs } as never, out));
}

describe('netlink batch messages written straight into a buffer', () => {
  it('should encode FDB appends and deletes as the generic encoder does', () => {
    for (const [ifindex, dst, mac] of [
      [7, '10.200.3.4', '00:00:00:00:00:00'],
      [1, '255.255.255.254', 'aa:bb:cc:dd:ee:ff'],
      [2147483647, '1.2.3.4', '02:00:00:00:00:01'],
    ] as const) {
      for (const add of [true, false]) {
        const w = encodeFdb(ifindex, dst, mac, add);
        assert.deepEqual(w.body, genericFdb(ifindex, dst, mac, add), `${add ? 'append' : 'delete'} ${dst}`);
        assert.equal(w.type, add ? netlink.rt.MessageType.NEWNEIGH : netlink.rt.MessageType.DELNEIGH);
      }
    }
  });

  it('should encode route replaces with every optional attribute combination as the generic encoder does', () => {
    const base = { dst: '10.101.3.0/24', oif: 9, table: 100 };
    const shapes: RouteSpec[] = [
      base,
      { ...base, gateway: '241.200.1.3' },
      { ...base, gateway: '241.200.1.3', priority: 100 },
      { ...base, src: '10.0.0.1', priority: 0 },
      { ...base, gateway: '241.200.1.3', src: '10.0.0.1', priority: 4294967295 },
      { ...base, dst: '0.0.0.0/0', table: 1000, gateway: '10.0.0.254' },
      { ...base, dst: '10.1.2.3/32', table: 254 },
    ];
    for (const spec of shapes)
      assert.deepEqual(encodeRoute(spec, true).body, genericReplace(spec), JSON.stringify(spec));
  });

  it('should encode route deletes with every optional attribute combination as the generic encoder does', () => {
    const shapes: RouteMatch[] = [
      { dst: '10.101.3.0/24', table: 100 },
      { dst: '10.101.3.0/24', table: 100, oif: 9 },
      { dst: '10.101.3.0/24', table: 100, oif: 9, priority: 100 },
      { dst: '10.101.3.0/24', table: 300, gateway: '241.200.1.3', oif: 9, priority: 7 },
    ];
    for (const m of shapes) assert.deepEqual(encodeRoute(m, false).body, genericDelete(m), JSON.stringify(m));
  });

  it("should refuse invalid input with the single requests' messages", () => {
    assert.throws(() => encodeFdb(7, '0.0.0.0', '00:00:00:00:00:00', true), /every destination/);
    assert.throws(() => encodeFdb(7, '10.0.0.300', '00:00:00:00:00:00', true), /invalid FDB destination/);
    assert.throws(() => encodeFdb(7, '10.0.0.3', 'zz:00:00:00:00:00', true), /MAC/i);
    assert.throws(() => encodeRoute({ dst: '10.1.2.3/24', oif: 1, table: 100 }, true), /host bits are set/);
    assert.throws(() => encodeRoute({ dst: '10.1.2.0/24', oif: 1, table: 255 }, true), /invalid routing table/);
    assert.throws(
      () => encodeRoute({ dst: '10.1.2.0/24', oif: 1, table: 100, gateway: 'x' }, true),
      /invalid route gateway/,
    );
    assert.throws(() => encodeRoute({ dst: '10.1.2.0/24', oif: 1, table: 100, src: '1.2.3' }, true), /route source/);
  });
});
