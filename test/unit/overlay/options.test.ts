/** Overlay options: Submariner defaults, and every bad value reported at once. */
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/lib/errors.js';
import { resolveOverlayOptions, VxlanOverlay } from '../../../src/overlay/index.js';
import type { NetlinkAdapter } from '../../../src/lib/netlink/index.js';

/** A netlink adapter that fails the test if anything reaches the kernel. */
const untouchable = new Proxy({} as NetlinkAdapter, {
  get: (_t, prop) => () => {
    throw new Error(`unexpected netlink call ${String(prop)}`);
  },
});

describe('overlay options', () => {
  it("should default to Submariner's VXLAN cable driver values", () => {
    const o = resolveOverlayOptions({ localIp: '172.18.0.8', port: 4500 });
    assert.deepEqual(o, {
      localIp: '172.18.0.8',
      port: 4500,
      deviceName: 'vxlan-tunnel',
      vni: 1000,
      vtepPrefix: 241,
      vtepPrefixLength: 8,
      mtuOverhead: 50,
      table: 100,
      rulePriority: 100,
      routeMetric: 100,
      rpFilter: 'loose',
      forwarding: true,
    });
  });

  it('should keep what the caller sets (transport mode: port 4789, bigger overhead)', () => {
    const o = resolveOverlayOptions({
      localIp: '172.18.0.8',
      port: 4789,
      mtuOverhead: 120,
      rpFilter: false,
      mtu: undefined,
    });
    assert.equal(o.port, 4789);
    assert.equal(o.mtuOverhead, 120);
    assert.equal(o.rpFilter, false);
    assert.equal(o.vni, 1000);
  });

  it('should list every bad option with its value and reason', () => {
    assert.throws(
      () =>
        resolveOverlayOptions({
          localIp: '10.0.0.300',
          port: 0,
          vni: 1 << 24,
          deviceName: 'a-name-that-is-too-long',
          table: 255,
          rulePriority: 0,
          mtu: 20,
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(
          err.issues.map((i) => i.key),
          ['localIp', 'port', 'deviceName', 'vni', 'mtu', 'table', 'rulePriority'],
        );
        assert.match(err.message, /localIp="10\.0\.0\.300": expected an IPv4 address/);
        assert.match(err.message, /table="255": expected a table 1-4294967295, not 253-255/);
        return true;
      },
    );
  });

  it('should reject a missing local IP or port', () => {
    assert.throws(
      () => resolveOverlayOptions({} as never),
      /localIp="": expected an IPv4 address; port="": expected a UDP port/,
    );
  });

  it('should validate in the constructor without touching the kernel', () => {
    assert.throws(() => new VxlanOverlay({ localIp: 'x', port: 4500 }, { netlink: untouchable }), ConfigError);
    assert.doesNotThrow(() => new VxlanOverlay({ localIp: '10.0.0.1', port: 4500 }, { netlink: untouchable }));
  });

  it('should reject a bad remote before any kernel call', async () => {
    const overlay = new VxlanOverlay({ localIp: '10.0.0.1', port: 4500 }, { netlink: untouchable });
    await assert.rejects(
      overlay.ensureRemote({ remoteIp: '10.0.0.2', remoteVtepSourceIp: '10.0.0.2', subnets: ['10.2.0.1/16'] }),
      /invalid subnet of remote 10\.0\.0\.2 "10\.2\.0\.1\/16": host bits are set; the network is 10\.2\.0\.0\/16/,
    );
    await assert.rejects(
      overlay.ensureRemote({ remoteIp: 'east', remoteVtepSourceIp: '10.0.0.2', subnets: [] }),
      /invalid remote IP \(remoteIp\) "east"/,
    );
    await assert.rejects(
      overlay.removeRemote({ remoteIp: '10.0.0.2', remoteVtepSourceIp: '' }),
      /invalid remote private IP/,
    );
  });
});
