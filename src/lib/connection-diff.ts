/**
 * Turns two lists of connections into the events between them. Used by the
 * driver SDK (WatchConnections) and by the engine (its own watch stream), so
 * both report changes the same way. Connections are keyed by cable name.
 */
import { Connection, type ConnectionEvent, ConnectionEvent_Kind } from '../generated/cabled/driver/v1/driver.js';

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

function sameConnection(a: Connection, b: Connection): boolean {
  return JSON.stringify(Connection.toJSON(a)) === JSON.stringify(Connection.toJSON(b));
}
