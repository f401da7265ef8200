/**
 * End to end on a stock Debian kernel (booted once under qemu/TCG, see
 * test/e2e/harness): two gateways in two namespaces, one real cabled engine
 * each. Scenarios in this boot: VXLAN over libreswan transport-mode ESP (own
 * pluto per namespace), its fail-closed behaviour with one pluto stopped, and
 * the negative control: the same capture check on the plain VXLAN driver,
 * which must see clear VXLAN. Fails (never skips) when the guest cannot boot.
 */
import assert from 'node:assert/strict';
import { bootGuest, type BootOutcome } from './harness/vm.js';
import { figuresReport, scenario, timingReport } from './harness/report.js';

describe('e2e on a stock kernel: VXLAN over transport-mode ESP, and plain VXLAN as the negative control (qemu, root)', function () {
  this.timeout(1900000);
  let boot: BootOutcome | undefined;

  before(async function () {
    boot = await bootGuest({
      name: 'vxlan-transport',
      job: {
        // The CI matrix (scripts/libreswan-matrix.sh) boots once more under libreswan 5.4 for the
        // transport scenario only: CABLED_E2E_SCENARIOS=transport.
        scenarios: process.env.CABLED_E2E_SCENARIOS === 'transport' ? ['transport'] : ['transport', 'vxlan'],
        perf: true,
        failClosed: true,
        restart: true,
        plutoKill: true,
        peerRestart: true,
      },
      timeoutMs: 1800000,
    });
    console.log(timingReport(boot));
  });

  describe('VXLAN over transport mode (libreswan driver, own pluto per namespace)', () => {
    it('should run the libreswan it was meant to (whack --version in the guest)', () => {
      const want = process.env.CABLED_LIBRESWAN_VERSION;
      assert.match(
        boot?.result.libreswan ?? '',
        want ? new RegExp(`^Libreswan ${want.replace('.', '\\.')}\\b`) : /^Libreswan \d/,
      );
    });

    it('should carry a ping between the two cluster subnets across the encrypted overlay, both ways', () => {
      const s = scenario(boot, 'transport');
      for (const p of s.pings)
        assert.ok(
          p.received >= p.transmitted - 1,
          `ping ${p.from} -> ${p.to}: ${p.received}/${p.transmitted} received`,
        );
    });

    it('should never put clear VXLAN (UDP/4789) on the wire, from the very first packet; only ESP or ESP-in-UDP', () => {
      const s = scenario(boot, 'transport');
      assert.ok(s.wire);
      assert.equal(s.wire.clearVxlan, 0, `clear VXLAN packets: ${JSON.stringify(s.wirePerEnd)}`);
      assert.ok(s.wire.esp + s.wire.espInUdp > 0, `no ESP on the wire: ${JSON.stringify(s.wire)}`);
    });

    it('should show the cable connected in cablectl, with both SAs of the pair established and rx/tx bytes growing', () => {
      const s = scenario(boot, 'transport');
      const [first, second] = s.connections;
      assert.ok(first && second, 'two cablectl readings');
      for (const r of [first, second]) {
        assert.equal(r.status, 'CONNECTION_STATUS_CONNECTED', r.statusMessage);
        for (const half of ['-0', '-1']) {
          const sa = r.sas.find((x) => x.name.endsWith(half));
          assert.equal(sa?.state, 'SA_STATE_ESTABLISHED', `SA ${half}: ${JSON.stringify(sa)}`);
        }
      }
      assert.ok(second.rxBytes > 0, `rx bytes ${second.rxBytes}`);
      assert.ok(second.txBytes > 0, `tx bytes ${second.txBytes}`);
      assert.ok(
        second.rxBytes > first.rxBytes && second.txBytes > first.txBytes,
        `bytes grew between readings: rx ${first.rxBytes} -> ${second.rxBytes}, tx ${first.txBytes} -> ${second.txBytes}`,
      );
    });

    it('should leave UDP to another port (5555) in the clear: the selectors are port-specific', () => {
      const s = scenario(boot, 'transport');
      assert.ok(s.wire && s.wire.clearUdp5555 >= 1, `clear UDP/5555: ${JSON.stringify(s.wire)}`);
    });

    it('should lose no packet of a 20/s ping while the engine is killed (SIGKILL) and started again, and renegotiate nothing', () => {
      const r = scenario(boot, 'transport').restart;
      assert.ok(r, 'the restart phase ran');
      assert.ok(r.ping.transmitted >= 200, `pings sent: ${r.ping.transmitted}`);
      assert.equal(
        r.ping.received,
        r.ping.transmitted,
        `lost ${r.ping.transmitted - r.ping.received} of ${r.ping.transmitted}`,
      );
      assert.equal(r.plutoPidAfter, r.plutoPidBefore, 'the same pluto (adopted by the restarted driver)');
      assert.ok(r.spisBefore.length > 0, 'SAs before the restart');
      assert.deepEqual(r.spisAfter, r.spisBefore, 'the same SPIs: no SA renegotiated');
      console.log(
        `  engine restart: back in sync after ${r.backInSyncS.toFixed(1)} s; ${r.ping.received}/${r.ping.transmitted} pings`,
      );
    });

    it('should bring the connections back by itself when pluto is killed, and say how long it took', () => {
      const k = scenario(boot, 'transport').plutoKill;
      assert.ok(k, 'the pluto-kill phase ran');
      assert.notEqual(k.pidAfter, k.pidBefore, 'a new pluto');
      assert.ok(
        k.pingAfter.received >= k.pingAfter.transmitted - 1,
        `ping after recovery: ${k.pingAfter.received}/${k.pingAfter.transmitted}`,
      );
      console.log(`  pluto killed: a new pluto and the cable connected again after ${k.recoveredS.toFixed(1)} s (TCG)`);
    });

    it("should bring the connection back on both sides when the peer gateway's engine and pluto are restarted, and say how long it took", () => {
      const r = scenario(boot, 'transport').peerRestart;
      assert.ok(r, 'the peer-restart phase ran');
      assert.notEqual(r.pidAfter, r.pidBefore, 'a new pluto on the restarted gateway');
      assert.ok(r.pingAtoB.received >= r.pingAtoB.transmitted - 1, `ping A -> B after: ${JSON.stringify(r.pingAtoB)}`);
      assert.ok(r.pingBtoA.received >= r.pingBtoA.transmitted - 1, `ping B -> A after: ${JSON.stringify(r.pingBtoA)}`);
      assert.notDeepEqual(r.spisAfter, r.spisBefore, 'new SAs: the new pluto could not have kept the old ones');
      console.log(
        `  peer restarted: its cable connected after ${r.bConnectedS.toFixed(1)} s, both sides after ${r.bothConnectedS.toFixed(1)} s (TCG)`,
      );
    });

    it('should pass a DF ping of the largest size the overlay MTU allows, and refuse one byte more locally (message too long)', () => {
      const m = scenario(boot, 'transport').mtu;
      assert.ok(m, 'the MTU phase ran');
      assert.equal(
        m.mtu,
        1500 - 95,
        'VXLAN device MTU = underlay - 50 (VXLAN) - 37 (ESP, AES-GCM) - 8 (UDP encapsulation)',
      );
      assert.ok(m.fits.received >= 1, `DF ping of ${m.mtu - 28} bytes: ${m.fits.received}/${m.fits.transmitted}`);
      assert.equal(m.tooBig.received, 0);
      assert.match(m.tooBigOutput, /message too long/i, 'refused locally, not dropped on the way');
    });

    it('should run iperf3 over the transport overlay without a retransmission storm', () => {
      const r = scenario(boot, 'transport').iperf.find((x) => x.path === 'VXLAN over transport ESP');
      assert.ok(r && r.mbps > 0, `iperf3 ran: ${JSON.stringify(r)}`);
      // TCG makes timing noisy (plain VXLAN sees a few hundred here); a too-large MTU showed thousands.
      assert.ok(r.retransmits >= 0 && r.retransmits < 1000, `retransmits in 5 s: ${r.retransmits}`);
    });

    it('should install transport-mode SAs in the kernel (ip xfrm state)', () => {
      const s = scenario(boot, 'transport');
      assert.match(s.xfrmState ?? '', /mode transport/);
      assert.doesNotMatch(s.xfrmState ?? '', /mode tunnel/);
    });

    it("should drop VXLAN, never send it in clear, while one side's pluto is stopped and its SAs are gone (fail closed)", () => {
      const s = scenario(boot, 'transport');
      const fc = s.failClosed;
      assert.ok(fc, 'the fail-closed phase ran');
      // Only meaningful when the tunnel carried traffic before pluto was stopped.
      assert.ok(
        s.pings.every((p) => p.received > 0),
        `the data path did not work before pluto was stopped: ${JSON.stringify(s.pings)}`,
      );
      assert.equal(fc.wire.clearVxlan, 0, `clear VXLAN while pluto was stopped: ${JSON.stringify(fc.wire)}`);
      assert.equal(fc.pingAtoB.received + fc.pingBtoA.received, 0, `pings got through: ${JSON.stringify(fc)}`);
    });
  });

  describe('plain VXLAN driver (no IPsec): the negative control', () => {
    it('should carry a ping between the two cluster subnets over the plain overlay', () => {
      const s = scenario(boot, 'vxlan');
      for (const p of s.pings)
        assert.ok(
          p.received >= p.transmitted - 1,
          `ping ${p.from} -> ${p.to}: ${p.received}/${p.transmitted} received`,
        );
    });

    it('should show clear VXLAN (UDP/4789) to the same capture check, so the check is known to be able to fail', () => {
      const s = scenario(boot, 'vxlan');
      assert.ok(s.wire && s.wire.clearVxlan > 0, `clear VXLAN packets: ${JSON.stringify(s.wire)}`);
      assert.equal(s.wire.esp + s.wire.espInUdp, 0);
    });
  });

  it('should measure iperf3 throughput: plain veth, plain VXLAN, VXLAN over transport ESP (printed)', () => {
    assert.ok(boot);
    console.log(figuresReport(boot));
    const paths = boot.result.scenarios.flatMap((s) => s.iperf);
    for (const p of ['plain veth', 'plain VXLAN', 'VXLAN over transport ESP']) {
      const r = paths.find((x) => x.path === p);
      assert.ok(r && r.mbps > 0, `${p}: ${JSON.stringify(r)}`);
    }
  });
});
