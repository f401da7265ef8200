/**
 * ESP offload detection on recorded `ethtool -k` answers: capable NICs
 * (mlx5 ConnectX-6 Dx, ixgbe 82599), the same NIC with offload turned off,
 * a refused request, and a veth (off [fixed]).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { capableInterfaces, detectEspOffload, espOffloadOf, parseEthtoolFeatures } from '../../../src/offload/index.js';
import { fixture } from '../../../lab/fs-helpers.js';

const recorded = (name: string): string => readFileSync(fixture('ethtool', name), 'utf8');
const offload = (name: string) => espOffloadOf('eth0', parseEthtoolFeatures(recorded(name)));

describe('parseEthtoolFeatures', () => {
  it('should read on/off, [fixed], [requested on] and indented sub-features', () => {
    const f = parseEthtoolFeatures(recorded('ixgbe-82599-esp-requested.txt'));
    assert.deepEqual(f.get('esp-hw-offload'), { on: false, fixed: false, requested: true });
    assert.deepEqual(f.get('esp-tx-csum-hw-offload'), { on: false, fixed: true });
    assert.deepEqual(f.get('tx-checksum-ip-generic'), { on: true, fixed: false });
    assert.equal(f.has('Features for enp3s0f1'), false);
  });
});

describe('espOffloadOf', () => {
  it('should call a ConnectX-6 Dx with esp-hw-offload on capable, listing the three ESP features', () => {
    assert.deepEqual(offload('mlx5-cx6dx-esp-on.txt'), {
      ifname: 'eth0',
      capable: true,
      possible: false,
      enabled: ['esp-hw-offload', 'tx-esp-segmentation', 'esp-tx-csum-hw-offload'],
    });
  });
  it('should call an ixgbe with ESP offload but no ESP checksum offload capable', () => {
    assert.deepEqual(offload('ixgbe-82599-esp-on.txt'), {
      ifname: 'eth0',
      capable: true,
      possible: false,
      enabled: ['esp-hw-offload', 'tx-esp-segmentation'],
    });
  });
  it('should call the same NIC with esp-hw-offload turned off not capable, but possible', () => {
    assert.deepEqual(offload('mlx5-cx6dx-esp-off.txt'), {
      ifname: 'eth0',
      capable: false,
      possible: true,
      enabled: [],
    });
  });
  it('should not trust a request the device refused', () => {
    assert.equal(offload('ixgbe-82599-esp-requested.txt').capable, false);
  });
  it('should call a veth (off [fixed]) neither capable nor possible', () => {
    assert.deepEqual(offload('veth.txt'), { ifname: 'eth0', capable: false, possible: false, enabled: [] });
  });
  it('should call an interface without the features (old ethtool) not capable', () => {
    assert.deepEqual(espOffloadOf('x', parseEthtoolFeatures('Features for x:\nrx-checksumming: on\n')), {
      ifname: 'x',
      capable: false,
      possible: false,
      enabled: [],
    });
  });
});

describe('detectEspOffload', () => {
  const answers: Record<string, string> = {
    ens1f0np0: 'mlx5-cx6dx-esp-on.txt',
    ens1f1np1: 'mlx5-cx6dx-esp-off.txt',
    veth0: 'veth.txt',
    lo: 'veth.txt',
  };
  const probe = (fail: Record<string, Error> = {}) => ({
    listLinks: async () => [...Object.keys(answers), ...Object.keys(fail)],
    readFeatures: async (ifname: string) => {
      if (fail[ifname]) throw fail[ifname];
      return recorded(answers[ifname] ?? 'veth.txt');
    },
  });

  it('should check every link and name the capable ones', async () => {
    const report = await detectEspOffload(probe());
    assert.deepEqual(
      report.interfaces.map((i) => i.ifname),
      ['ens1f0np0', 'ens1f1np1', 'lo', 'veth0'],
    );
    assert.deepEqual(capableInterfaces(report), ['ens1f0np0']);
    assert.deepEqual(report.errors, []);
  });

  it('should skip a link that vanished and report any other failure for that link alone', async () => {
    const report = await detectEspOffload(
      probe({
        gone0: new Error('ethtool -k gone0: exit code 1: netlink error: No such device'),
        odd0: new Error('ethtool -k odd0: timed out after 5000 ms'),
      }),
    );
    assert.deepEqual(capableInterfaces(report), ['ens1f0np0']);
    assert.deepEqual(report.errors, [{ ifname: 'odd0', error: 'ethtool -k odd0: timed out after 5000 ms' }]);
  });
});
