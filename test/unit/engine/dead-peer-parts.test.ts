/**
 * A dead peer costs nothing (issue 12, item 4), the engine side, with an
 * in-memory driver: a cable in error that the driver reports with every part
 * in place (partsInPlace: its peer does not answer) is not installed again
 * by the periodic resyncs; one with a part missing still is, at once; and a
 * resync of a driver whose watch stream keeps the connections current reads
 * them from the stream, not with a full GetConnections.
 */
import assert from 'node:assert/strict';
import {
  Capability,
  type Connection,
  type ConnectionEvent,
  ConnectionEvent_Kind,
  ConnectionStatus,
  type Endpoint,
} from '../../../src/generated/cabled/driver/v1/driver.js';
import { Engine, localCluster } from '../../../src/engine/engine.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { endpoint, fakeSupervisor, reportedConnection, snapshotOf, until as untilEvery } from './in-memory-driver.js';

const until = (check: () => boolean, ms = 3000) => untilEvery(check, ms, 5);
const ep = (cluster: string, ip: string): Endpoint => endpoint(cluster, ip, `10.${ip.split('.')[3]}.0.0/16`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A driver whose cables never come up (the peers do not answer); `missing` names the cables with a part gone. */
class DeadPeersDriver {
  readonly installed = new Map<string, Connection>();
  readonly missing = new Set<string>();
  readonly connects = new Map<string, number>();
  listCalls = 0;
  private emit: ((e: ConnectionEvent) => void) | undefined;
  async init() {
    return { adoptedCables: [] };
  }
  async activeConnections() {
    return [...this.installed.values()];
  }
  async connections() {
    this.listCalls++;
    return this.current();
  }
  async healthy() {
    return true;
  }
  current(): Connection[] {
    return [...this.installed.values()].map((c) => ({
      ...c,
      partsInPlace: !this.missing.has(c.endpoint!.cableName),
    }));
  }
  /** The watch stream (CAPABILITY_WATCH_CONNECTIONS): a snapshot, then what push() sends. */
  watch(onEvent: (e: ConnectionEvent) => void): () => void {
    this.emit = onEvent;
    for (const c of this.current()) onEvent({ kind: ConnectionEvent_Kind.KIND_SNAPSHOT, connection: c });
    return () => {
      this.emit = undefined;
    };
  }
  /** Pushes the current connections to the watcher (as the driver SDK does when they change). */
  push(): void {
    for (const c of this.current()) this.emit?.({ kind: ConnectionEvent_Kind.KIND_UPDATED, connection: c });
  }
  async applyCables(_d: Endpoint[], connect: { endpoint?: Endpoint; useIp: string; useNat: boolean }[]) {
    for (const r of connect) {
      const name = r.endpoint!.cableName;
      this.connects.set(name, (this.connects.get(name) ?? 0) + 1);
      this.missing.delete(name);
      this.installed.set(
        name,
        reportedConnection(
          r,
          ConnectionStatus.CONNECTION_STATUS_ERROR,
          `0 of 2 SAs established; ${name}-0: no answer from peer ${r.useIp}`,
        ),
      );
    }
    return connect.map((r) => ({ cableName: r.endpoint!.cableName, usingIp: r.useIp, error: '' }));
  }
}

function start(driver: DeadPeersDriver, watch: boolean): Engine {
  const local = ep('cluster1', '172.30.0.1');
  const sup = fakeSupervisor(driver);
  if (watch) sup.driverInfo!.capabilities.push(Capability.CAPABILITY_WATCH_CONNECTIONS);
  const engine = new Engine({
    localEndpoint: local,
    localCluster: localCluster(local),
    supervisor: sup,
    logger: silentLogger(),
    version: 'test',
    statusIntervalMs: 60000,
    resyncIntervalMs: 20,
    retryIntervalMs: 600000,
  });
  engine.setSettings({ config: {}, secrets: {} });
  engine.setEndpoints(snapshotOf(ep('cluster2', '172.30.0.2'), ep('cluster3', '172.30.0.3')));
  engine.start();
  return engine;
}

describe('dead peers: what the resync repairs (unit, in-memory driver)', () => {
  const A = ep('cluster2', '172.30.0.2').cableName;
  const B = ep('cluster3', '172.30.0.3').cableName;

  it('should not install again a dead cable whose every part is in place, and repair one with a part missing at once', async () => {
    const driver = new DeadPeersDriver();
    const engine = start(driver, false);
    try {
      await until(() => driver.installed.size === 2 && engine.connections().length === 2);
      // Dozens of resyncs (every 20 ms): both cables in error, all parts in place: nothing is installed again.
      await sleep(400);
      assert.equal(driver.connects.get(A), 1, 'A installed once, never repaired');
      assert.equal(driver.connects.get(B), 1, 'B installed once, never repaired');
      // A part of B goes missing (the driver says so): the next resync repairs B, and only B.
      driver.missing.add(B);
      await until(() => driver.connects.get(B) === 2);
      await sleep(200);
      assert.equal(driver.connects.get(B), 2, 'repaired once (then it reports every part in place again)');
      assert.equal(driver.connects.get(A), 1, 'A still not repaired');
    } finally {
      await engine.stop();
    }
  });

  it('should read the watch stream at a resync rather than the full connection list, and still repair from it', async () => {
    const driver = new DeadPeersDriver();
    const engine = start(driver, true);
    try {
      await until(() => driver.installed.size === 2 && engine.connections().length === 2);
      await sleep(100);
      const calls = driver.listCalls;
      await sleep(400);
      assert.equal(driver.listCalls, calls, 'no GetConnections at the resyncs while the watch stream is live');
      assert.equal(driver.connects.get(A), 1);
      driver.missing.add(A);
      driver.push();
      await until(() => driver.connects.get(A) === 2);
      assert.equal(driver.connects.get(B), 1);
    } finally {
      await engine.stop();
    }
  });
});
