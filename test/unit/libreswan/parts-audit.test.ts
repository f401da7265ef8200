/** A dead peer costs nothing (issue 12, item 4), the driver side: which dead cables have every part in place. */
import assert from 'node:assert/strict';
import type { PlannedConnection } from '../../../drivers/libreswan/connection-plan.js';
import { addconnTimeoutMs, type LibreswanCable } from '../../../drivers/libreswan/install.js';
import {
  KernelPartsAudit,
  plutoNegotiates,
  transportPartsInPlace,
  tunnelPartsInPlace,
  trapsMissing,
} from '../../../drivers/libreswan/parts-audit.js';
import type { XfrmPolicy } from '../../../src/lib/netlink/index.js';
import { indexStates } from '../../../drivers/libreswan/status.js';
import { type LoadedConnection, parseShowStates } from '../../../src/lib/whack/index.js';

describe('KernelPartsAudit (unit, fake clock)', () => {
  it('should count installed cables in place, audit 1 min after an install, doubling to the cap, and fail safe', async () => {
    let now = 0;
    let kernel = new Set(['a', 'b']);
    const reads: number[] = [];
    let broken = false;
    const audit = new KernelPartsAudit(
      async (cables) => {
        reads.push(now);
        if (broken) throw new Error('netlink timeout');
        return new Set(cables.filter((c) => kernel.has(c)));
      },
      { firstMs: 60000, maxMs: 240000, now: () => now },
    );
    assert.equal(audit.inPlace('a'), false, 'nothing known before an install or an audit');
    audit.installed(['a', 'b']);
    assert.equal(audit.inPlace('a'), true, 'an install counts as an audit');
    for (now = 0; now <= 600000; now += 10000) await audit.refresh(['a', 'b']);
    assert.deepEqual(reads, [60000, 180000, 420000], '1 min after the install, then 2, 4 (the cap) min apart');
    kernel = new Set(['a']); // b's route deleted behind the driver's back
    for (; now < 660000; now += 10000) await audit.refresh(['a', 'b']);
    assert.equal(audit.inPlace('b'), true, 'not noticed before the next audit');
    now = 660000;
    await audit.refresh(['a', 'b']);
    assert.equal(reads.at(-1), 660000);
    assert.equal(audit.inPlace('b'), false, 'the missing part is noticed');
    assert.equal(audit.inPlace('a'), true);
    assert.equal(audit.currentMs, 60000, 'something missing: back to the first interval');
    audit.installed(['b']); // repaired
    assert.equal(audit.inPlace('b'), true);
    broken = true;
    now += 60000;
    await audit.refresh(['a']);
    assert.equal(audit.inPlace('a'), false, 'a failed read counts nothing in place');
    assert.equal(audit.inPlace('b'), true, 'cables not audited keep what was known');
    audit.forget('b');
    assert.equal(audit.inPlace('b'), false);
    const n = reads.length;
    now += 1e6;
    await audit.refresh([]);
    assert.equal(reads.length, n, 'no read without cables in question');
  });
});

describe('plutoNegotiates (unit, live 4.10 --showstates)', () => {
  it('should see a dead cable pluto negotiates for (4.10 lists one of its connections), and miss one it does not', () => {
    const index = indexStates(
      parseShowStates(
        [
          '000 #29: "c1-1":500 STATE_V2_PARENT_I1 (sent IKE_SA_INIT request); RETRANSMIT in 1s; idle;',
          '000 #29: pending CHILD SA for "c1-1"',
          '000 #28: "t1-a":500 STATE_V2_PARENT_I1 (sent IKE_SA_INIT request); RETRANSMIT in 1s; idle;',
          '000 #28: pending CHILD SA for "t1-a"',
          '000 #28: pending CHILD SA for "t1-b"',
          '000 #27: "t2-a":500 STATE_V2_PARENT_I1 (sent IKE_SA_INIT request); RETRANSMIT in 1s; idle;',
        ].join('\n'),
      ),
    );
    assert.equal(plutoNegotiates(['c1-0', 'c1-1'], index), true);
    assert.equal(plutoNegotiates(['c2-0', 'c2-1'], index), false, 'nothing for c2: not in place');
    assert.equal(plutoNegotiates(['t1-a', 't1-b'], index), true);
    assert.equal(plutoNegotiates(['t2-a', 't2-b'], index), true, 'one listed counts (the audit checks the rest)');
    assert.equal(plutoNegotiates(['t3-a', 't3-b'], index), false, 'nothing for t3: not in place');
  });
});

describe('transportPartsInPlace (unit, the policies 4.10 and cabled install)', () => {
  const LOCAL = '10.201.0.2';
  const cable = (n: number): LibreswanCable => {
    const ip = `10.202.1.${n}`;
    const conn = (k: number, left: string, right: string) => ({
      spec: {
        name: `c${n}-${k}`,
        mode: 'transport' as const,
        left: { host: LOCAL, protoPort: left },
        right: { host: ip, protoPort: right },
      },
      route: true,
      initiate: true,
      carries: '',
    });
    return {
      endpoint: {
        clusterId: `c${n}`,
        cableName: `cable${n}`,
        hostname: '',
        subnets: [`10.${n}.0.0/16`],
        privateIp: ip,
        publicIp: '',
        natEnabled: false,
        backend: 'libreswan',
        backendConfig: {},
        healthCheckIp: '',
      },
      usingIp: ip,
      usingNat: false,
      establishedUnixMs: 0,
      mode: 'transport',
      connections: [conn(0, 'udp/4789', 'udp'), conn(1, 'udp', 'udp/4789')],
    } as unknown as LibreswanCable;
  };
  const policy = (dst: string, extra: Partial<XfrmPolicy>): XfrmPolicy => ({
    family: 'ipv4',
    dir: 'out',
    action: 'allow',
    priority: 1360065,
    index: 0,
    src: `${LOCAL}/32`,
    dst: `${dst}/32`,
    proto: 'udp',
    hasTemplates: true,
    templates: [{ proto: 'esp', mode: 'transport', reqid: 0 }],
    owned: false,
    ...extra,
  });
  const complete = (n: number): XfrmPolicy[] => [
    policy(`10.202.1.${n}`, { sport: 4789 }),
    policy(`10.202.1.${n}`, { dport: 4789 }),
    policy(`10.202.1.${n}`, { dport: 4789, action: 'block', hasTemplates: false, templates: [], owned: true }),
  ];
  const input = (policies: XfrmPolicy[], fdb = ['10.202.1.1', '10.202.1.2', '10.202.1.3']) => ({
    policies,
    vxlanPort: 4789,
    vtep: (c: LibreswanCable) => `241.${c.endpoint.privateIp.split('.').slice(1).join('.')}`,
    state: {
      fdbDsts: fdb,
      routes: [1, 2, 3].map((n) => ({ vtep: `241.202.1.${n}`, subnets: [`10.${n}.0.0/16`] })),
    },
  });
  const cables = [cable(1), cable(2), cable(3)];

  it('should find every part of each cable in place', () => {
    assert.deepEqual(transportPartsInPlace(cables, input([...complete(1), ...complete(2), ...complete(3)])), [
      'cable1',
      'cable2',
      'cable3',
    ]);
  });

  it('should miss a cable whose trap policy (a connection deleted in pluto), block policy, FDB entry or route is gone', () => {
    const noTrap0 = complete(1).filter((p) => p.sport !== 4789);
    const noBlock = complete(2).filter((p) => !p.owned);
    assert.deepEqual(transportPartsInPlace(cables, input([...noTrap0, ...noBlock, ...complete(3)])), ['cable3']);
    const all = [...complete(1), ...complete(2), ...complete(3)];
    assert.deepEqual(transportPartsInPlace(cables, input(all, ['10.202.1.1', '10.202.1.3'])), ['cable1', 'cable3']);
    const noRoute = input(all);
    noRoute.state.routes = noRoute.state.routes.filter((r) => r.vtep !== '241.202.1.3');
    assert.deepEqual(transportPartsInPlace(cables, noRoute), ['cable1', 'cable2']);
  });

  it('should name for the repair to route again the connection whose trap policy alone is gone', () => {
    const all = [...complete(1), ...complete(2), ...complete(3)];
    assert.deepEqual(trapsMissing(cables, all), new Set());
    const noTrap = all.filter((p) => !(p.dst === '10.202.1.2/32' && p.dport === 4789 && !p.owned));
    assert.deepEqual(trapsMissing(cables, noTrap), new Set(['c2-1']));
    assert.deepEqual(trapsMissing(cables, []), new Set(['c1-0', 'c1-1', 'c2-0', 'c2-1', 'c3-0', 'c3-1']));
  });
});

describe('tunnelPartsInPlace and trapsMissing (unit, the policies and connection list 4.10 shows)', () => {
  const LOCAL_SUBNET = '10.1.0.0/16';
  // Cable n: remote subnets 10.n.0.0/16 and 10.(n+100).0.0/16, one connection per pair, routed (initiating side).
  const remoteSubnets = (n: number) => [`10.${n}.0.0/16`, `10.${n + 100}.0.0/16`];
  const cable = (n: number, route = true): LibreswanCable =>
    ({
      endpoint: { cableName: `cable${n}`, subnets: remoteSubnets(n) },
      usingIp: `172.30.65.${n}`,
      usingNat: false,
      establishedUnixMs: 0,
      mode: 'tunnel',
      connections: remoteSubnets(n).map((sub, r) => ({
        spec: {
          name: `cable${n}-0-${r}`,
          mode: 'tunnel' as const,
          left: { host: '172.30.65.1', client: LOCAL_SUBNET },
          right: { host: route ? `172.30.65.${n}` : '%any', client: sub },
        },
        route,
        initiate: route,
        carries: '',
      })),
    }) as unknown as LibreswanCable;
  // 4.10's trap policy of a routed ("prospective erouted") tunnel connection: out, a template, no protocol.
  const trap = (dst: string, extra: Partial<XfrmPolicy> = {}): XfrmPolicy => ({
    family: 'ipv4',
    dir: 'out',
    action: 'allow',
    priority: 1761505,
    index: 0,
    src: LOCAL_SUBNET,
    dst,
    hasTemplates: true,
    templates: [{ proto: 'esp', mode: 'transport', reqid: 0 }],
    owned: false,
    ...extra,
  });
  const loadedOf = (cables: LibreswanCable[], routing = 'prospective erouted') =>
    new Map<string, LoadedConnection>(
      cables.flatMap((c) => c.connections.map((p) => [p.spec.name, { name: p.spec.name, routing, oriented: true }])),
    );
  const cables = [cable(2), cable(3), cable(4)];
  const allTraps = [2, 3, 4].flatMap((n) => remoteSubnets(n).map((s) => trap(s)));

  it('should find every part of each cable in place: every connection loaded, routed, with its trap policy', () => {
    assert.deepEqual(tunnelPartsInPlace(cables, { policies: allTraps, loaded: loadedOf(cables) }), [
      'cable2',
      'cable3',
      'cable4',
    ]);
    assert.deepEqual(trapsMissing(cables, allTraps), new Set());
  });

  it('should miss a cable whose trap policy, connection, or routing is gone, and never count what it did not see', () => {
    const noTrap = allTraps.filter((p) => p.dst !== '10.102.0.0/16');
    const loaded = loadedOf(cables);
    loaded.delete('cable3-0-1'); // deleted in pluto
    loaded.set('cable4-0-0', { name: 'cable4-0-0', routing: 'unrouted', oriented: true });
    assert.deepEqual(tunnelPartsInPlace(cables, { policies: noTrap, loaded }), []);
    assert.deepEqual(trapsMissing(cables, noTrap), new Set(['cable2-0-1']));
    // Not pluto's: a guard (cabled's own block policy) on the same selector is no trap policy.
    const guard = trap('10.102.0.0/16', { action: 'block', hasTemplates: false, templates: [], owned: true });
    assert.deepEqual(tunnelPartsInPlace([cable(2)], { policies: [...noTrap, guard], loaded: loadedOf(cables) }), []);
    // An inbound policy, or one with a protocol, on the selector is not the trap policy either.
    const notTrap = [trap('10.102.0.0/16', { dir: 'in' }), trap('10.102.0.0/16', { proto: 'udp' })];
    assert.deepEqual(
      tunnelPartsInPlace([cable(2)], { policies: [...noTrap, ...notTrap], loaded: loadedOf(cables) }),
      [],
    );
    // Unoriented (5.4), or nothing read at all.
    const unoriented = new Map([...loadedOf(cables)].map(([k, v]) => [k, { ...v, oriented: false }]));
    assert.deepEqual(tunnelPartsInPlace(cables, { policies: allTraps, loaded: unoriented }), []);
    assert.deepEqual(tunnelPartsInPlace(cables, { policies: [], loaded: new Map() }), []);
  });

  it('should ask only that the responder side (not routed) has its connections loaded: it has no trap policy', () => {
    const server = [cable(5, false)];
    assert.deepEqual(tunnelPartsInPlace(server, { policies: [], loaded: loadedOf(server, 'unrouted') }), ['cable5']);
    assert.deepEqual(tunnelPartsInPlace(server, { policies: [], loaded: new Map() }), []);
    assert.deepEqual(trapsMissing(server, []), new Set());
  });
});

describe('addconnTimeoutMs (unit)', () => {
  const conn = (updown?: string) => ({ spec: { updown } }) as unknown as PlannedConnection;
  it('should give a bulk route of tunnel connections (updown runs per route) 250 ms each beyond 60 s, and nothing else more', () => {
    const tunnel = Array.from({ length: 600 }, () => conn());
    assert.equal(addconnTimeoutMs(tunnel, 'route'), 60000 + 150000);
    assert.equal(addconnTimeoutMs(tunnel, 'add'), 60000, 'auto=add runs no updown');
    assert.equal(
      addconnTimeoutMs(
        Array.from({ length: 2000 }, () => conn('%disabled')),
        'route',
      ),
      60000,
      'transport',
    );
  });
});
