/** The health checker starts, keeps and stops one prober per endpoint with a health-check IP (fake probers). */
import assert from 'node:assert/strict';
import { HealthChecker, probeTargets } from '../../../src/healthcheck/health-checker.js';
import type { Pinger, PingerOptions } from '../../../src/healthcheck/pinger.js';
import type { ProbeResult } from '../../../src/healthcheck/probe-result.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { makeConnection } from '../api/fake-view.js';

class FakePinger implements Pinger {
  stopped = false;
  state: ProbeResult['state'] = 'unknown';
  rtt: ProbeResult['rtt'];
  constructor(readonly options: PingerOptions) {}
  result(): ProbeResult {
    return { ip: this.options.ip, state: this.state, message: '', rtt: this.rtt, lostInARow: 0 };
  }
  stop(): void {
    this.stopped = true;
  }
}

function checker(latencyRefreshMs?: number) {
  const started: FakePinger[] = [];
  const hc = new HealthChecker({
    latencyRefreshMs,
    intervalMs: 1000,
    maxPacketLossCount: 5,
    sourceIp: '10.1.0.1',
    logger: silentLogger(),
    createPinger: (o) => {
      const p = new FakePinger(o);
      started.push(p);
      return p;
    },
  });
  return { hc, started };
}

describe('HealthChecker', () => {
  it('should probe only endpoints that have a health-check IP', () => {
    const a = makeConnection('cluster2').endpoint!;
    const b = { ...makeConnection('cluster3').endpoint!, healthCheckIp: '10.3.0.1' };
    assert.deepEqual(probeTargets([a, b]), [{ cableName: b.cableName, ip: '10.3.0.1' }]);
  });

  it('should start one prober per target with the configured interval, loss count and source', () => {
    const { hc, started } = checker();
    hc.setTargets([
      { cableName: 'c2', ip: '10.2.0.1' },
      { cableName: 'c3', ip: '10.3.0.1' },
    ]);
    assert.deepEqual(
      started.map((p) => [p.options.ip, p.options.intervalMs, p.options.maxPacketLossCount, p.options.sourceIp]),
      [
        ['10.2.0.1', 1000, 5, '10.1.0.1'],
        ['10.3.0.1', 1000, 5, '10.1.0.1'],
      ],
    );
    assert.equal(hc.result('c2')?.ip, '10.2.0.1');
    assert.equal(hc.result('c9'), undefined);
  });

  it('should keep probers of unchanged targets, stop removed ones and restart one whose IP changed', () => {
    const { hc, started } = checker();
    hc.setTargets([
      { cableName: 'c2', ip: '10.2.0.1' },
      { cableName: 'c3', ip: '10.3.0.1' },
    ]);
    hc.setTargets([
      { cableName: 'c2', ip: '10.2.0.1' },
      { cableName: 'c3', ip: '10.3.0.9' },
    ]);
    assert.deepEqual(
      started.map((p) => [p.options.ip, p.stopped]),
      [
        ['10.2.0.1', false],
        ['10.3.0.1', true],
        ['10.3.0.9', false],
      ],
    );
    hc.setTargets([]);
    assert.ok(started.every((p) => p.stopped));
    assert.equal(hc.result('c2'), undefined);
  });

  it('should tell subscribers when a prober reports a change, and when targets change', () => {
    const { hc, started } = checker();
    let calls = 0;
    const off = hc.subscribe(() => calls++);
    hc.setTargets([{ cableName: 'c2', ip: '10.2.0.1' }]);
    assert.equal(calls, 1);
    started[0]!.state = 'error';
    started[0]!.options.onChange();
    assert.equal(calls, 2);
    assert.equal(hc.result('c2')?.state, 'error');
    off();
    started[0]!.options.onChange();
    assert.equal(calls, 2);
  });

  it('should pass on new RTT samples that changed no state, once per refresh interval, and nothing while none arrive', async () => {
    const { hc, started } = checker(30);
    let calls = 0;
    hc.subscribe(() => calls++);
    hc.setTargets([{ cableName: 'c2', ip: '10.2.0.1' }]);
    const pause = async (ms: number) => new Promise((r) => setTimeout(r, ms));
    calls = 0;
    started[0]!.state = 'connected';
    started[0]!.rtt = { lastNs: 900e6, minNs: 900e6, averageNs: 900e6, maxNs: 900e6, stddevNs: 0 };
    await waitUntil(() => calls === 1);
    assert.equal(hc.result('c2')?.rtt?.lastNs, 900e6);
    // The same statistics (no new sample): nothing more over several intervals.
    await pause(150);
    assert.equal(calls, 1);
    started[0]!.rtt = { lastNs: 40e3, minNs: 40e3, averageNs: 450e6, maxNs: 900e6, stddevNs: 450e6 };
    await waitUntil(() => calls === 2);
    hc.stop();
    started[0]!.rtt = { ...started[0]!.rtt };
    await pause(150);
    assert.equal(calls, 2, 'nothing after stop');
  });
});

async function waitUntil(cond: () => boolean, ceilingMs = 5000): Promise<void> {
  const end = Date.now() + ceilingMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
