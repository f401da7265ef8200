/**
 * Traffic across the overlay: two namespaces ("gateways") joined by a veth
 * pair, the overlay on both, then pings between their 241.x VTEPs and between
 * "cluster subnet" addresses on lo (10.1.0.1 in one, 10.2.0.1 in the other),
 * which only succeed through the FDB entries, table-100 routes and the rule.
 */
import assert from 'node:assert/strict';
import type { VxlanOverlayOptions } from '../../../src/overlay/index.js';
import { canUseNetns, connectVeth, createNetns, deleteNetns, ip, nsExec, nsName, waitFor } from '../../../lab/netns.js';
import { inNetns, ov } from './in-netns.js';

const WEST = { privateIp: '192.168.240.1', clusterIp: '10.1.0.1', subnet: '10.1.0.0/16' };
const EAST = { privateIp: '192.168.240.2', clusterIp: '10.2.0.1', subnet: '10.2.0.0/16' };

/** True when one ping from `ns` (optionally from `source`) to `dst` gets an answer within a second. */
async function pings(ns: string, dst: string, source?: string): Promise<boolean> {
  try {
    await nsExec(ns, 'ping', ['-n', '-c', '1', '-W', '1', ...(source ? ['-I', source] : []), dst]);
    return true;
  } catch {
    return false;
  }
}

describe('VXLAN overlay traffic between two namespaces', function () {
  const west = nsName('west');
  const east = nsName('east');
  const options = (side: typeof WEST): VxlanOverlayOptions => ({ localIp: side.privateIp, port: 4500 });

  before(async function () {
    if (!canUseNetns()) this.skip();
    await Promise.all([deleteNetns(west), deleteNetns(east)]);
    await Promise.all([createNetns(west), createNetns(east)]);
    await connectVeth(
      { ns: west, name: 'eth0', cidr: `${WEST.privateIp}/24` },
      { ns: east, name: 'eth0', cidr: `${EAST.privateIp}/24` },
    );
    await ip(west, 'addr', 'add', `${WEST.clusterIp}/32`, 'dev', 'lo');
    await ip(east, 'addr', 'add', `${EAST.clusterIp}/32`, 'dev', 'lo');
    for (const [ns, local, remote] of [
      [west, WEST, EAST],
      [east, EAST, WEST],
    ] as const) {
      await inNetns(
        ns,
        [
          ov('ensureDevice'),
          ov('ensureRemote', {
            remoteIp: remote.privateIp,
            remoteVtepSourceIp: remote.privateIp,
            subnets: [remote.subnet],
          }),
        ],
        options(local),
      );
    }
  });

  after(async () => {
    if (canUseNetns()) await Promise.all([deleteNetns(west), deleteNetns(east)]);
  });

  it('should carry pings between the VTEP addresses', async () => {
    await waitFor('ping west -> east VTEP 241.168.240.2', () => pings(west, '241.168.240.2'), 10000);
    assert.ok(await pings(east, '241.168.240.1'));
  });

  it('should carry pings between cluster-subnet addresses through table 100', async () => {
    await waitFor(
      `ping ${WEST.clusterIp} -> ${EAST.clusterIp}`,
      () => pings(west, EAST.clusterIp, WEST.clusterIp),
      10000,
    );
    assert.ok(await pings(east, WEST.clusterIp, EAST.clusterIp));
  });

  it('should stop carrying them once the remote is removed on one side', async () => {
    await inNetns(
      west,
      [ov('removeRemote', { remoteIp: EAST.privateIp, remoteVtepSourceIp: EAST.privateIp })],
      options(WEST),
    );
    assert.equal(await pings(west, EAST.clusterIp, WEST.clusterIp), false);
  });
});
