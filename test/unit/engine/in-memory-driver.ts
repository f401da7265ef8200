/**
 * Scaffolding for the engine's unit tests with an in-memory driver (the seam is the supervisor/client
 * pair): endpoints, a connected Connection, a supervisor that is always running, and a polling wait.
 */
import { EventEmitter } from 'node:events';
import type { DriverClient } from '../../../src/engine/driver-host/driver-client.js';
import type { DriverSupervisor } from '../../../src/engine/driver-host/supervisor.js';
import {
  Capability,
  type Connection,
  ConnectionStatus,
  type Endpoint,
  type NatEndpointInfo,
} from '../../../src/generated/cabled/driver/v1/driver.js';

/** An endpoint of `cluster` at `ip` with one subnet. */
export function endpoint(cluster: string, ip: string, subnet: string): Endpoint {
  return {
    clusterId: cluster,
    cableName: `submariner-cable-${cluster}-${ip.replaceAll('.', '-')}`,
    hostname: cluster,
    subnets: [subnet],
    privateIp: ip,
    publicIp: '',
    natEnabled: false,
    backend: 'fake',
    backendConfig: {},
    healthCheckIp: '',
  };
}

/** The connection a driver reports for a cable it installed, in `status` saying `statusMessage`. */
export function reportedConnection(
  r: Pick<NatEndpointInfo, 'endpoint' | 'useIp' | 'useNat'>,
  status: ConnectionStatus,
  statusMessage: string,
): Connection {
  return {
    status,
    statusMessage,
    endpoint: r.endpoint,
    usingIp: r.useIp,
    usingNat: r.useNat,
    sas: [],
    rxBytes: 0,
    txBytes: 0,
    establishedUnixMs: status === ConnectionStatus.CONNECTION_STATUS_CONNECTED ? 1 : 0,
  };
}

/** The connection a driver reports for a cable it installed and saw come up. */
export function connectedConnection(r: Pick<NatEndpointInfo, 'endpoint' | 'useIp' | 'useNat'>): Connection {
  return reportedConnection(r, ConnectionStatus.CONNECTION_STATUS_CONNECTED, 'up');
}

/** An endpoints snapshot (Engine.setEndpoints) of `specs`, all created at 1 by the source "test". */
export function snapshotOf(...specs: Endpoint[]) {
  return { endpoints: specs.map((spec) => ({ spec, createdAt: 1, source: 'test' })), rejected: [], warnings: [] };
}

/** A supervisor whose driver (`driver`, standing in for the DriverClient) is running and ready at start(). */
export function fakeSupervisor(driver: object): DriverSupervisor {
  const sup = new EventEmitter() as unknown as DriverSupervisor & EventEmitter;
  Object.assign(sup, {
    state: 'running',
    restarts: 0,
    lastError: '',
    pid: 0,
    socketPath: '/dev/null',
    driverInfo: {
      name: 'fake',
      version: '0',
      protocolVersion: 1,
      capabilities: [Capability.CAPABILITY_BATCH],
      manifest: {},
    },
    current: driver as unknown as DriverClient,
    start: () => setImmediate(() => sup.emit('ready', driver, sup.driverInfo)),
    stop: async () => undefined,
  });
  return sup;
}

/** Polls `check` every `everyMs` until it holds; throws after `ms`. */
export async function until(check: () => boolean, ms = 2000, everyMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
