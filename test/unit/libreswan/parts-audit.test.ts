/** A dead peer costs nothing (issue 12, item 4), the driver side: which dead cables have every part in place. */
import assert from 'node:assert/strict';
import type { LibreswanCable } from '../../../drivers/libreswan/install.js';
import { KernelPartsAudit, plutoNegotiates, transportPartsInPlace } from '../../../drivers/libreswan/parts-audit.js';
import type { XfrmPolicy } from '../../../src/lib/netlink/index.js';
import { indexStates } from '../../../drivers/libreswan/status.js';
import { parseShowStates } from '../../../src/lib/whack/index.js';

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
  it('should see a dead cable pluto negotiates for (4.10 lists one of its two connections), and miss one it does not', () => {
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
    assert.equal(plutoNegotiates('transport', ['c1-0', 'c1-1'], index), true);
    assert.equal(plutoNegotiates('transport', ['c2-0', 'c2-1'], index), false, 'nothing for c2: not in place');
    assert.equal(plutoNegotiates('tunnel', ['t1-a', 't1-b'], index), true);
    assert.equal(plutoNegotiates('tunnel', ['t2-a', 't2-b'], index), false, 'tunnel mode needs every connection');
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
});
