/** How a probe result changes the connection the engine reports. */
import assert from 'node:assert/strict';
import { ConnectionStatus } from '../../../src/generated/cabled/driver/v1/driver.js';
import { mergeProbe } from '../../../src/healthcheck/merge.js';
import type { ProbeResult } from '../../../src/healthcheck/probe-result.js';
import { makeConnection } from '../api/fake-view.js';

const rtt = { lastNs: 1, minNs: 1, averageNs: 1, maxNs: 1, stddevNs: 0 };
const probe = (state: ProbeResult['state'], message = ''): ProbeResult => ({
  ip: '10.2.0.1',
  state,
  message,
  rtt,
  lostInARow: 0,
});

describe('mergeProbe', () => {
  it('should leave a connection that is not probed as the driver reported it', () => {
    const c = makeConnection('cluster2');
    assert.equal(mergeProbe(c, undefined), c);
  });

  it('should attach the RTT statistics', () => {
    assert.deepEqual(mergeProbe(makeConnection('cluster2'), probe('connected')).latencyRtt, rtt);
  });

  it('should turn a connected connection whose probes are lost into error, with the probe message', () => {
    const m = mergeProbe(
      makeConnection('cluster2'),
      probe('error', 'Failed to successfully ping the remote endpoint IP "10.2.0.1"'),
    );
    assert.equal(m.status, ConnectionStatus.CONNECTION_STATUS_ERROR);
    assert.equal(m.statusMessage, 'Failed to successfully ping the remote endpoint IP "10.2.0.1"');
  });

  it('should keep connected while the probe state is unknown', () => {
    assert.equal(
      mergeProbe(makeConnection('cluster2'), probe('unknown', 'cannot probe')).status,
      ConnectionStatus.CONNECTION_STATUS_CONNECTED,
    );
  });

  it('should never turn a connection the driver reports in error or connecting into connected', () => {
    for (const status of [ConnectionStatus.CONNECTION_STATUS_ERROR, ConnectionStatus.CONNECTION_STATUS_CONNECTING]) {
      const m = mergeProbe(
        makeConnection('cluster2', { status, statusMessage: 'Child SA refused' }),
        probe('connected'),
      );
      assert.equal(m.status, status);
      assert.equal(m.statusMessage, 'Child SA refused');
    }
  });
});
