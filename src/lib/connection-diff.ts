/**
 * Turns two lists of connections into the events between them. Used by the
 * driver SDK (WatchConnections) and by the engine (its own watch stream), so
 * both report changes the same way. Connections are keyed by cable name.
 */
import {
  type Connection,
  type ConnectionEvent,
  ConnectionEvent_Kind,
  type Endpoint,
  type LatencyRtt,
  type SecurityAssociation,
} from '../generated/cabled/driver/v1/driver.js';

export function connectionKey(c: Connection): string {
  return c.endpoint?.cableName ?? '';
}

/** Events that turn `before` into `after`; unchanged connections give none. */
export function diffConnections(before: readonly Connection[], after: readonly Connection[]): ConnectionEvent[] {
  const old = new Map(before.map((c) => [connectionKey(c), c]));
  const events: ConnectionEvent[] = [];
  for (const c of after) {
    const key = connectionKey(c);
    const prev = old.get(key);
    old.delete(key);
    if (!prev) events.push({ kind: ConnectionEvent_Kind.KIND_ADDED, connection: c });
    else if (!sameConnection(prev, c)) events.push({ kind: ConnectionEvent_Kind.KIND_UPDATED, connection: c });
  }
  for (const c of old.values()) events.push({ kind: ConnectionEvent_Kind.KIND_REMOVED, connection: c });
  return events;
}

/** A snapshot of `connections` as events, the start of every watch stream. */
export function snapshotEvents(connections: readonly Connection[]): ConnectionEvent[] {
  return connections.map((c) => ({ kind: ConnectionEvent_Kind.KIND_SNAPSHOT, connection: c }));
}

/**
 * Field by field (no serialisation: the engine compares every connection at
 * every status refresh, 1000s of them, on its event loop). Equal exactly when
 * the two encode to the same message.
 */
export function sameConnection(a: Connection, b: Connection): boolean {
  if (a === b) return true;
  return (
    a.status === b.status &&
    a.statusMessage === b.statusMessage &&
    a.usingIp === b.usingIp &&
    a.usingNat === b.usingNat &&
    a.rxBytes === b.rxBytes &&
    a.txBytes === b.txBytes &&
    a.establishedUnixMs === b.establishedUnixMs &&
    a.partsInPlace === b.partsInPlace &&
    sameEndpoint(a.endpoint, b.endpoint) &&
    sameLatency(a.latencyRtt, b.latencyRtt) &&
    sameList(a.sas, b.sas, sameSa)
  );
}

function sameEndpoint(a: Endpoint | undefined, b: Endpoint | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.clusterId === b.clusterId &&
    a.cableName === b.cableName &&
    a.hostname === b.hostname &&
    a.privateIp === b.privateIp &&
    a.publicIp === b.publicIp &&
    a.natEnabled === b.natEnabled &&
    a.backend === b.backend &&
    a.healthCheckIp === b.healthCheckIp &&
    sameList(a.subnets, b.subnets, (x, y) => x === y) &&
    sameMap(a.backendConfig, b.backendConfig)
  );
}

function sameLatency(a: LatencyRtt | undefined, b: LatencyRtt | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.lastNs === b.lastNs &&
    a.minNs === b.minNs &&
    a.averageNs === b.averageNs &&
    a.maxNs === b.maxNs &&
    a.stddevNs === b.stddevNs
  );
}

function sameSa(a: SecurityAssociation, b: SecurityAssociation): boolean {
  return (
    a.name === b.name &&
    a.kind === b.kind &&
    a.state === b.state &&
    a.message === b.message &&
    a.rxBytes === b.rxBytes &&
    a.txBytes === b.txBytes &&
    a.ikeState === b.ikeState &&
    a.ikePeer === b.ikePeer
  );
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i]!, b[i]!)) return false;
  return true;
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k] || !Object.hasOwn(b, k)) return false;
  return true;
}
