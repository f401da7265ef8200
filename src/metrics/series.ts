/**
 * Maps what the gateway reports (GatewayStatus + Connections) to Prometheus
 * series, under Submariner's metric names and labels (pure). Submariner's
 * gateway metrics (pkg/cable/metrics.go) and the operator's gateway metrics
 * (submariner_gateways, submariner_gateway_creation_timestamp,
 * submariner_requested_connections), plus seed 000's IPsec telemetry.
 */
import { Capability, ConnectionStatus, type Connection, type Endpoint } from '../generated/cabled/driver/v1/driver.js';
import type { GatewayStatus } from '../generated/cabled/engine/v1/engine.js';
import { connectionStatusLabel } from '../cli/render.js';

export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
}

/** Every metric this gateway exposes: name, help, label names. */
export const METRICS = {
  rxBytes: {
    name: 'submariner_gateway_rx_bytes',
    help: 'Count of bytes received (by cable driver and cable)',
    labels: 'cable',
  },
  txBytes: {
    name: 'submariner_gateway_tx_bytes',
    help: 'Count of bytes transmitted (by cable driver and cable)',
    labels: 'cable',
  },
  connections: {
    name: 'submariner_connections',
    help: 'Number of connections and corresponding status (by cable driver and cable)',
    labels: 'cableStatus',
  },
  connectionsShort: {
    name: 'submariner_connections_short',
    help: 'Summary of connections and corresponding status without cable information',
    labels: 'short',
  },
  established: {
    name: 'submariner_connection_established_timestamp',
    help: 'Timestamp of last successful connection established (by cable driver and cable)',
    labels: 'cable',
  },
  latency: {
    name: 'submariner_connection_latency_seconds',
    help: 'Connection latency in seconds (last RTT, by cable driver and cable)',
    labels: 'cable',
  },
  gateways: { name: 'submariner_gateways', help: 'Number of gateways', labels: 'none' },
  gatewayCreation: {
    name: 'submariner_gateway_creation_timestamp',
    help: 'Timestamp of gateway creation time',
    labels: 'gateway',
  },
  requested: {
    name: 'submariner_requested_connections',
    help: 'Number of connections (by endpoint and status)',
    labels: 'requested',
  },
  haStatus: {
    name: 'cabled_gateway_ha_status',
    help: "This gateway's HA status, as Submariner's Gateway resource has it (ha_status active|passive; role active|standby|electing): 1 on the current label set",
    labels: 'ha',
  },
  eastWest: {
    name: 'cabled_ipsec_east_west_enabled',
    help: 'Whether this gateway encrypts east-west (cluster-to-cluster) traffic with IPsec: 1 when its cable driver is libreswan and running',
    labels: 'none',
  },
  northSouth: {
    name: 'cabled_ipsec_north_south_enabled',
    help: "Whether this gateway uses the host's standalone IPsec service (host pluto, which carries north-south IPsec): 1 when the libreswan driver runs with ceIPSecPlutoMode host",
    labels: 'none',
  },
} as const;

export type MetricKey = keyof typeof METRICS;

const CABLE = [
  'cable_driver',
  'local_cluster',
  'local_hostname',
  'local_endpoint_ip',
  'remote_cluster',
  'remote_hostname',
  'remote_endpoint_ip',
];
export const LABEL_NAMES: Record<(typeof METRICS)[MetricKey]['labels'], string[]> = {
  cable: CABLE,
  cableStatus: [...CABLE, 'status'],
  short: ['cable_driver', 'status'],
  none: [],
  gateway: ['local_cluster', 'local_hostname'],
  requested: ['local_cluster', 'local_hostname', 'remote_cluster', 'remote_hostname', 'status'],
  ha: ['local_cluster', 'local_hostname', 'ha_status', 'role'],
};

/** Submariner labels endpoints with their public IP; the private IP stands in when no public IP is known. */
function endpointIp(e: Endpoint | undefined): string {
  return e?.publicIp || e?.privateIp || '';
}

/** Every series for this status and these connections; `startedAtMs` is the gateway's creation time. */
export function gatewaySeries(
  status: GatewayStatus,
  connections: readonly Connection[],
  startedAtMs: number,
): Record<MetricKey, Sample[]> {
  const local = status.localEndpoint;
  const driver = status.driver?.name || local?.backend || '';
  const counters = status.driver?.capabilities.includes(Capability.CAPABILITY_TRAFFIC_COUNTERS) ?? false;
  const out: Record<MetricKey, Sample[]> = {
    rxBytes: [],
    txBytes: [],
    connections: [],
    connectionsShort: [],
    established: [],
    latency: [],
    gateways: [],
    gatewayCreation: [],
    requested: [],
    haStatus: [],
    eastWest: [],
    northSouth: [],
  };
  const short = new Map<string, number>();
  for (const c of connections) {
    const remote = c.endpoint;
    const cable: Labels = {
      cable_driver: driver,
      local_cluster: local?.clusterId ?? '',
      local_hostname: local?.hostname ?? '',
      local_endpoint_ip: endpointIp(local),
      remote_cluster: remote?.clusterId ?? '',
      remote_hostname: remote?.hostname ?? '',
      remote_endpoint_ip: endpointIp(remote),
    };
    const state = connectionStatusLabel(c.status);
    out.connections.push({ labels: { ...cable, status: state }, value: 1 });
    short.set(state, (short.get(state) ?? 0) + 1);
    out.requested.push({
      labels: {
        local_cluster: cable.local_cluster!,
        local_hostname: cable.local_hostname!,
        remote_cluster: cable.remote_cluster!,
        remote_hostname: cable.remote_hostname!,
        status: state,
      },
      value: 1,
    });
    // Drivers without traffic counters (plain VXLAN) report no bytes rather than a false 0, as in Submariner.
    if (counters) {
      out.rxBytes.push({ labels: cable, value: c.rxBytes });
      out.txBytes.push({ labels: cable, value: c.txBytes });
    }
    if (c.establishedUnixMs > 0) out.established.push({ labels: cable, value: Math.floor(c.establishedUnixMs / 1000) });
    // As Submariner: the latency of connected cables only, the last RTT.
    if (c.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED && c.latencyRtt && c.latencyRtt.lastNs > 0) {
      out.latency.push({ labels: cable, value: c.latencyRtt.lastNs / 1e9 });
    }
  }
  for (const [state, count] of short)
    out.connectionsShort.push({ labels: { cable_driver: driver, status: state }, value: count });
  const active = status.haStatus === 'active';
  out.gateways.push({ labels: {}, value: active ? 1 : 0 });
  out.haStatus.push({
    labels: {
      local_cluster: local?.clusterId ?? '',
      local_hostname: local?.hostname ?? '',
      ha_status: status.haStatus,
      role: status.ha?.role ?? (active ? 'active' : 'standby'),
    },
    value: 1,
  });
  if (active)
    out.gatewayCreation.push({
      labels: { local_cluster: local?.clusterId ?? '', local_hostname: local?.hostname ?? '' },
      value: Math.floor(startedAtMs / 1000),
    });
  const ipsec = driver === 'libreswan' && status.driver?.state === 'running';
  out.eastWest.push({ labels: {}, value: ipsec ? 1 : 0 });
  out.northSouth.push({ labels: {}, value: ipsec && status.config.ceIPSecPlutoMode === 'host' ? 1 : 0 });
  return out;
}
