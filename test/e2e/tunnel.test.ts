/**
 * End to end on a stock Debian kernel (booted once under qemu/TCG, see
 * test/e2e/harness): two gateways in two namespaces, one real cabled engine
 * each with the libreswan driver in tunnel mode (Submariner's default), own
 * pluto per namespace. Fails (never skips) when the guest cannot boot.
 */
import assert from 'node:assert/strict';
import { bootGuest, type BootOutcome } from './harness/vm.js';
import { figuresReport, scenario, timingReport } from './harness/report.js';

describe('e2e on a stock kernel: libreswan tunnel mode (qemu, root)', function () {
  this.timeout(900000);
  let boot: BootOutcome | undefined;

  before(async function () {
    boot = await bootGuest({ name: 'tunnel', job: { scenarios: ['tunnel'], perf: true, failClosed: false }, timeoutMs: 840000 });
    console.log(timingReport(boot));
    for (const n of boot.result.scenarios.flatMap((s) => s.notes)) console.log(`  note: ${n}`);
  });

  it('should carry a ping between the two cluster subnets through the tunnel, both ways', () => {
    const s = scenario(boot, 'tunnel');
    for (const p of s.pings) assert.ok(p.received >= p.transmitted - 1, `ping ${p.from} -> ${p.to}: ${p.received}/${p.transmitted} received`);
  });

  it('should show only ESP (or ESP-in-UDP) on the underlay, never clear ICMP between 10.1/16 and 10.2/16', () => {
    const s = scenario(boot, 'tunnel');
    assert.ok(s.wire);
    assert.equal(s.wire.clearIcmpSubnets, 0, `clear ICMP between the subnets: ${JSON.stringify(s.wirePerEnd)}`);
    assert.ok(s.wire.esp + s.wire.espInUdp > 0, `no ESP: ${JSON.stringify(s.wire)}`);
    assert.equal(s.wire.clearVxlan, 0);
  });

  it('should show the cable connected in cablectl with its tunnel SA established and bytes counted', () => {
    const s = scenario(boot, 'tunnel');
    const last = s.connections.at(-1);
    assert.equal(last?.status, 'CONNECTION_STATUS_CONNECTED', last?.statusMessage);
    assert.ok(last.sas.length >= 1 && last.sas.every((x) => x.state === 'SA_STATE_ESTABLISHED'), JSON.stringify(last.sas));
    assert.ok(last.rxBytes > 0 && last.txBytes > 0, `rx ${last.rxBytes} tx ${last.txBytes}`);
    assert.match(s.xfrmState ?? '', /mode tunnel/);
  });

  it('should measure iperf3 throughput through tunnel-mode ESP (printed)', () => {
    assert.ok(boot);
    console.log(figuresReport(boot));
    const r = boot.result.scenarios.flatMap((s) => s.iperf).find((x) => x.path === 'tunnel-mode ESP');
    assert.ok(r && r.mbps > 0, JSON.stringify(r));
  });
});
