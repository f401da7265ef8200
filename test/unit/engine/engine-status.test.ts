/**
 * The engine's reporting rule, with an in-memory driver (the seam is the
 * supervisor/client pair): what the driver last said is never kept as
 * "connected" once the driver can no longer say it.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Capability, ConnectionStatus, type Connection, type Endpoint } from '../../../src/generated/cabled/driver/v1/driver.js';
import { Engine, localCluster } from '../../../src/engine/engine.js';
import type { DriverClient } from '../../../src/engine/driver-host/driver-client.js';
import type { DriverSupervisor } from '../../../src/engine/driver-host/supervisor.js';
import { silentLogger } from '../../../src/lib/logger.js';

const ep = (cluster: string, ip: string): Endpoint => ({
  clusterId: cluster, cableName: `submariner-cable-${cluster}-${ip.replaceAll('.', '-')}`, hostname: cluster, subnets: ['10.2.0.0/16'],
  privateIp: ip, publicIp: '', natEnabled: false, backend: 'fake', backendConfig: {}, healthCheckIp: '',
});

class FakeDriver {
  installed: Connection[] = [];
  failStatus = false;
  async init() { return { adoptedCables: [] }; }
  async activeConnections() { return this.installed; }
  async connections() {
    if (this.failStatus) throw new Error('pluto is not running (no /run/pluto/pluto.ctl)');
    return this.installed;
  }
  async applyCables(_d: Endpoint[], connect: { endpoint?: Endpoint; useIp: string; useNat: boolean }[]) {
    for (const r of connect) {
      this.installed.push({ status: ConnectionStatus.CONNECTION_STATUS_CONNECTED, statusMessage: 'up', endpoint: r.endpoint, usingIp: r.useIp, usingNat: r.useNat, sas: [], rxBytes: 0, txBytes: 0, establishedUnixMs: 1 });
    }
    return connect.map((r) => ({ cableName: r.endpoint!.cableName, usingIp: r.useIp, error: '' }));
  }
}

function fakeSupervisor(driver: FakeDriver): DriverSupervisor {
  const sup = new EventEmitter() as unknown as DriverSupervisor & EventEmitter;
  Object.assign(sup, {
    state: 'running', restarts: 0, lastError: '', pid: 0, socketPath: '/dev/null',
    driverInfo: { name: 'fake', version: '0', protocolVersion: 1, capabilities: [Capability.CAPABILITY_BATCH], manifest: {} },
    current: driver as unknown as DriverClient,
    start: () => setImmediate(() => sup.emit('ready', driver, sup.driverInfo)),
    stop: async () => undefined,
  });
  return sup;
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('engine status reporting', () => {
  it('should stop reporting a cable connected as soon as the driver cannot read its status', async () => {
    const local = ep('cluster1', '172.30.0.1');
    const driver = new FakeDriver();
    const engine = new Engine({ localEndpoint: local, localCluster: localCluster(local), supervisor: fakeSupervisor(driver), logger: silentLogger(), version: 'test', statusIntervalMs: 20, resyncIntervalMs: 60000 });
    engine.setSettings({ config: {}, secrets: {} });
    engine.setEndpoints({ endpoints: [{ spec: ep('cluster2', '172.30.0.2'), createdAt: 1, source: 'test' }], rejected: [] });
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
});
