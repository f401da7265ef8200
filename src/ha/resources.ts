/**
 * The resources a gateway publishes, in Submariner's shapes (pure):
 * - Endpoint (submariner.io/v1) `<cluster>-<cable>`: the local endpoint,
 *   EndpointSpec with Submariner's JSON names, label submariner-io/clusterID.
 * - Gateway (submariner.io/v1) `<node name>`: status {version, haStatus,
 *   localEndpoint, statusFailure, connections}, annotation update-timestamp
 *   (unix seconds), as Submariner's GatewaySyncer writes it.
 */
import { ConnectionStatus, type Connection, type Endpoint } from '../generated/cabled/driver/v1/driver.js';
import type { GatewayStatus } from '../generated/cabled/engine/v1/engine.js';

export const SUBMARINER_API = 'submariner.io/v1';
export const UPDATE_TIMESTAMP = 'update-timestamp';
export const CLUSTER_ID_LABEL = 'submariner-io/clusterID';

/** Submariner's Endpoint name for a cable: `<cluster>-<cable>`, lower case, at most 253. */
export function endpointName(local: Endpoint): string {
  return `${local.clusterId}-${local.cableName}`.toLowerCase().slice(0, 253);
}

/** EndpointSpec with Submariner's JSON names. */
export function endpointSpec(e: Endpoint): Record<string, unknown> {
  return {
    cluster_id: e.clusterId,
    cable_name: e.cableName,
    ...(e.healthCheckIp ? { healthCheckIP: e.healthCheckIp } : {}),
    hostname: e.hostname,
    subnets: [...e.subnets],
    private_ip: e.privateIp,
    public_ip: e.publicIp,
    nat_enabled: e.natEnabled,
    backend: e.backend,
    backend_config: { ...e.backendConfig },
  };
}

export function endpointObject(local: Endpoint, namespace: string): Record<string, unknown> {
  return {
    apiVersion: SUBMARINER_API,
    kind: 'Endpoint',
    metadata: { name: endpointName(local), namespace, labels: { [CLUSTER_ID_LABEL]: local.clusterId } },
    spec: endpointSpec(local),
  };
}

/** A Go duration string, as Submariner's LatencyRTTSpec holds ("176.502µs", "1.5ms"). */
export function goDuration(ns: number): string {
  if (!Number.isFinite(ns) || ns <= 0) return '0s';
  const trim = (n: number): string => String(Number(n.toFixed(3)));
  if (ns < 1e3) return `${Math.round(ns)}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  return `${trim(ns / 1e9)}s`;
}

function statusWord(s: ConnectionStatus): string {
  switch (s) {
    case ConnectionStatus.CONNECTION_STATUS_CONNECTED:
      return 'connected';
    case ConnectionStatus.CONNECTION_STATUS_CONNECTING:
      return 'connecting';
    case ConnectionStatus.CONNECTION_STATUS_ERROR:
      return 'error';
    default:
      return 'none';
  }
}

/** Submariner's v1.Connection. */
export function connectionJson(c: Connection): Record<string, unknown> {
  const rtt = c.latencyRtt;
  return {
    status: statusWord(c.status),
    statusMessage: c.statusMessage,
    endpoint: c.endpoint ? endpointSpec(c.endpoint) : {},
    ...(c.usingIp ? { usingIP: c.usingIp } : {}),
    ...(c.usingNat ? { usingNAT: true } : {}),
    ...(rtt && rtt.lastNs > 0
      ? {
          latencyRTT: {
            last: goDuration(rtt.lastNs),
            min: goDuration(rtt.minNs),
            average: goDuration(rtt.averageNs),
            max: goDuration(rtt.maxNs),
            stdDev: goDuration(rtt.stddevNs),
          },
        }
      : {}),
  };
}

/** The Gateway resource for this gateway's status and connections, stamped `nowMs`. */
export function gatewayObject(
  name: string,
  namespace: string,
  status: GatewayStatus,
  connections: readonly Connection[],
  nowMs: number,
): Record<string, unknown> {
  return {
    apiVersion: SUBMARINER_API,
    kind: 'Gateway',
    metadata: {
      name,
      namespace,
      annotations: { [UPDATE_TIMESTAMP]: String(Math.floor(nowMs / 1000)) },
      ...(status.localEndpoint ? { labels: { [CLUSTER_ID_LABEL]: status.localEndpoint.clusterId } } : {}),
    },
    status: {
      version: status.version,
      haStatus: status.haStatus,
      localEndpoint: status.localEndpoint ? endpointSpec(status.localEndpoint) : {},
      statusFailure: status.statusFailure,
      connections: connections.map(connectionJson),
    },
  };
}
