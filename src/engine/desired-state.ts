/**
 * Desired state, computed from the sources and nothing else, as a pure
 * function of the set of remote endpoints: the same set gives the same
 * answer on every engine, in any arrival order, after any restart.
 *
 * 1. One endpoint per remote cluster: the newest (creation time; an endpoint
 *    without one counts as the oldest), ties broken by the greater cable
 *    name. The others are superseded, each listed with the winner and why.
 * 2. Between clusters, the older one holds what both claim: clusters are
 *    taken oldest first (the creation time of the endpoint in use, none
 *    counting as the oldest; then cluster id). A younger cluster's subnet
 *    that overlaps an older cluster's subnet, or contains the address of
 *    any gateway of an older cluster (superseded ones too), is not installed; a younger cluster whose
 *    gateway address is an older cluster's, or lies inside an older
 *    cluster's subnet, gets no cable at all; with the VXLAN driver, so does
 *    one whose VTEP (241 + the private IP's last three octets) is this
 *    gateway's or an older cluster's. Each is listed, naming the cluster that
 *    holds the address space, and the cable's status says so.
 * Nothing in here depends on what was installed before, so a resync never
 * flips a route between two clusters.
 */
import { blockOf, ipv4ToInt, type RemoteEndpoint } from '../endpoints/index.js';
import { Addresses, Blocks } from './address-index.js';
import type { Endpoint, NatEndpointInfo } from '../generated/cabled/driver/v1/driver.js';

/** A subnet of a cable that is not installed, and the cluster that holds it. */
export interface WithheldSubnet {
  readonly subnet: string;
  readonly heldBy: string;
  readonly reason: string;
}

export interface DesiredCable {
  /** The endpoint to connect, with only the subnets it may have. */
  remote: NatEndpointInfo;
  createdAt?: number;
  source: string;
  /** Subnets of the endpoint not installed because an older cluster holds them. */
  withheld: readonly WithheldSubnet[];
}

/** The desired cables and what was left out, with reasons. */
export interface DesiredState {
  /** One cable per remote cluster, keyed by cluster id. */
  readonly cables: Map<string, DesiredCable>;
  /** Endpoints not used because another endpoint of the same cluster won. */
  readonly superseded: readonly string[];
  /** Subnets or whole cables not installed because an older cluster holds them. */
  readonly conflicts: readonly string[];
}

const age = (r: RemoteEndpoint): number => r.createdAt ?? Number.NEGATIVE_INFINITY;
const when = (r: RemoteEndpoint): string =>
  r.createdAt === undefined ? 'no creation time' : `created ${new Date(r.createdAt).toISOString()}`;
const nameOf = (r: RemoteEndpoint): string => `${r.spec.cableName} (${r.where ?? r.source})`;

/** Whether `a` beats `b` among one cluster's endpoints. */
function newer(a: RemoteEndpoint, b: RemoteEndpoint): boolean {
  if (age(a) !== age(b)) return age(a) > age(b);
  return a.spec.cableName > b.spec.cableName;
}

function whyNewer(winner: RemoteEndpoint, loser: RemoteEndpoint): string {
  if (age(winner) !== age(loser))
    return loser.createdAt === undefined
      ? 'it has a creation time and this one has none (none counts as the oldest)'
      : `it is newer (${when(winner)}, this one ${when(loser)})`;
  return winner.createdAt === undefined
    ? 'neither has a creation time, so the greater cable name wins; set creationTimestamp to choose'
    : 'both have the same creation time, so the greater cable name wins';
}

/** Whether cluster endpoint `a` is older (holds shared address space) than `b`. */
function older(a: RemoteEndpoint, b: RemoteEndpoint): number {
  if (age(a) !== age(b)) return age(a) - age(b);
  return a.spec.clusterId < b.spec.clusterId ? -1 : a.spec.clusterId > b.spec.clusterId ? 1 : 0;
}

/** The desired state for `local` from every valid remote endpoint. */
export function desiredState(local: Endpoint, remotes: readonly RemoteEndpoint[]): DesiredState {
  const chosen = new Map<string, RemoteEndpoint>();
  for (const r of remotes) {
    if (r.spec.clusterId === local.clusterId) continue;
    const prev = chosen.get(r.spec.clusterId);
    if (!prev || newer(r, prev)) chosen.set(r.spec.clusterId, r);
  }
  const byCluster = new Map<string, RemoteEndpoint[]>();
  for (const r of remotes) byCluster.set(r.spec.clusterId, [...(byCluster.get(r.spec.clusterId) ?? []), r]);
  for (const list of byCluster.values()) list.sort((a, b) => (a.spec.cableName < b.spec.cableName ? -1 : 1));
  const superseded: string[] = [];
  for (const r of remotes) {
    const winner = chosen.get(r.spec.clusterId);
    if (!winner || winner === r) continue;
    superseded.push(
      `${nameOf(r)}: superseded by ${nameOf(winner)} of the same cluster ${r.spec.clusterId}: ${whyNewer(winner, r)}`,
    );
  }
  superseded.sort();

  const cables = new Map<string, DesiredCable>();
  const conflicts: string[] = [];
  const granted = new Blocks<{ cidr: string; cluster: string }>();
  const gateways = new Addresses<{ ip: string; cluster: string }>();
  // The VXLAN overlay derives each gateway's VTEP from its private IP's last three octets.
  const vxlan = local.backend === 'vxlan';
  const vteps = new Map<string, string>();
  if (vxlan) vteps.set(vtepOf(local.privateIp), `this gateway's (private IP ${local.privateIp})`);
  for (const r of [...chosen.values()].sort(older)) {
    const ep = r.spec;
    const label = `cluster ${ep.clusterId} (${ep.cableName})`;
    const underlay = [
      { name: 'private_ip', ip: ep.privateIp },
      { name: 'public_ip', ip: ep.publicIp },
    ].filter((u) => u.ip !== '');
    const shared = underlay.flatMap((u) => {
      const g = gateways.get(u.ip);
      return g ? [{ u, g }] : [];
    })[0];
    if (shared) {
      conflicts.push(
        `${label}: not installed: its ${shared.u.name} ${shared.u.ip} is also the gateway address of cluster ${shared.g.cluster}, which is older`,
      );
      continue;
    }
    const vtep = vxlan ? vtepOf(ep.privateIp) : undefined;
    const sameVtep = vtep === undefined ? undefined : vteps.get(vtep);
    if (vtep !== undefined && sameVtep !== undefined) {
      conflicts.push(
        `${label}: not installed: its private_ip ${ep.privateIp} gives VXLAN VTEP 241.${vtep}, the same as ${sameVtep}; the overlay cannot tell them apart (the VTEP keeps the last three octets of the private IP)`,
      );
      continue;
    }
    const inside = underlay.flatMap((u) => {
      const g = granted.containing(ipv4ToInt(u.ip));
      return g ? [{ u, g }] : [];
    })[0];
    if (inside) {
      conflicts.push(
        `${label}: not installed: its ${inside.u.name} ${inside.u.ip} is inside subnet ${inside.g.cidr} of cluster ${inside.g.cluster}, which is older; its tunnel traffic would be routed into that cable`,
      );
      continue;
    }
    const keep: string[] = [];
    const withheld: WithheldSubnet[] = [];
    for (const subnet of ep.subnets) {
      const block = blockOf(subnet);
      const held = granted.firstOverlapping(block);
      const gw = held ? undefined : gateways.firstInside(block);
      if (held)
        withheld.push({
          subnet,
          heldBy: held.cluster,
          reason: `overlaps ${held.cidr} of cluster ${held.cluster}, which is older`,
        });
      else if (gw)
        withheld.push({
          subnet,
          heldBy: gw.cluster,
          reason: `contains the gateway address ${gw.ip} of cluster ${gw.cluster}`,
        });
      else keep.push(subnet);
    }
    const detail = withheld.map((w) => `${w.subnet} ${w.reason}`).join('; ');
    if (ep.subnets.length > 0 && keep.length === 0) {
      conflicts.push(`${label}: not installed: every subnet is held by an older cluster: ${detail}`);
      continue;
    }
    if (withheld.length) conflicts.push(`${label}: subnets not installed: ${detail}`);
    for (const cidr of keep) granted.add(blockOf(cidr), { cidr, cluster: ep.clusterId });
    // Every gateway of the cluster counts, the superseded (standby, stale) ones too.
    for (const sibling of byCluster.get(ep.clusterId) ?? [r])
      for (const ip of [sibling.spec.privateIp, sibling.spec.publicIp])
        if (ip !== '') gateways.add(ip, { ip, cluster: ep.clusterId });
    if (vtep !== undefined) vteps.set(vtep, `cluster ${ep.clusterId}'s (older)`);
    cables.set(ep.clusterId, {
      remote: natInfo(local, withheld.length ? { ...ep, subnets: keep } : ep),
      createdAt: r.createdAt,
      source: r.source,
      withheld,
    });
  }
  return { cables, superseded, conflicts };
}

/** The part of the VTEP address a private IP decides: its last three octets. */
function vtepOf(ip: string): string {
  return ip.split('.').slice(1).join('.');
}

/** One cable per remote cluster, keyed by cluster id (desiredState's cables). */
export function desiredCables(local: Endpoint, remotes: readonly RemoteEndpoint[]): Map<string, DesiredCable> {
  return desiredState(local, remotes).cables;
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
