/** VTEP address derivation and overlay MTU arithmetic. */
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../../src/lib/errors.js';
import { overlayMtu, vtepCidrFor, vtepIpFor } from '../../../src/overlay/index.js';

describe('overlay VTEP addresses', () => {
  it('should replace the first octet of the private IP with 241', () => {
    assert.equal(vtepIpFor('172.18.0.8'), '241.18.0.8');
    assert.equal(vtepIpFor('10.0.0.1'), '241.0.0.1');
    assert.equal(vtepIpFor('192.168.250.254'), '241.168.250.254');
  });

  it('should put the VTEP on the device as a /8', () => {
    assert.equal(vtepCidrFor('172.18.0.8'), '241.18.0.8/8');
  });

  it('should take another prefix and prefix length when given', () => {
    assert.equal(vtepIpFor('172.18.0.8', 240), '240.18.0.8');
    assert.equal(vtepCidrFor('172.18.0.8', 242, 16), '242.18.0.8/16');
  });

  for (const bad of ['', '10.0.0', '10.0.0.256', '10.0.0.01', 'a.b.c.d', '10.0.0.1/8', ' 10.0.0.1']) {
    it(`should reject the private IP ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => vtepIpFor(bad),
        (err: unknown) => err instanceof InvalidArgumentError && /invalid private IP/.test(err.message),
      );
    });
  }

  for (const bad of [0, 127, 256, 1.5, Number.NaN]) {
    it(`should reject the VTEP prefix ${bad}`, () => {
      assert.throws(() => vtepIpFor('10.0.0.1', bad), InvalidArgumentError);
    });
  }

  it('should reject a prefix length outside 1-32', () => {
    assert.throws(() => vtepCidrFor('10.0.0.1', 241, 0), /invalid VTEP prefix length 0/);
    assert.throws(() => vtepCidrFor('10.0.0.1', 241, 33), /invalid VTEP prefix length 33/);
  });
});

describe('overlay MTU', () => {
  it('should be the underlay MTU minus 50 by default', () => {
    assert.equal(overlayMtu(1500), 1450);
    assert.equal(overlayMtu(9001), 8951);
  });

  it('should subtract another overhead when given (e.g. VXLAN inside ESP)', () => {
    assert.equal(overlayMtu(1500, 120), 1380);
    assert.equal(overlayMtu(1500, 0), 1500);
  });

  it('should reject a result below the IPv4 minimum of 68', () => {
    assert.throws(() => overlayMtu(100), /underlay MTU 100 minus overhead 50 leaves 50, below the IPv4 minimum 68/);
  });

  it('should reject impossible inputs', () => {
    assert.throws(() => overlayMtu(0), /invalid underlay MTU 0/);
    assert.throws(() => overlayMtu(1500.5), /invalid underlay MTU/);
    assert.throws(() => overlayMtu(70000), /invalid underlay MTU 70000/);
    assert.throws(() => overlayMtu(1500, -1), /invalid MTU overhead -1/);
  });
});
