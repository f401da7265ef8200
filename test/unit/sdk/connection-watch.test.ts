/** WatchConnections' refreshes: one after a burst of batches, not one per batch (issue 15, P2). */
import assert from 'node:assert/strict';
import { type Connection, ConnectionStatus } from '../../../src/generated/cabled/driver/v1/driver.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { ConnectionWatch } from '../../../src/sdk/connection-watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function connection(name: string): Connection {
  return {
    endpoint: { cableName: name } as Connection['endpoint'],
    status: ConnectionStatus.CONNECTION_STATUS_CONNECTED,
    statusMessage: 'installed',
    usingIp: '10.0.0.2',
    usingNat: false,
    establishedUnixMs: 1,
    latencyRttNs: 0,
    sas: [],
    rxBytes: 0,
    txBytes: 0,
  } as Connection;
}

describe('connection watch (no driver, a counted fetch)', () => {
  it('should refresh once after a burst of held batches, and report what the burst changed', async () => {
    let fetches = 0;
    let installed: Connection[] = [];
    const watch = new ConnectionWatch(
      async () => {
        fetches++;
        return installed;
      },
      silentLogger(),
      60000,
      30,
    );
    const seen: string[] = [];
    await watch.subscribe((events) => {
      for (const e of events) seen.push(e.connection?.endpoint?.cableName ?? '?');
    });
    assert.equal(fetches, 1); // the snapshot
    for (let batch = 0; batch < 10; batch++) {
      const release = watch.hold();
      installed = [...installed, connection(`cable-${batch}`)];
      await sleep(1);
      void watch.poke(); // what the interval or another call would do meanwhile
      release();
      await sleep(5); // the next batch comes before the watch settles
    }
    assert.equal(fetches, 1);
    for (let i = 0; i < 200 && fetches < 2; i++) await sleep(5);
    assert.equal(fetches, 2);
    assert.equal(seen.length, 10);
    await sleep(60);
    assert.equal(fetches, 2);
    watch.close();
  });

  it('should wait after a burst at least twice as long as the last refresh took, when that is longer', async () => {
    let fetches = 0;
    const watch = new ConnectionWatch(
      async () => {
        fetches++;
        await sleep(80); // a refresh that reads many cables
        return [];
      },
      silentLogger(),
      60000,
      10,
    );
    await watch.subscribe(() => undefined); // the first refresh: >= 80 ms
    assert.equal(fetches, 1);
    const released = performance.now();
    watch.hold()();
    for (let i = 0; i < 400 && fetches < 2; i++) await sleep(5);
    assert.equal(fetches, 2);
    // Not after the 10 ms settle time: after 2 x the last refresh's >= 80 ms (a slow machine only adds).
    assert.ok(performance.now() - released >= 150, `refreshed ${(performance.now() - released).toFixed(0)} ms after`);
    watch.close();
  });

  it('should wait twice as long after each refresh that finds nothing, up to the most, and briefly again after a change', async () => {
    const times: number[] = [];
    let installed = [connection('cable-a')];
    const watch = new ConnectionWatch(
      async () => {
        times.push(performance.now());
        return installed;
      },
      silentLogger(),
      30,
      10,
      240,
    );
    await watch.subscribe(() => undefined); // finds cable-a: a change
    while (times.length < 5) await sleep(5);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Timers never fire early: each wait is at least what was planned (a busy machine only adds).
    for (const [i, least] of [30, 60, 120, 240].entries())
      assert.ok(gaps[i]! >= least - 2, `wait ${i + 1}: ${gaps[i]!.toFixed(0)} ms, planned ${least}`);
    installed = [connection('cable-b')];
    const seen = times.length;
    while (times.length < seen + 2) await sleep(5); // the refresh that finds the change, then the next
    const after = times[seen + 1]! - times[seen]!;
    assert.ok(after < 200, `the refresh after a change came ${after.toFixed(0)} ms later, not about 30`);
    watch.close();
  });

  it('should refresh right away when nothing is held', async () => {
    let fetches = 0;
    const watch = new ConnectionWatch(
      async () => {
        fetches++;
        return [];
      },
      silentLogger(),
      60000,
      30,
    );
    await watch.subscribe(() => undefined);
    await watch.poke();
    assert.equal(fetches, 2);
    watch.close();
  });
});
