/**
 * Desired state between remote clusters: one endpoint per cluster chosen the
 * same way on every engine, and address space two clusters claim held by the
 * older one, with the younger cable told which cluster holds it.
 */
import assert from 'node:assert/strict';
import type { RemoteEndpoint } from '../../../src/endpoints/index.js';
import { desiredState } from '../../../src/engine/desired-state.js';
import type { Endpoint } from '../../../src/generated/cabled/driver/v1/driver.js';

const ep = (cluster: string, ip: string, subnets: string[], extra: Partial<Endpoint> = {}): Endpoint => ({
  clusterId: cluster,
  cableName: `submariner-cable-${cluster}-${ip.replaceAll('.', '-')}`,
  hostname: '',
  subnets,
  privateIp: ip,
  publicIp: '',
  natEnabled: false,
  backend: 'vxlan',
  backendConfig: {},
  healthCheckIp: '',
  ...extra,
});
const local = ep('cluster1', '172.30.0.1', ['10.1.0.0/16']);
const at = (spec: Endpoint, createdAt?: number, where = 'f[0]'): RemoteEndpoint => ({
  spec,
  createdAt,
  source: 'file:f',
  where,
});

describe('desiredState', () => {
  describe('endpoints of one cluster', () => {
    it('should pick the newest; one without a creation time counts as the oldest', () => {
      const s = desiredState(local, [
        at(ep('c2', '172.30.0.2', ['10.2.0.0/16']), 5, 'f[0]'),
        at(ep('c2', '172.30.0.9', ['10.2.0.0/16']), undefined, 'f[1]'),
      ]);
      assert.equal(s.cables.get('c2')?.remote.endpoint?.privateIp, '172.30.0.2');
      assert.match(
        s.superseded[0] ?? '',
        /submariner-cable-c2-172-30-0-9 \(f\[1\]\): superseded by .*it has a creation time and this one has none/,
      );
    });
    it('should pick the greater cable name among timestamp-less endpoints, whatever the order, and say why', () => {
      const a = at(ep('c2', '172.30.0.3', ['10.2.0.0/16']), undefined, 'f[0]');
      const b = at(ep('c2', '172.30.0.13', ['10.2.0.0/16']), undefined, 'f[1]');
      for (const order of [
        [a, b],
        [b, a],
      ]) {
        const s = desiredState(local, order);
        assert.equal(s.cables.get('c2')?.remote.endpoint?.privateIp, '172.30.0.3');
        assert.deepEqual(s.superseded, [
          'submariner-cable-c2-172-30-0-13 (f[1]): superseded by submariner-cable-c2-172-30-0-3 (f[0]) of the same cluster c2: neither has a creation time, so the greater cable name wins; set creationTimestamp to choose',
        ]);
      }
    });
  });

  describe('address space two clusters claim', () => {
    it('should leave the overlapping subnet with the older cluster and say so', () => {
      const s = desiredState(local, [
        at(ep('c3', '172.30.0.3', ['10.2.5.0/24', '10.3.0.0/16']), 2000),
        at(ep('c2', '172.30.0.2', ['10.2.0.0/16']), 1000),
      ]);
      assert.deepEqual(s.cables.get('c2')?.remote.endpoint?.subnets, ['10.2.0.0/16']);
      assert.deepEqual(s.cables.get('c3')?.remote.endpoint?.subnets, ['10.3.0.0/16']);
      assert.deepEqual(s.cables.get('c3')?.withheld, [
        { subnet: '10.2.5.0/24', heldBy: 'c2', reason: 'overlaps 10.2.0.0/16 of cluster c2, which is older' },
      ]);
      assert.deepEqual(s.conflicts, [
        'cluster c3 (submariner-cable-c3-172-30-0-3): subnets not installed: 10.2.5.0/24 overlaps 10.2.0.0/16 of cluster c2, which is older',
      ]);
    });
    it('should break a tie of creation times by cluster id', () => {
      const s = desiredState(local, [
        at(ep('c9', '172.30.0.9', ['10.2.0.0/16'])),
        at(ep('c2', '172.30.0.2', ['10.2.0.0/16', '10.22.0.0/16'])),
      ]);
      assert.deepEqual(s.cables.get('c2')?.remote.endpoint?.subnets, ['10.2.0.0/16', '10.22.0.0/16']);
      assert.equal(s.cables.has('c9'), false);
      assert.match(s.conflicts[0] ?? '', /cluster c9 .*: not installed: every subnet is held by an older cluster/);
    });
    it('should not install a cluster whose gateway address is an older cluster’s, or inside its subnets', () => {
      const s = desiredState(local, [
        at(ep('c2', '172.30.0.2', ['10.2.0.0/16']), 1),
        at(ep('c3', '172.30.0.4', ['10.3.0.0/16'], { publicIp: '172.30.0.2' }), 2),
        at(ep('c4', '10.2.0.7', ['10.4.0.0/16']), 3),
      ]);
      assert.deepEqual([...s.cables.keys()], ['c2']);
      assert.match(
        s.conflicts.join('\n'),
        /cluster c3 .*its public_ip 172\.30\.0\.2 is also the gateway address of cluster c2/,
      );
      assert.match(
        s.conflicts.join('\n'),
        /cluster c4 .*its private_ip 10\.2\.0\.7 is inside subnet 10\.2\.0\.0\/16 of cluster c2/,
      );
    });
    it("should withhold a younger cluster's subnet holding an older cluster's gateway", () => {
      const s = desiredState(local, [
        at(ep('c2', '172.30.0.2', ['10.2.0.0/16']), 1),
        at(ep('c3', '192.0.2.3', ['172.30.0.0/16', '10.3.0.0/16']), 2),
      ]);
      assert.deepEqual(s.cables.get('c3')?.remote.endpoint?.subnets, ['10.3.0.0/16']);
      assert.equal(s.cables.get('c3')?.withheld[0]?.reason, 'contains the gateway address 172.30.0.2 of cluster c2');
    });
    it("should protect an older cluster's superseded gateways too", () => {
      const s = desiredState(local, [
        at(ep('c2', '172.30.0.2', ['10.2.0.0/16']), 1),
        at(ep('c2', '192.0.2.77', ['10.2.0.0/16']), undefined),
        at(ep('c3', '172.30.0.3', ['192.0.2.0/24', '10.3.0.0/16']), 2),
      ]);
      assert.equal(s.cables.get('c3')?.withheld[0]?.reason, 'contains the gateway address 192.0.2.77 of cluster c2');
    });
    it('should not install a cluster whose VXLAN VTEP is this gateway’s or an older cluster’s (VXLAN driver only)', () => {
      const remotes = [
        at(ep('c2', '172.30.0.2', ['10.2.0.0/16']), 1),
        at(ep('c3', '10.30.0.2', ['10.3.0.0/16']), 2),
        at(ep('c4', '192.30.0.1', ['10.4.0.0/16']), 3),
      ];
      const s = desiredState(local, remotes);
      assert.deepEqual([...s.cables.keys()], ['c2']);
      assert.match(
        s.conflicts.join('\n'),
        /cluster c3 .*gives VXLAN VTEP 241\.30\.0\.2, the same as cluster c2's \(older\)/,
      );
      assert.match(
        s.conflicts.join('\n'),
        /cluster c4 .*VTEP 241\.30\.0\.1, the same as this gateway's \(private IP 172\.30\.0\.1\)/,
      );
      const tunnel = desiredState({ ...local, backend: 'libreswan' }, remotes);
      assert.deepEqual([...tunnel.cables.keys()].sort(), ['c2', 'c3', 'c4']);
    });
  });
});
