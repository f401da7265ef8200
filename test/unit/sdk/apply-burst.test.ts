/**
 * ApplyCables bursts through the SDK's service (a counting driver, no gRPC):
 * calls marked `more` keep the watch's status refresh until the burst's last
 * call, however long the caller takes between calls; the refresh after it and
 * the caller's own GetConnections read the datapath once (issue 15, P2).
 */
import assert from 'node:assert/strict';
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import {
  type ApplyCablesRequest,
  type ApplyCablesResponse,
  type Connection,
  ConnectionStatus,
  type GetConnectionsResponse,
  type NatEndpointInfo,
} from '../../../src/generated/cabled/driver/v1/driver.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { ConnectionWatch } from '../../../src/sdk/connection-watch.js';
import type { CableDriver } from '../../../src/sdk/driver.js';
import { driverService } from '../../../src/sdk/service.js';
import { SharedReading } from '../../../src/sdk/shared-reading.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SETTLE_MS = 20;

function remote(name: string): NatEndpointInfo {
  return {
    endpoint: {
      cableName: name,
      clusterId: 'c',
      privateIp: '10.0.0.2',
      subnets: [],
    } as unknown as NatEndpointInfo['endpoint'],
    useNat: false,
    useIp: '10.0.0.2',
  };
}

/** A driver that installs into a list and counts its status readings (each takes `readMs`). */
function countingDriver(readMs: number) {
  const installed = new Map<string, Connection>();
  const counts = { readings: 0 };
  const driver: CableDriver = {
    info: () => ({ name: 'counting', version: '0', capabilities: [] }),
    init: async () => ({ adoptedCables: [] }),
    connectToEndpoint: async () => '',
    disconnectFromEndpoint: async () => undefined,
    applyCables: async (_down, up) =>
      up.map((r) => {
        const cableName = r.endpoint!.cableName;
        installed.set(cableName, {
          endpoint: r.endpoint,
          status: ConnectionStatus.CONNECTION_STATUS_CONNECTED,
          statusMessage: 'installed',
        } as Connection);
        return { cableName, usingIp: r.useIp, error: '' };
      }),
    getActiveConnections: async () => [...installed.values()],
    getConnections: async () => {
      counts.readings++;
      await sleep(readMs);
      return [...installed.values()];
    },
    cleanup: async () => undefined,
  };
  return { driver, counts };
}

function unary<Req, Res>(
  handler: (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    handler({ request } as ServerUnaryCall<Req, Res>, (err, res) => (err ? reject(err) : resolve(res!))),
  );
}

async function serviceWith(readMs: number, burstGapMs?: number) {
  const { driver, counts } = countingDriver(readMs);
  const readings = new SharedReading(() => driver.getConnections());
  const watch = new ConnectionWatch(() => readings.read(), silentLogger(), 60000, SETTLE_MS);
  const service = driverService(driver, watch, readings, silentLogger(), { burstGapMs });
  await unary(service.init, { localEndpoint: undefined, localCluster: undefined, config: {}, secrets: {} });
  const seen: string[] = [];
  await watch.subscribe((events) => {
    for (const e of events) seen.push(e.connection?.endpoint?.cableName ?? '?');
  });
  const apply = (names: string[], more: boolean) =>
    unary<ApplyCablesRequest, ApplyCablesResponse>(service.applyCables, {
      disconnect: [],
      connect: names.map(remote),
      more,
    });
  return { service, watch, counts, seen, apply };
}

describe('ApplyCables bursts and status readings (SDK service, a counting driver)', () => {
  it('should refresh the watch once, after the last call, when the caller takes longer than the settle time between calls', async () => {
    const s = await serviceWith(1);
    const before = s.counts.readings;
    for (let batch = 0; batch < 4; batch++) {
      await s.apply([`cable-${batch}`], batch < 3);
      if (batch === 3) break;
      await sleep(SETTLE_MS * 4); // a slow caller between two calls of one burst
      assert.equal(s.counts.readings, before, `a reading after call ${batch + 1}`);
      assert.deepEqual(s.seen, []);
    }
    for (let i = 0; i < 200 && s.seen.length < 4; i++) await sleep(5);
    assert.deepEqual(s.seen.sort(), ['cable-0', 'cable-1', 'cable-2', 'cable-3']);
    assert.equal(s.counts.readings, before + 1);
    s.watch.close();
  });

  it('should refresh after each call without `more` once the settle time passed (a caller that does not mark bursts)', async () => {
    const s = await serviceWith(1);
    const before = s.counts.readings;
    await s.apply(['cable-a'], false);
    for (let i = 0; i < 200 && s.seen.length < 1; i++) await sleep(5);
    await s.apply(['cable-b'], false);
    for (let i = 0; i < 200 && s.seen.length < 2; i++) await sleep(5);
    assert.deepEqual(s.seen, ['cable-a', 'cable-b']);
    assert.equal(s.counts.readings, before + 2);
    s.watch.close();
  });

  it("should read the datapath once for the burst's watch refresh and the caller's GetConnections right after it", async () => {
    const s = await serviceWith(50);
    const before = s.counts.readings;
    await s.apply(['cable-0'], true);
    await s.apply(['cable-1'], false);
    const res = await unary<object, GetConnectionsResponse>(s.service.getConnections, {});
    assert.deepEqual(res.connections.map((c) => c.endpoint?.cableName).sort(), ['cable-0', 'cable-1']);
    for (let i = 0; i < 200 && s.seen.length < 2; i++) await sleep(5);
    assert.equal(s.seen.length, 2);
    assert.equal(s.counts.readings, before + 1);
    s.watch.close();
  });

  it('should refresh once, right after the last, when the calls of a burst overlap (the next sent before one is answered)', async () => {
    const s = await serviceWith(1);
    const before = s.counts.readings;
    const started = performance.now();
    await Promise.all([s.apply(['cable-0'], true), s.apply(['cable-1'], true), s.apply(['cable-2'], false)]);
    for (let i = 0; i < 200 && s.seen.length < 3; i++) await sleep(5);
    assert.deepEqual(s.seen.sort(), ['cable-0', 'cable-1', 'cable-2']);
    assert.equal(s.counts.readings, before + 1);
    // Not after the 5 s a burst's next call is waited for: no hold of the burst is left behind.
    assert.ok(performance.now() - started < 2000, `refreshed ${(performance.now() - started).toFixed(0)} ms after`);
    s.watch.close();
  });

  it('should refresh anyway when the call after one marked `more` never comes', async () => {
    const s = await serviceWith(1, 150);
    await s.apply(['cable-0'], true);
    await sleep(SETTLE_MS * 4);
    assert.deepEqual(s.seen, []);
    for (let i = 0; i < 200 && s.seen.length < 1; i++) await sleep(5);
    assert.deepEqual(s.seen, ['cable-0']);
    s.watch.close();
  });
});
