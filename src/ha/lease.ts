/**
 * The coordination.k8s.io/v1 Lease the election runs on: read, create, and
 * update guarded by resourceVersion (the API server answers 409 Conflict
 * when someone else changed it since it was read; that is what keeps two
 * gateways from both winning).
 */
import type { KubeRest } from './kube-rest.js';

/** What the Lease says (spec), client-go's LeaderElectionRecord. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** ms since the epoch */
  acquireTime: number;
  renewTime: number;
  leaseTransitions: number;
}

/** A record as read, with the resourceVersion an update must carry. */
export interface ReadLease {
  record: LeaseRecord;
  resourceVersion: string;
}

/** Lease access; `undefined` from get means it does not exist. Conflicts throw with statusCode 409. */
export interface LeaseStore {
  readonly description: string;
  get(timeoutMs: number): Promise<ReadLease | undefined>;
  create(record: LeaseRecord, timeoutMs: number): Promise<ReadLease>;
  update(record: LeaseRecord, resourceVersion: string, timeoutMs: number): Promise<ReadLease>;
  /** Calls `onChange` whenever the Lease changes (a watch); undefined when not supported. */
  watch?(
    onChange: (lease: ReadLease | undefined) => void,
    idleTimeoutMs: number,
  ): { done: Promise<void>; close(): void };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

interface LeaseObject {
  metadata?: { resourceVersion?: string; name?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

function parseTime(text: string | undefined): number {
  const ms = text ? Date.parse(text) : Number.NaN;
  return Number.isFinite(ms) ? ms : 0;
}

/** A Lease object as read from the API, validated (bounded identity, numbers). */
export function fromObject(o: LeaseObject): ReadLease {
  const s = o.spec ?? {};
  const duration = Number(s.leaseDurationSeconds ?? 0);
  return {
    resourceVersion: String(o.metadata?.resourceVersion ?? ''),
    record: {
      holderIdentity: typeof s.holderIdentity === 'string' ? s.holderIdentity.slice(0, 253) : '',
      leaseDurationSeconds: Number.isFinite(duration) && duration > 0 ? Math.min(duration, 3600) : 0,
      acquireTime: parseTime(s.acquireTime),
      renewTime: parseTime(s.renewTime),
      leaseTransitions: Number.isInteger(s.leaseTransitions) ? Number(s.leaseTransitions) : 0,
    },
  };
}

function toObject(namespace: string, name: string, r: LeaseRecord, resourceVersion?: string): object {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      // An empty holder is how a released Lease reads (client-go writes it so too).
      holderIdentity: r.holderIdentity,
      leaseDurationSeconds: r.leaseDurationSeconds,
      acquireTime: microTime(r.acquireTime),
      renewTime: microTime(r.renewTime),
      leaseTransitions: r.leaseTransitions,
    },
  };
}

/** The Lease `namespace`/`name` in the API server `rest` talks to. */
export function kubeLeaseStore(rest: KubeRest, namespace: string, name: string): LeaseStore {
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
  const path = `${collection}/${name}`;
  return {
    description: `${namespace}/${name}`,
    async get(timeoutMs) {
      try {
        return fromObject(await rest.json<LeaseObject>({ method: 'GET', path, timeoutMs }));
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    },
    async create(record, timeoutMs) {
      return fromObject(
        await rest.json<LeaseObject>({
          method: 'POST',
          path: collection,
          body: toObject(namespace, name, record),
          timeoutMs,
        }),
      );
    },
    async update(record, resourceVersion, timeoutMs) {
      return fromObject(
        await rest.json<LeaseObject>({
          method: 'PUT',
          path,
          body: toObject(namespace, name, record, resourceVersion),
          timeoutMs,
        }),
      );
    },
    watch(onChange, idleTimeoutMs) {
      const query = `?watch=true&fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
      return rest.watch(
        `${collection}${query}`,
        (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') onChange(fromObject(e.object as LeaseObject));
          else if (e.type === 'DELETED') onChange(undefined);
        },
        idleTimeoutMs,
      );
    },
  };
}
