/**
 * The engine's HA roles, with an in-memory driver: electing touches nothing
 * (a restarted leader keeps its cables until the election decides), active
 * installs the desired cables, standby removes every cable yet stays Ready
 * with its driver initialised.
 */
import assert from 'node:assert/strict';
import { Engine, localCluster } from '../../../src/engine/engine.js';
import type { Connection, Endpoint, NatEndpointInfo } from '../../../src/generated/cabled/driver/v1/driver.js';
import type { HaInfo } from '../../../src/generated/cabled/engine/v1/engine.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { connectedConnection, endpoint, fakeSupervisor, until } from './in-memory-driver.js';

const ep = (cluster: string, ip: string): Endpoint => endpoint(cluster, ip, '10.2.0.0/16');

class FakeDriver {
  installed: Connection[] = [];
  inits = 0;
  async init() {
    this.inits++;
    return { adoptedCables: this.installed.map((c) => c.endpoint?.cableName ?? '') };
  }
  async activeConnections() {
    return this.installed;
  }
  async connections() {
    return this.installed;
  }
  async applyCables(disconnect: Endpoint[], connect: NatEndpointInfo[]) {
    const gone = new Set(disconnect.map((d) => d.cableName));
    this.installed = this.installed.filter((c) => !gone.has(c.endpoint?.cableName ?? ''));
    for (const r of connect) this.installed.push(connectedConnection(r));
    return [...disconnect.map((d) => d.cableName), ...connect.map((r) => r.endpoint?.cableName ?? '')].map(
      (cableName) => ({ cableName, usingIp: '', error: '' }),
    );
  }
}

const info = (role: string, message: string): HaInfo => ({
  lease: 'ns/submariner-gateway-lock',
  identity: 'gw-a-submariner-gateway',
  leader: role === 'active' ? 'gw-a-submariner-gateway' : 'gw-b-submariner-gateway',
  role,
  message,
  sinceUnixMs: 1,
  lastError: '',
});

describe('engine HA roles (in-memory driver)', () => {
  it('should touch nothing while electing, install cables when active, and remove them all yet stay Ready on standby', async () => {
    const local = ep('cluster1', '172.30.0.1');
    const remote = ep('cluster2', '172.30.0.2');
    const driver = new FakeDriver();
    // A cable left by this gateway's previous life (a restart of the active gateway).
    driver.installed.push(connectedConnection({ endpoint: remote, useIp: remote.privateIp, useNat: false }));
    const engine = new Engine({
      localEndpoint: local,
      localCluster: localCluster(local),
      supervisor: fakeSupervisor(driver),
      logger: silentLogger(),
      version: 'test',
      statusIntervalMs: 20,
      resyncIntervalMs: 60000,
      elected: true,
    });
    engine.setSettings({ config: {}, secrets: {} });
    engine.setEndpoints({
      endpoints: [{ spec: ep('cluster3', '172.30.0.3'), createdAt: 1, source: 't' }],
      rejected: [],
      warnings: [],
    });
    engine.start();
    try {
      await until(() => driver.inits >= 1);
      await new Promise((r) => setTimeout(r, 50)); // the supervisor's 'ready' (a second Init) has come
      await engine.settled();
      const inits = driver.inits;
      assert.deepEqual(
        driver.installed.map((c) => c.endpoint?.clusterId),
        ['cluster2'],
        'electing: the adopted cable stays, nothing is installed',
      );
      assert.equal(engine.health(), 'NOT_SERVING');
      assert.equal(engine.status().haStatus, 'passive');
      assert.match(engine.status().statusFailure, /waiting for the leader election/);

      await engine.setHaRole('active', info('active', 'created the lease'));
      assert.deepEqual(
        driver.installed.map((c) => c.endpoint?.clusterId),
        ['cluster3'],
      );
      assert.equal(engine.health(), 'SERVING');
      assert.equal(engine.status().haStatus, 'active');
      assert.equal(engine.status().ha?.role, 'active');

      await engine.setHaRole('standby', info('standby', 'lease taken by gw-b-submariner-gateway'));
      assert.deepEqual(driver.installed, [], 'standby: no cable carries traffic');
      assert.equal(engine.health(), 'SERVING', 'a standby is Ready');
      assert.equal(engine.status().haStatus, 'passive');
      assert.equal(engine.status().ha?.role, 'standby');
      assert.equal(engine.status().ha?.leader, 'gw-b-submariner-gateway');
      assert.equal(engine.status().statusFailure, '');
      assert.equal(driver.inits, inits, 'the driver stays initialised (warm): no new Init');
      await until(() => engine.connections().length === 0);

      // New endpoints while standing by change nothing in the datapath.
      engine.setEndpoints({ endpoints: [{ spec: remote, createdAt: 2, source: 't' }], rejected: [], warnings: [] });
      await engine.settled();
      assert.deepEqual(driver.installed, []);
    } finally {
      await engine.stop();
    }
  });
});
