/**
 * Desired state, computed from the sources and nothing else: for each remote
 * cluster, the one endpoint whose cable should be up. As in Submariner, the
 * newest endpoint of a cluster wins (creation time; ties broken by cable name
 * so every run picks the same one), and the local cluster's own endpoints are
 * skipped.
 */
import type { RemoteEndpoint } from '../endpoints/index.js';
import type { Endpoint, NatEndpointInfo } from '../generated/cabled/driver/v1/driver.js';

export interface DesiredCable {
  remote: NatEndpointInfo;
  createdAt: number;
  source: string;
}

/** One cable per remote cluster, keyed by cluster id. */
export function desiredCables(local: Endpoint, remotes: readonly RemoteEndpoint[]): Map<string, DesiredCable> {
  const chosen = new Map<string, RemoteEndpoint>();
  for (const r of remotes) {
    if (r.spec.clusterId === local.clusterId) continue;
    const prev = chosen.get(r.spec.clusterId);
    if (!prev || newer(r, prev)) chosen.set(r.spec.clusterId, r);
  }
  const out = new Map<string, DesiredCable>();
  for (const [cluster, r] of chosen)
    out.set(cluster, { remote: natInfo(local, r.spec), createdAt: r.createdAt, source: r.source });
  return out;
}

function newer(a: RemoteEndpoint, b: RemoteEndpoint): boolean {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt;
  return a.spec.cableName > b.spec.cableName;
}

/**
 * Which remote IP to use and whether NAT is in the way. Without NAT
 * discovery this is Submariner's legacy rule: when either side says NAT is
 * enabled and the remote has a public IP, use that public IP with NAT;
 * otherwise the private IP without NAT.
 */
export function natInfo(local: Endpoint, remote: Endpoint): NatEndpointInfo {
  const useNat = (local.natEnabled || remote.natEnabled) && remote.publicIp !== '';
  return { endpoint: remote, useNat, useIp: useNat ? remote.publicIp : remote.privateIp };
}
