import assert from 'node:assert/strict';
import { ConnectionStatus, type Connection, type Endpoint } from '../../../src/generated/cabled/driver/v1/driver.js';
import type { RemoteEndpoint } from '../../../src/endpoints/index.js';
import { desiredCables, natInfo } from '../../../src/engine/desired-state.js';
import { planReconcile } from '../../../src/engine/reconcile-plan.js';

function endpoint(cluster: string, ip: string, extra: Partial<Endpoint> = {}): Endpoint {
  return {
    clusterId: cluster,
    cableName: `submariner-cable-${cluster}-${ip.replaceAll('.', '-')}`,
    hostname: `gw-${cluster}`,
    subnets: [`10.${Number(ip.split('.')[3]) + 100}.0.0/16`],
    privateIp: ip,
    publicIp: '',
    natEnabled: false,
    backend: 'vxlan',
    backendConfig: {},
    healthCheckIp: '',
    ...extra,
  };
}

const local = endpoint('cluster1', '172.30.0.1', { subnets: ['10.1.0.0/16'] });
const sourced = (spec: Endpoint, createdAt: number): RemoteEndpoint => ({ spec, createdAt, source: 'test' });

/** What a driver reports after carrying out connects for `plan`. */
function installed(cables: Iterable<{ remote: ReturnType<typeof natInfo> }>): Connection[] {
  return [...cables].map(({ remote }) => ({
    status: ConnectionStatus.CONNECTION_STATUS_CONNECTED,
    statusMessage: '',
    endpoint: remote.endpoint,
    usingIp: remote.useIp,
    usingNat: remote.useNat,
    sas: [],
    rxBytes: 0,
    txBytes: 0,
    establishedUnixMs: 0,
  }));
}

describe('desired state', () => {
  it('should keep one cable per remote cluster, the newest endpoint winning', () => {
    const older = endpoint('cluster2', '172.30.0.2');
    const newer = endpoint('cluster2', '172.30.0.9');
    const desired = desiredCables(local, [sourced(newer, 2000), sourced(older, 1000)]);
    assert.equal(desired.size, 1);
    assert.equal(desired.get('cluster2')?.remote.endpoint?.cableName, newer.cableName);
  });

  it('should pick the same endpoint on every run when creation times tie', () => {
    const a = endpoint('cluster2', '172.30.0.2');
    const b = endpoint('cluster2', '172.30.0.3');
    const one = desiredCables(local, [sourced(a, 5), sourced(b, 5)]).get('cluster2');
    const two = desiredCables(local, [sourced(b, 5), sourced(a, 5)]).get('cluster2');
    assert.equal(one?.remote.endpoint?.cableName, two?.remote.endpoint?.cableName);
  });

  it("should skip the local cluster's own endpoints", () => {
    const desired = desiredCables(local, [sourced(endpoint('cluster1', '172.30.0.5'), 1)]);
    assert.equal(desired.size, 0);
  });

  context('when NAT is enabled and the remote has a public IP', () => {
    it('should use the public IP with NAT', () => {
      const remote = endpoint('cluster2', '172.30.0.2', { natEnabled: true, publicIp: '198.51.100.7' });
      assert.deepEqual(natInfo(local, remote), { endpoint: remote, useNat: true, useIp: '198.51.100.7' });
    });
  });

  it('should use the private IP without NAT otherwise', () => {
    const remote = endpoint('cluster2', '172.30.0.2', { publicIp: '198.51.100.7' });
    assert.equal(natInfo(local, remote).useIp, '172.30.0.2');
    assert.equal(natInfo(local, remote).useNat, false);
  });
});

describe('reconcile plan', () => {
  it('should connect every desired cable when nothing is installed', () => {
    const desired = desiredCables(local, [
      sourced(endpoint('cluster2', '172.30.0.2'), 1),
      sourced(endpoint('cluster3', '172.30.0.3'), 1),
    ]);
    const plan = planReconcile(desired, []);
    assert.deepEqual(
      plan.map((a) => a.kind),
      ['connect', 'connect'],
    );
  });

  it('should be idempotent: planning again after applying gives no actions', () => {
    const desired = desiredCables(local, [
      sourced(endpoint('cluster2', '172.30.0.2'), 1),
      sourced(endpoint('cluster3', '172.30.0.3'), 1),
    ]);
    assert.deepEqual(planReconcile(desired, installed(desired.values())), []);
  });

  it('should ignore the order of subnets and backend config keys', () => {
    const a = endpoint('cluster2', '172.30.0.2', {
      subnets: ['10.2.0.0/16', '10.3.0.0/16'],
      backendConfig: { a: '1', b: '2' },
    });
    const b = endpoint('cluster2', '172.30.0.2', {
      subnets: ['10.3.0.0/16', '10.2.0.0/16'],
      backendConfig: { b: '2', a: '1' },
    });
    const have = installed(desiredCables(local, [sourced(a, 1)]).values());
    assert.deepEqual(planReconcile(desiredCables(local, [sourced(b, 1)]), have), []);
  });

  context('when a newer endpoint of an installed cluster appears', () => {
    it('should disconnect the old cable before connecting the new one', () => {
      const old = endpoint('cluster2', '172.30.0.2');
      const have = installed(desiredCables(local, [sourced(old, 1)]).values());
      const desired = desiredCables(local, [sourced(old, 1), sourced(endpoint('cluster2', '172.30.0.9'), 2)]);
      const plan = planReconcile(desired, have);
      assert.equal(plan.length, 2);
      assert.equal(plan[0]?.kind, 'disconnect');
      assert.equal(plan[0]?.kind === 'disconnect' && plan[0].endpoint.cableName, old.cableName);
      assert.equal(plan[1]?.kind === 'connect' && plan[1].remote.useIp, '172.30.0.9');
    });
  });

  context('when an installed cluster is no longer desired', () => {
    it('should disconnect exactly that cable', () => {
      const two = endpoint('cluster2', '172.30.0.2');
      const three = endpoint('cluster3', '172.30.0.3');
      const have = installed(desiredCables(local, [sourced(two, 1), sourced(three, 1)]).values());
      const plan = planReconcile(desiredCables(local, [sourced(two, 1)]), have);
      assert.deepEqual(
        plan.map((a) => (a.kind === 'disconnect' ? a.endpoint.cableName : 'connect')),
        [three.cableName],
      );
    });
  });

  context("when an installed cable's spec changed", () => {
    it('should connect it again so the driver updates it in place', () => {
      const before = endpoint('cluster2', '172.30.0.2');
      const after = endpoint('cluster2', '172.30.0.2', { subnets: ['10.2.0.0/16', '10.20.0.0/16'] });
      const plan = planReconcile(
        desiredCables(local, [sourced(after, 1)]),
        installed(desiredCables(local, [sourced(before, 1)]).values()),
      );
      assert.deepEqual(
        plan.map((a) => [a.kind, a.reason]),
        [['connect', 'endpoint spec changed']],
      );
    });

    it('should see a change in any field: hostname, health-check IP, a backend config value or key, a swapped subnet', () => {
      const before = endpoint('cluster2', '172.30.0.2', {
        subnets: ['10.2.0.0/16', '10.3.0.0/16'],
        backendConfig: { 'udp-port': '4500' },
      });
      const have = installed(desiredCables(local, [sourced(before, 1)]).values());
      const changes: Partial<Endpoint>[] = [
        { hostname: 'gw-other' },
        { healthCheckIp: '10.2.0.1' },
        { backendConfig: { 'udp-port': '4501' } },
        { backendConfig: { 'udp-prt': '4500' } },
        { backendConfig: { 'udp-port': '4500', 'natt-discovery-port': '4490' } },
        { subnets: ['10.2.0.0/16', '10.4.0.0/16'] },
        { subnets: ['10.3.0.0/16', '10.2.0.0/16', '10.4.0.0/16'] },
      ];
      for (const extra of changes) {
        const after = { ...before, ...extra };
        const plan = planReconcile(desiredCables(local, [sourced(after, 1)]), have);
        assert.deepEqual(
          plan.map((a) => [a.kind, a.reason]),
          [['connect', 'endpoint spec changed']],
          JSON.stringify(extra),
        );
      }
    });
  });
});
