/**
 * An in-memory GatewayView for API and cablectl tests: the seam between the
 * engine and its API. Tests change it and the server sees the changes.
 */
import {
  IkeState,
  Capability,
  ConnectionStatus,
  ConnectionEvent_Kind,
  SaState,
  type Connection,
  type ConnectionEvent,
} from '../../../src/generated/cabled/driver/v1/driver.js';
import type { GatewayStatus } from '../../../src/generated/cabled/engine/v1/engine.js';
import type { GatewayView, Health } from '../../../src/engine/gateway-view.js';

/** A connection to `cluster` with sensible defaults. */
export function makeConnection(cluster: string, overrides: Partial<Connection> = {}): Connection {
  const ip = cluster === 'cluster2' ? '10.0.0.2' : '10.0.0.3';
  return {
    status: ConnectionStatus.CONNECTION_STATUS_CONNECTED,
    statusMessage: 'all SAs established',
    endpoint: {
      clusterId: cluster,
      cableName: `submariner-cable-${cluster}-${ip.replaceAll('.', '-')}`,
      hostname: `gw-${cluster}`,
      subnets: ['10.96.0.0/16', '10.244.0.0/16'],
      privateIp: ip,
      publicIp: '203.0.113.7',
      natEnabled: false,
      backend: 'vxlan',
      backendConfig: {},
      healthCheckIp: '',
    },
    usingIp: ip,
    usingNat: false,
    latencyRtt: { lastNs: 1_200_000, minNs: 1_000_000, averageNs: 1_500_000, maxNs: 2_000_000, stddevNs: 100_000 },
    sas: [
      {
        name: `fdb 00:00:00:00:00:00 dst ${ip}`,
        kind: 'vxlan-fdb',
        state: SaState.SA_STATE_ESTABLISHED,
        message: '',
        rxBytes: 0,
        txBytes: 0,
        ikeState: IkeState.IKE_STATE_UNSPECIFIED,
        ikePeer: '',
      },
      {
        name: `route 10.96.0.0/16 via ${ip}`,
        kind: 'route',
        state: SaState.SA_STATE_ESTABLISHED,
        message: 'installed',
        rxBytes: 0,
        txBytes: 0,
        ikeState: IkeState.IKE_STATE_UNSPECIFIED,
        ikePeer: '',
      },
    ],
    rxBytes: 1536,
    txBytes: 3 * 1024 * 1024,
    establishedUnixMs: Date.now() - 90_000,
    ...overrides,
  };
}

export function makeStatus(): GatewayStatus {
  return {
    version: '0.1.0-test',
    haStatus: 'active',
    localEndpoint: {
      clusterId: 'cluster1',
      cableName: 'submariner-cable-cluster1-10-0-0-1',
      hostname: 'gw-cluster1',
      subnets: ['10.1.0.0/16'],
      privateIp: '10.0.0.1',
      publicIp: '198.51.100.1',
      natEnabled: false,
      backend: 'vxlan',
      backendConfig: {},
      healthCheckIp: '',
    },
    driver: {
      name: 'vxlan',
      version: '0.1.0',
      state: 'running',
      pid: 4242,
      restarts: 1,
      capabilities: [Capability.CAPABILITY_WATCH_CONNECTIONS, Capability.CAPABILITY_TRAFFIC_COUNTERS],
      socket: '/run/cabled/drivers/vxlan.sock',
      lastError: '',
    },
    statusFailure: '',
    desiredEndpoints: 1,
    rejectedEndpoints: ['cluster9: private_ip "nope" is not an IP'],
    config: { cableDriver: 'vxlan', reconcileInterval: '30s' },
    configError: '',
    lastReconcileUnixMs: Date.now() - 5_000,
    inSync: true,
    endpointSourceErrors: [],
    supersededEndpoints: [],
    endpointConflicts: [],
    endpointWarnings: [],
  };
}

export class FakeGatewayView implements GatewayView {
  private conns: Connection[];
  private gatewayHealth: Health = 'SERVING';
  private drivers = new Map<string, Health>([['vxlan', 'SERVING']]);
  private listeners = new Set<(events: ConnectionEvent[]) => void>();
  private healthListeners = new Set<() => void>();
  gatewayStatus: GatewayStatus = makeStatus();

  constructor(connections: Connection[] = [makeConnection('cluster2')]) {
    this.conns = connections;
  }

  /** Subscribers to connection events right now. */
  get subscribers(): number {
    return this.listeners.size;
  }

  status(): GatewayStatus {
    return this.gatewayStatus;
  }
  connections(): Connection[] {
    return [...this.conns];
  }
  health(): Health {
    return this.gatewayHealth;
  }
  driverHealth(): Map<string, Health> {
    return new Map(this.drivers);
  }
  subscribe(listener: (events: ConnectionEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  subscribeHealth(listener: () => void): () => void {
    this.healthListeners.add(listener);
    return () => void this.healthListeners.delete(listener);
  }

  add(connection: Connection): void {
    this.conns.push(connection);
    this.emit([{ kind: ConnectionEvent_Kind.KIND_ADDED, connection }]);
  }
  remove(cluster: string): void {
    const gone = this.conns.filter((c) => c.endpoint?.clusterId === cluster);
    this.conns = this.conns.filter((c) => c.endpoint?.clusterId !== cluster);
    this.emit(gone.map((connection) => ({ kind: ConnectionEvent_Kind.KIND_REMOVED, connection })));
  }
  setHealth(gateway: Health, drivers: Record<string, Health> = {}): void {
    this.gatewayHealth = gateway;
    this.drivers = new Map(Object.entries(drivers));
    for (const l of this.healthListeners) l();
  }
  private emit(events: ConnectionEvent[]): void {
    for (const l of this.listeners) l(events);
  }
}
