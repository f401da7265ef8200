/**
 * Merges the snapshots of several endpoint sources (the file and the
 * Kubernetes API, with --endpoints-source both) into one. The same cable
 * from two sources is kept once: the newer entry (creation time; none counts
 * as the oldest) wins, ties go to the earlier source; the other is listed as
 * rejected with the reason, so `cablectl status` shows the duplicate.
 * Rejections and warnings of every source are kept.
 */
import type { EndpointsSnapshot, RejectedEndpoint, RemoteEndpoint } from './snapshot.js';

/** One snapshot holding every source's endpoints (frozen). */
export function mergeSnapshots(parts: readonly EndpointsSnapshot[]): EndpointsSnapshot {
  const byCable = new Map<string, RemoteEndpoint>();
  const rejected: RejectedEndpoint[] = parts.flatMap((p) => p.rejected);
  for (const ep of parts.flatMap((p) => p.endpoints)) {
    const prev = byCable.get(ep.spec.cableName);
    if (!prev) {
      byCable.set(ep.spec.cableName, ep);
      continue;
    }
    const [kept, dropped] =
      (ep.createdAt ?? Number.NEGATIVE_INFINITY) > (prev.createdAt ?? Number.NEGATIVE_INFINITY)
        ? [ep, prev]
        : [prev, ep];
    byCable.set(ep.spec.cableName, kept);
    rejected.push({
      where: `${dropped.source} (cluster_id "${dropped.spec.clusterId}")`,
      reason: `same cable ${dropped.spec.cableName} as ${kept.source}, which is newer or listed first; remove one of them`,
    });
  }
  return Object.freeze({
    endpoints: Object.freeze([...byCable.values()]),
    rejected: Object.freeze(rejected),
    warnings: Object.freeze(parts.flatMap((p) => p.warnings)),
  });
}
