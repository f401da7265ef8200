/**
 * The ping prober with the real iputils `ping`: answers from loopback give
 * RTTs and `connected`; a target ping cannot use makes it exit, and the
 * prober says so (`unknown`, with ping's reason) and keeps retrying.
 */
import assert from 'node:assert/strict';
import { PingProcess, pingArgs } from '../../../src/healthcheck/pinger.js';
import { waitFor } from '../../../lab/netns.js';

describe('PingProcess (real ping)', () => {
  let pinger: PingProcess | undefined;
  afterEach(() => pinger?.stop());

  it('should build ping arguments from the options', () => {
    assert.deepEqual(pingArgs({ ip: '10.2.0.1', intervalMs: 1000, sourceIp: '10.1.0.1' }), [
      '-n',
      '-O',
      '-i',
      '1',
      '-W',
      '1',
      '-I',
      '10.1.0.1',
      '10.2.0.1',
    ]);
    assert.deepEqual(pingArgs({ ip: '10.2.0.1', intervalMs: 200, sourceIp: '' }), [
      '-n',
      '-O',
      '-i',
      '0.2',
      '-W',
      '1',
      '10.2.0.1',
    ]);
  });

  it('should report connected with RTT statistics when loopback answers', async () => {
    let changes = 0;
    pinger = new PingProcess({
      ip: '127.0.0.1',
      intervalMs: 200,
      maxPacketLossCount: 3,
      sourceIp: '',
      onChange: () => changes++,
    }).start();
    await waitFor(
      'two answers',
      async () => (pinger!.result().rtt?.minNs ?? 0) > 0 && pinger!.result().rtt!.maxNs >= pinger!.result().rtt!.minNs,
      5000,
      50,
    );
    assert.equal(pinger.result().state, 'connected');
    assert.ok(changes >= 1);
  });

  it('should say why when ping cannot run, and try again', async () => {
    let changes = 0;
    pinger = new PingProcess({
      ip: '256.0.0.1',
      intervalMs: 200,
      maxPacketLossCount: 3,
      sourceIp: '',
      retryMs: 50,
      onChange: () => changes++,
    }).start();
    await waitFor('ping to fail', async () => pinger!.result().message.includes('ping exited'), 5000, 50);
    const r = pinger.result();
    assert.equal(r.state, 'unknown');
    assert.match(r.message, /^cannot probe 256\.0\.0\.1: ping exited with code 2: 256\.0\.0\.1: .*; retrying$/);
    await waitFor('ping started again', async () => pinger!.starts >= 3, 5000, 50);
    assert.equal(changes, 1, 'the same failure again is no change');
  });
});
