/**
 * Turns raw entries into a snapshot: the valid remote endpoints with their
 * creation times, and the rejected entries with their reasons. A bad entry
 * is rejected alone; the others still count. Entries of the local cluster
 * are dropped (a gateway does not connect to itself), without being called
 * rejected, so one file can list every cluster. Every entry goes through the
 * same endpoint policy (endpoint-policy.ts), whichever source it came from.
 */
import type { Endpoint } from '../generated/cabled/driver/v1/driver.js';
import { formatIssue } from '../lib/errors.js';
import { DEFAULT_POLICY, type EndpointPolicy } from './endpoint-policy.js';
import { EndpointError, parseEndpoint } from './parse-endpoint.js';

/** A remote endpoint and where it came from. */
export interface RemoteEndpoint {
  readonly spec: Endpoint;
  /**
   * Creation time in ms since the epoch: metadata.creationTimestamp, else a
   * top-level creationTimestamp; undefined when the entry has none. An entry
   * without one counts as the oldest (src/engine/desired-state.ts), so the
   * choice between entries never depends on when an engine first saw them.
   */
  readonly createdAt?: number;
  /** The source, e.g. "file:/etc/cabled/endpoints.yaml". */
  readonly source: string;
  /** The entry, e.g. "/etc/cabled/endpoints.yaml[2]" or "kubernetes:ns/name". */
  readonly where?: string;
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
  /** Accepted entries with something left out, as Submariner does (e.g. a malformed port), each naming entry and field. */
  readonly warnings: readonly string[];
}

/** Inputs of buildSnapshot. */
export interface SnapshotInput {
  readonly entries: readonly unknown[];
  /** Names the file in `where` and `source`. */
  readonly path: string;
  readonly localClusterId?: string;
  /** Limits and this gateway. @default DEFAULT_POLICY */
  readonly policy?: EndpointPolicy;
  /** Names entry i in `where` (e.g. "kubernetes:ns/name"). @default `${path}[i]` */
  readonly whereOf?: (index: number) => string;
  /** The snapshot's `source`. @default `file:${path}` */
  readonly source?: string;
}

/** The cluster_id an entry names (spec or resource), trimmed, if it is a string. */
function clusterIdOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as { cluster_id?: unknown; spec?: { cluster_id?: unknown } };
  const id = typeof r.spec === 'object' && r.spec !== null ? r.spec.cluster_id : r.cluster_id;
  return typeof id === 'string' ? id.trim() : undefined;
}

/** Validates every entry and builds the snapshot (frozen). */
export function buildSnapshot(input: SnapshotInput): EndpointsSnapshot {
  const endpoints: RemoteEndpoint[] = [];
  const rejected: RejectedEndpoint[] = [];
  const warnings: string[] = [];
  const byCable = new Map<string, number>();
  const policy = input.policy ?? DEFAULT_POLICY;
  const localClusterId = input.localClusterId ?? policy.local?.clusterId;
  const whereOf = input.whereOf ?? ((i: number) => `${input.path}[${i}]`);
  const source = input.source ?? `file:${input.path}`;
  const max = policy.limits.maxEndpoints;
  input.entries.slice(0, max).forEach((raw, i) => {
    const where = whereOf(i);
    // This gateway's own entry is left out before it is checked against this gateway.
    if (localClusterId !== undefined && clusterIdOf(raw) === localClusterId) return;
    try {
      const parsed = parseEndpoint(raw, where, policy);
      const { spec, createdAt } = parsed;
      const first = byCable.get(spec.cableName);
      if (first !== undefined) {
        rejected.push({
          where: `${where} (cluster_id "${spec.clusterId}")`,
          reason: `same cable ${spec.cableName} as ${whereOf(first)}; remove one of them`,
        });
        return;
      }
      byCable.set(spec.cableName, i);
      for (const w of parsed.warnings) warnings.push(`${where} (cluster_id "${spec.clusterId}"): ${w}`);
      endpoints.push(Object.freeze({ spec, createdAt, source, where }));
    } catch (err) {
      if (!(err instanceof EndpointError)) throw err;
      rejected.push({ where: err.where, reason: err.issues.map(formatIssue).join('; ') });
    }
  });
  if (input.entries.length > max)
    rejected.push({
      where: `${whereOf(max)} to ${whereOf(input.entries.length - 1)}`,
      reason: `${input.entries.length} entries, more than ${max} (the endpoints-max-count limit); entries past the first ${max} are ignored`,
    });
  return Object.freeze({
    endpoints: Object.freeze(endpoints),
    rejected: Object.freeze(rejected),
    warnings: Object.freeze(warnings),
  });
}
