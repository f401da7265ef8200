/**
 * Turns raw entries into a snapshot: the valid remote endpoints with their
 * creation times, and the rejected entries with their reasons. A bad entry
 * is rejected alone; the others still count. Entries of the local cluster
 * are dropped (a gateway does not connect to itself), without being called
 * rejected, so one file can list every cluster.
 */
import type { Endpoint } from '../generated/cabled/driver/v1/driver.js';
import { formatIssue } from '../lib/errors.js';
import type { FirstSeen } from './created-at.js';
import { EndpointError, parseEndpoint } from './parse-endpoint.js';

/** A remote endpoint and where it came from. */
export interface RemoteEndpoint {
  readonly spec: Endpoint;
  /**
   * Creation time in ms since the epoch: metadata.creationTimestamp, else a
   * top-level creationTimestamp, else when the source first saw the entry
   * (stable while the entry stays). Newest wins among one cluster's
   * endpoints; entries first seen in the same read share a time.
   */
  readonly createdAt: number;
  /** The source, e.g. "file:/etc/cabled/endpoints.yaml". */
  readonly source: string;
}

/** An entry that was not accepted. */
export interface RejectedEndpoint {
  /** The entry, e.g. '/etc/cabled/endpoints.yaml[2] (cluster_id "c2")'. */
  readonly where: string;
  /** Every problem, each naming field, value and reason. */
  readonly reason: string;
}

/** What a source holds right now. */
export interface EndpointsSnapshot {
  readonly endpoints: readonly RemoteEndpoint[];
  readonly rejected: readonly RejectedEndpoint[];
}

/** Inputs of buildSnapshot. */
export interface SnapshotInput {
  readonly entries: readonly unknown[];
  /** Names the file in `where` and `source`. */
  readonly path: string;
  readonly firstSeen: FirstSeen;
  readonly localClusterId?: string;
  /** Names entry i in `where` (e.g. "kubernetes:ns/name"). @default `${path}[i]` */
  readonly whereOf?: (index: number) => string;
  /** The snapshot's `source`. @default `file:${path}` */
  readonly source?: string;
}

/** Validates every entry and builds the snapshot (frozen). */
export function buildSnapshot(input: SnapshotInput): EndpointsSnapshot {
  const endpoints: RemoteEndpoint[] = [];
  const rejected: RejectedEndpoint[] = [];
  const byCable = new Map<string, number>();
  const read = input.firstSeen.begin();
  const whereOf = input.whereOf ?? ((i: number) => `${input.path}[${i}]`);
  const source = input.source ?? `file:${input.path}`;
  input.entries.forEach((raw, i) => {
    const where = whereOf(i);
    try {
      const { spec, createdAt } = parseEndpoint(raw, where);
      if (input.localClusterId !== undefined && spec.clusterId === input.localClusterId) return;
      const first = byCable.get(spec.cableName);
      if (first !== undefined) {
        rejected.push({
          where: `${where} (cluster_id "${spec.clusterId}")`,
          reason: `same cable ${spec.cableName} as ${whereOf(first)}; remove one of them`,
        });
        return;
      }
      byCable.set(spec.cableName, i);
      const seen = read.stamp(spec.cableName);
      endpoints.push(Object.freeze({ spec, createdAt: createdAt ?? seen, source }));
    } catch (err) {
      if (!(err instanceof EndpointError)) throw err;
      rejected.push({ where: err.where, reason: err.issues.map(formatIssue).join('; ') });
    }
  });
  read.end();
  return Object.freeze({ endpoints: Object.freeze(endpoints), rejected: Object.freeze(rejected) });
}
