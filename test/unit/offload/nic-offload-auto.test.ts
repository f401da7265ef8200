/**
 * ceIPSecNicOffload=auto in the libreswan driver: the interface routing to the
 * remote is looked up (route, then its recorded `ethtool -k` answer), and per
 * libreswan version auto becomes what whack is given.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needsNicCheck, resolveNicOffload } from '../../../drivers/libreswan/nic-offload.js';
import { nicOffloadFor, parseVersion, type LibreswanVersion, type NicOffload } from '../../../src/lib/whack/index.js';
import { offloadTowards } from '../../../src/offload/index.js';
import { fixture } from '../../../lab/fs-helpers.js';

const v = (text: string): LibreswanVersion => {
  const parsed = parseVersion(text);
  assert.ok(parsed);
  return parsed;
};
const V4 = v('Libreswan 4.10');
const V5 = v('Libreswan 5.2');
/** What whack finally gets for one remote: the driver's decision, then the per-version mapping. */
const whackValue = (configured: NicOffload, version: LibreswanVersion, capable: boolean): string | undefined => {
  const chosen = resolveNicOffload(configured, version, capable);
  return chosen === undefined ? undefined : nicOffloadFor(version, chosen, { mode: 'tunnel', encaps: false }).value;
};

describe('nic-offload auto', () => {
  it('should give libreswan 5 crypto when the NIC towards the remote offloads ESP, and leave it out (no) otherwise', () => {
    assert.equal(whackValue('auto', V5, true), 'crypto');
    assert.equal(whackValue('auto', V5, false), undefined);
  });
  it('should pass auto to libreswan 4, whose pluto decides itself', () => {
    assert.equal(whackValue('auto', V4, false), 'auto');
    assert.equal(needsNicCheck('auto', V4), false);
  });
  it('should leave explicit values alone and only look up the NIC for auto on 5.x', () => {
    assert.equal(resolveNicOffload('yes', V5, false), 'yes');
    assert.equal(resolveNicOffload(undefined, V5, true), undefined);
    assert.deepEqual(
      [needsNicCheck('auto', V5), needsNicCheck('crypto', V5), needsNicCheck(undefined, V5)],
      [true, false, false],
    );
  });
});

describe('offloadTowards', () => {
  const links: Record<number, string> = { 2: 'ens1f0np0', 3: 'br-ex' };
  const answers: Record<string, string> = { ens1f0np0: 'mlx5-cx6dx-esp-on.txt', 'br-ex': 'veth.txt' };
  const netlink = {
    routeTo: async (ip: string) =>
      ip.startsWith('172.18.') ? { oif: 2, table: 254 } : ip.startsWith('10.') ? { oif: 3, table: 254 } : undefined,
    getLink: async (ref: string | number) =>
      typeof ref === 'number' && links[ref] ? { index: ref, name: links[ref], up: true, mtu: 1500 } : undefined,
  };
  const probe = {
    readFeatures: async (ifname: string) => readFileSync(fixture('ethtool', answers[ifname] ?? 'veth.txt'), 'utf8'),
  };

  it('should judge the interface the route to the remote uses', async () => {
    assert.deepEqual(await offloadTowards('172.18.0.7', netlink, probe), {
      ifname: 'ens1f0np0',
      capable: true,
      possible: false,
      enabled: ['esp-hw-offload', 'tx-esp-segmentation', 'esp-tx-csum-hw-offload'],
    });
    assert.equal(
      (await offloadTowards('10.0.0.1', netlink, probe))?.capable,
      false,
      'a bridge on the path reports no ESP offload',
    );
  });
  it('should answer undefined when there is no route', async () => {
    assert.equal(await offloadTowards('192.0.2.1', netlink, probe), undefined);
  });
});
