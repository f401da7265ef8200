/**
 * What a driver remembers of each installed cable (kept in its StateStore),
 * and the Connection it reports for it. Shared by the drivers so that every
 * one reports connections the same way.
 */
import { ConnectionStatus, type Connection, type Endpoint } from '../generated/cabled/driver/v1/driver.js';

export interface CableRecord {
  endpoint: Endpoint;
  usingIp: string;
  usingNat: boolean;
  /** When the cable was first observed connected (unix ms), 0 if never. */
  establishedUnixMs: number;
}

/** The Connection for a cable in a given state; the established time only while connected. */
export function cableConnection(
  c: CableRecord,
  status: ConnectionStatus,
  message: string,
  sas: Connection['sas'] = [],
  bytes: { rx: number; tx: number } = { rx: 0, tx: 0 },
): Connection {
  return {
    status,
    statusMessage: message,
    endpoint: c.endpoint,
    usingIp: c.usingIp,
    usingNat: c.usingNat,
    sas,
    rxBytes: bytes.rx,
    txBytes: bytes.tx,
    establishedUnixMs: status === ConnectionStatus.CONNECTION_STATUS_CONNECTED ? c.establishedUnixMs : 0,
  };
}
