/**
 * Reload without outage, the engine's part (issue 12, item 1), with an
 * in-memory driver: a new config is applied by a re-Init in the same
 * reconcile that reads refreshed status and repairs what the driver reports
 * broken, and readiness is NOT_SERVING from the moment the config arrives
 * until that reconcile has applied it.
 */
import assert from 'node:assert/strict';
import { ConnectionStatus, type Connection, type Endpoint } from '../../../src/generated/cabled/driver/v1/driver.js';
import { Engine, localCluster } from '../../../src/engine/engine.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { connectedConnection, endpoint, fakeSupervisor, until as untilEvery } from './in-memory-driver.js';

const until = (check: () => boolean, ms = 2000) => untilEvery(check, ms, 5);

const ep = (cluster: string, ip: string): Endpoint => endpoint(cluster, ip, '10.2.0.0/16');

/** A driver whose Init with a new port breaks every installed cable (as a replaced VXLAN device does). */
class ReplacingDriver {
  installed = new Map<string, Connection>();
  broken = false;
  port = '';
  connects = 0;
  gate: Promise<void> = Promise.resolve();
  async init(req: { config: Record<string, string> }) {
    await this.gate;
    const port = req.config.ceIPSecNATTPort ?? '';
    if (this.port && port !== this.port) this.broken = true;
    this.port = port;
    return { adoptedCables: [] };
  }
  async activeConnections() {
    return [...this.installed.values()];
  }
  async connections() {
    return [...this.installed.values()].map((c) =>
      this.broken ? { ...c, status: ConnectionStatus.CONNECTION_STATUS_ERROR, statusMessage: 'no FDB entry' } : c,
    );
  }
  async applyCables(_d: Endpoint[], connect: { endpoint?: Endpoint; useIp: string; useNat: boolean }[]) {
    for (const r of connect) {
      this.connects++;
      this.installed.set(r.endpoint!.cableName, connectedConnection(r));
    }
    this.broken = false;
    return connect.map((r) => ({ cableName: r.endpoint!.cableName, usingIp: r.useIp, error: '' }));
  }
}

describe('engine reload (unit, in-memory driver)', () => {
  it('should repair what a re-Init broke in the same reconcile, and be NOT_SERVING until then', async () => {
    const local = ep('cluster1', '172.30.0.1');
    const driver = new ReplacingDriver();
    const engine = new Engine({
      localEndpoint: local,
      localCluster: localCluster(local),
      supervisor: fakeSupervisor(driver),
      logger: silentLogger(),
      version: 'test',
      statusIntervalMs: 60000,
      resyncIntervalMs: 600000,
      retryIntervalMs: 600000,
    });
    engine.setSettings({ config: { ceIPSecNATTPort: '4500' }, secrets: {} });
    engine.setEndpoints({
      endpoints: [{ spec: ep('cluster2', '172.30.0.2'), createdAt: 1, source: 'test' }],
      rejected: [],
      warnings: [],
    });
    engine.start();
    try {
      await until(() => engine.health() === 'SERVING');
      const before = driver.connects;
      let open: () => void = () => undefined;
      driver.gate = new Promise((r) => (open = r));
      engine.setSettings({ config: { ceIPSecNATTPort: '4789' }, secrets: {} });
      assert.equal(engine.health(), 'NOT_SERVING', 'NOT_SERVING as soon as the new config arrives');
      assert.match(engine.status().statusFailure, /applying a new driver config/);
      open();
      await until(() => engine.health() === 'SERVING');
      assert.equal(
        driver.connects,
        before + 1,
        'the cable the re-Init broke was installed again in the same reconcile',
      );
      assert.equal(driver.broken, false);
      assert.equal(engine.status().statusFailure, '');
      engine.setSettings({ config: { ceIPSecNATTPort: '4789' }, secrets: {} });
      assert.equal(engine.health(), 'SERVING', 'the same config again changes nothing');
    } finally {
      await engine.stop();
    }
  });
});
