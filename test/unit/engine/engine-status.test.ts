/**
 * The engine's reporting rule, with an in-memory driver (the seam is the
 * supervisor/client pair): what the driver last said is never kept as
 * "connected" once the driver can no longer say it.
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
import type { ConnectionHealth, ProbeResult, ProbeTarget } from '../../../src/healthcheck/probe-result.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { connectedConnection, endpoint, fakeSupervisor, snapshotOf, until } from './in-memory-driver.js';

const ep = (cluster: string, ip: string): Endpoint => endpoint(cluster, ip, `10.${ip.split('.')[3]}.0.0/16`);

class FakeDriver {
  installed: Connection[] = [];
  failStatus = false;
  async init() {
    return { adoptedCables: [] };
  }
  async activeConnections() {
    return this.installed;
  }
  async connections() {
    if (this.failStatus) throw new Error('pluto is not running (no /run/pluto/pluto.ctl)');
    return this.installed;
  }
  async applyCables(_d: Endpoint[], connect: { endpoint?: Endpoint; useIp: string; useNat: boolean }[]) {
    for (const r of connect) {
      this.installed.push(connectedConnection(r));
    }
    return connect.map((r) => ({ cableName: r.endpoint!.cableName, usingIp: r.useIp, error: '' }));
  }
}

/** A driver with CAPABILITY_WATCH_CONNECTIONS: pushes changes on its stream; counts the full polls. */
class WatchingDriver extends FakeDriver {
  polls = 0;
  answers = true;
  push: ((e: ConnectionEvent) => void) | undefined;
  override async connections() {
    this.polls++;
    return super.connections();
  }
  async healthy() {
    return this.answers;
  }
  watch(onEvent: (e: ConnectionEvent) => void, _onEnd: (err?: Error) => void): () => void {
    this.push = onEvent;
    return () => {
      this.push = undefined;
    };
  }
}

function watchingEngine(
  driver: WatchingDriver,
  resyncIntervalMs = 60000,
  endpoints = [ep('cluster2', '172.30.0.2')],
  statusIntervalMs = 20,
): Engine {
  const local = ep('cluster1', '172.30.0.1');
  const supervisor = fakeSupervisor(driver);
  supervisor.driverInfo!.capabilities.push(Capability.CAPABILITY_WATCH_CONNECTIONS);
  const engine = new Engine({
    localEndpoint: local,
    localCluster: localCluster(local),
    supervisor,
    logger: silentLogger(),
    version: 'test',
    statusIntervalMs,
    resyncIntervalMs,
  });
  engine.setSettings({ config: {}, secrets: {} });
  engine.setEndpoints(snapshotOf(...endpoints));
  return engine;
}

describe('engine status reporting', () => {
  it('should follow a watching driver by its events, without polling every connection at each refresh', async () => {
    const driver = new WatchingDriver();
    const engine = watchingEngine(driver);
    engine.start();
    try {
      await until(() => engine.connections()[0]?.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED);
      await until(() => driver.push !== undefined);
      const polls = driver.polls;
      const changed = { ...driver.installed[0]!, status: ConnectionStatus.CONNECTION_STATUS_ERROR, statusMessage: 'x' };
      driver.push!({ kind: ConnectionEvent_Kind.KIND_UPDATED, connection: changed });
      await until(() => engine.connections()[0]?.status === ConnectionStatus.CONNECTION_STATUS_ERROR);
      await new Promise((r) => setTimeout(r, 200)); // ten status intervals
      assert.equal(driver.polls, polls);
      driver.push!({ kind: ConnectionEvent_Kind.KIND_REMOVED, connection: changed });
      await until(() => engine.connections().length === 0);
    } finally {
      await engine.stop();
    }
  });

  it('should watch the driver from its first reconcile when it starts with no endpoints, and not poll during the first burst', async () => {
    const driver = new WatchingDriver();
    // A status timer that does not tick during the test: only the reconciles read the driver.
    const engine = watchingEngine(driver, 60000, [], 60000);
    engine.start();
    try {
      await until(() => driver.push !== undefined);
      const polls = driver.polls;
      engine.setEndpoints(snapshotOf(ep('cluster2', '172.30.0.2'), ep('cluster3', '172.30.0.3')));
      await until(() => engine.connections().length === 2);
      assert.equal(driver.polls, polls + 1); // the reconcile's own reading after it installed them
    } finally {
      await engine.stop();
    }
  });

  it('should pass on exactly the cables a watch event changed, and nothing for an event that changes nothing', async () => {
    const driver = new WatchingDriver();
    const engine = watchingEngine(driver);
    engine.setEndpoints(snapshotOf(ep('cluster2', '172.30.0.2'), ep('cluster3', '172.30.0.3')));
    engine.start();
    const seen: ConnectionEvent[][] = [];
    const unsubscribe = engine.subscribe((events) => seen.push(events));
    try {
      await until(
        () =>
          engine.connections().filter((c) => c.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED).length === 2,
      );
      await until(() => driver.push !== undefined);
      const before = engine.connections();
      seen.length = 0;
      const [a, b] = driver.installed;
      driver.push!({ kind: ConnectionEvent_Kind.KIND_UPDATED, connection: { ...a! } });
      const changed = { ...b!, status: ConnectionStatus.CONNECTION_STATUS_ERROR, statusMessage: 'peer gone' };
      driver.push!({ kind: ConnectionEvent_Kind.KIND_UPDATED, connection: changed });
      await until(() => seen.length > 0);
      assert.deepEqual(
        seen.flat().map((e) => [e.kind, e.connection?.endpoint?.cableName, e.connection?.status]),
        [[ConnectionEvent_Kind.KIND_UPDATED, b!.endpoint!.cableName, ConnectionStatus.CONNECTION_STATUS_ERROR]],
      );
      const after = engine.connections();
      assert.notEqual(after, before, 'a changed list is a new list (ListConnections encodes it anew)');
      assert.equal(after.length, 2);
      seen.length = 0;
      driver.push!({ kind: ConnectionEvent_Kind.KIND_UPDATED, connection: { ...changed } });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(seen, []);
      assert.equal(engine.connections(), after, 'nothing changed: the same list object');
    } finally {
      unsubscribe();
      await engine.stop();
    }
  });

  it('should repair a cable the watch reports in error at the periodic resync, without reading every connection again', async () => {
    const driver = new WatchingDriver();
    let applied = 0;
    const apply = driver.applyCables.bind(driver);
    driver.applyCables = async (d, connect) => {
      applied += connect.length;
      driver.installed = driver.installed.filter(
        (c) => !connect.some((r) => r.endpoint?.cableName === c.endpoint?.cableName),
      );
      return apply(d, connect);
    };
    const engine = watchingEngine(driver, 100);
    engine.start();
    try {
      await until(() => engine.connections()[0]?.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED);
      await until(() => driver.push !== undefined);
      const polls = driver.polls;
      const before = applied;
      const broken = {
        ...driver.installed[0]!,
        status: ConnectionStatus.CONNECTION_STATUS_ERROR,
        statusMessage: 'route gone',
      };
      driver.installed[0] = broken;
      driver.push!({ kind: ConnectionEvent_Kind.KIND_UPDATED, connection: broken });
      await until(() => applied > before, 3000);
      assert.equal(applied, before + 1, 'the broken cable, and only it, connected again');
      // Reconciles after changes re-read the driver (their own refresh); the resync itself planned from the watch.
      await new Promise((r) => setTimeout(r, 350)); // three more resyncs with nothing to repair
      assert.ok(driver.polls - polls <= 2, `${driver.polls - polls} full readings for ~4 resyncs`);
    } finally {
      await engine.stop();
    }
  });

  it('should not take a silent watch stream for "nothing changed" once the driver stops answering', async () => {
    const driver = new WatchingDriver();
    const engine = watchingEngine(driver);
    engine.start();
    try {
      await until(() => engine.connections()[0]?.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED);
      await until(() => driver.push !== undefined);
      driver.answers = false;
      driver.failStatus = true;
      await until(() => engine.connections()[0]?.status !== ConnectionStatus.CONNECTION_STATUS_CONNECTED);
      assert.match(engine.connections()[0]?.statusMessage ?? '', /status unknown/);
    } finally {
      await engine.stop();
    }
  });

  it('should stop reporting a cable connected as soon as the driver cannot read its status', async () => {
    const local = ep('cluster1', '172.30.0.1');
    const driver = new FakeDriver();
    const engine = new Engine({
      localEndpoint: local,
      localCluster: localCluster(local),
      supervisor: fakeSupervisor(driver),
      logger: silentLogger(),
      version: 'test',
      statusIntervalMs: 20,
      resyncIntervalMs: 60000,
    });
    engine.setSettings({ config: {}, secrets: {} });
    engine.setEndpoints({
      endpoints: [{ spec: ep('cluster2', '172.30.0.2'), createdAt: 1, source: 'test' }],
      rejected: [],
      warnings: [],
    });
    engine.start();
    try {
      await until(() => engine.connections()[0]?.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED);
      driver.failStatus = true;
      await until(() => engine.connections()[0]?.status !== ConnectionStatus.CONNECTION_STATUS_CONNECTED);
      const [c] = engine.connections();
      assert.equal(c?.status, ConnectionStatus.CONNECTION_STATUS_ERROR);
      assert.match(c?.statusMessage ?? '', /status unknown: .*pluto is not running/);
      assert.equal(c?.establishedUnixMs, 0);
    } finally {
      await engine.stop();
    }
  });

  it('should report a connected cable whose probes are lost as error, and connected again once they are answered', async () => {
    const local = ep('cluster1', '172.30.0.1');
    const remote = { ...ep('cluster2', '172.30.0.2'), healthCheckIp: '10.2.0.1' };
    const probes = new FakeHealth();
    const engine = new Engine({
      localEndpoint: local,
      localCluster: localCluster(local),
      supervisor: fakeSupervisor(new FakeDriver()),
      logger: silentLogger(),
      version: 'test',
      statusIntervalMs: 60000,
      resyncIntervalMs: 60000,
      health: probes,
    });
    engine.setSettings({ config: {}, secrets: {} });
    engine.setEndpoints({
      endpoints: [
        { spec: remote, createdAt: 1, source: 'test' },
        { spec: ep('cluster3', '172.30.0.3'), createdAt: 1, source: 'test' },
      ],
      rejected: [],
      warnings: [],
    });
    assert.deepEqual(
      probes.targets,
      [{ cableName: remote.cableName, ip: '10.2.0.1' }],
      'only the endpoint with a health-check IP is probed',
    );
    const statuses: string[] = [];
    engine.subscribe((events) =>
      statuses.push(
        ...events
          .filter((e) => e.connection?.endpoint?.clusterId === 'cluster2')
          .map((e) => String(e.connection?.status)),
      ),
    );
    engine.start();
    try {
      const cluster2 = () => engine.connections().find((c) => c.endpoint?.clusterId === 'cluster2');
      await until(() => cluster2()?.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED);
      probes.set(
        'error',
        'Failed to successfully ping the remote endpoint IP "10.2.0.1": 5 probes in a row unanswered (last: no answer)',
      );
      assert.equal(cluster2()?.status, ConnectionStatus.CONNECTION_STATUS_ERROR, 'a probe change is reported at once');
      assert.match(cluster2()?.statusMessage ?? '', /Failed to successfully ping the remote endpoint IP "10\.2\.0\.1"/);
      assert.deepEqual(cluster2()?.latencyRtt, RTT);
      probes.set('connected', '');
      assert.equal(cluster2()?.status, ConnectionStatus.CONNECTION_STATUS_CONNECTED);
      assert.deepEqual(statuses.slice(-2), [
        String(ConnectionStatus.CONNECTION_STATUS_ERROR),
        String(ConnectionStatus.CONNECTION_STATUS_CONNECTED),
      ]);
      assert.equal(
        engine.connections().find((c) => c.endpoint?.clusterId === 'cluster3')?.status,
        ConnectionStatus.CONNECTION_STATUS_CONNECTED,
      );
    } finally {
      await engine.stop();
    }
    assert.equal(probes.stopped, true, 'stopping the engine stops the probes');
  });
});

const RTT = { lastNs: 400_000, minNs: 300_000, averageNs: 350_000, maxNs: 400_000, stddevNs: 50_000 };

/** Probe results set by the test. */
class FakeHealth implements ConnectionHealth {
  targets: ProbeTarget[] = [];
  stopped = false;
  private state: ProbeResult['state'] = 'connected';
  private message = '';
  private listener: (() => void) | undefined;
  setTargets(targets: readonly ProbeTarget[]): void {
    this.targets = [...targets];
  }
  result(cableName: string): ProbeResult | undefined {
    const t = this.targets.find((x) => x.cableName === cableName);
    return t && { ip: t.ip, state: this.state, message: this.message, rtt: RTT, lostInARow: 0 };
  }
  subscribe(listener: () => void): () => void {
    this.listener = listener;
    return () => (this.listener = undefined);
  }
  stop(): void {
    this.stopped = true;
  }
  set(state: ProbeResult['state'], message: string): void {
    this.state = state;
    this.message = message;
    this.listener?.();
  }
}
