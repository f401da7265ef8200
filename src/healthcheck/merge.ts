/**
 * How a probe result changes the connection the engine reports (Submariner's
 * syncer rule, made stricter): the RTT statistics are attached; a connection
 * the driver reports connected becomes `error` when the probes say so.
 * Nothing the driver did not report connected is turned connected by an
 * answered probe (the driver saw a failure; an answer does not undo it).
 */
import { ConnectionStatus, type Connection } from '../generated/cabled/driver/v1/driver.js';
import type { ProbeResult } from './probe-result.js';

export function mergeProbe(connection: Connection, probe: ProbeResult | undefined): Connection {
  if (!probe) return connection;
  const merged: Connection = { ...connection, latencyRtt: probe.rtt ?? connection.latencyRtt };
  if (connection.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED && probe.state === 'error') {
    merged.status = ConnectionStatus.CONNECTION_STATUS_ERROR;
    merged.statusMessage = probe.message;
  }
  return merged;
}
