/**
 * What the kernel must change to make one remote gateway's overlay entries
 * match the wanted spec: pure planning over listed FDB entries and routes,
 * so the rules ("touch only this remote's entries", "drop routes no longer
 * wanted") are testable without a kernel. vxlan-overlay.ts executes plans.
 */
import { InvalidArgumentError } from '../lib/errors.js';
import {
  assertIpv4,
  parseCidr,
  ZERO_MAC,
  type FdbEntry,
  type RouteInfo,
  type RouteMatch,
  type RouteSpec,
} from '../lib/netlink/index.js';
import { vtepIpFor } from './vtep.js';

/** One remote gateway as the caller describes it. */
export interface RemoteSpec {
  /** FDB destination: the IP the outer packets go to (NAT discovery's "use IP"). */
  remoteIp: string;
  /** The remote's private IP, from which its VTEP address is derived. */
  remoteVtepSourceIp: string;
  /** Remote cluster subnets (CIDRs with host bits clear) to route via the remote VTEP. */
  subnets: readonly string[];
  /** Preferred source for those routes (e.g. the local CNI interface IP); must be a local address. */
  routeSrc?: string;
}

/** A validated spec with its VTEP address and de-duplicated subnets. */
export interface ResolvedRemote {
  remoteIp: string;
  vtep: string;
  subnets: string[];
  routeSrc?: string;
}

/** Validates a remote spec and derives its VTEP. Throws InvalidArgumentError. */
export function resolveRemote(spec: RemoteSpec, vtepPrefix: number): ResolvedRemote {
  if (!spec || typeof spec !== 'object') throw new InvalidArgumentError('invalid remote: expected an object');
  assertIpv4(spec.remoteIp, 'remote IP (remoteIp)');
  assertIpv4(spec.remoteVtepSourceIp, 'remote private IP (remoteVtepSourceIp)');
  if (!Array.isArray(spec.subnets)) {
    throw new InvalidArgumentError(`invalid subnets for remote ${spec.remoteIp}: expected an array of CIDRs`);
  }
  for (const s of spec.subnets) parseCidr(s, `subnet of remote ${spec.remoteIp}`, { network: true });
  if (spec.routeSrc !== undefined) assertIpv4(spec.routeSrc, 'route source (routeSrc)');
  return {
    remoteIp: spec.remoteIp,
    vtep: vtepIpFor(spec.remoteVtepSourceIp, vtepPrefix),
    subnets: [...new Set(spec.subnets)],
    routeSrc: spec.routeSrc,
  };
}

/** Changes to apply, in order: add FDB, replace routes, delete routes, delete FDB (make before break). */
export interface RemotePlan {
  addFdb: string[];
  replaceRoutes: RouteSpec[];
  deleteRoutes: RouteMatch[];
  deleteFdb: string[];
}

/** The overlay device and table a plan is made for. */
export interface PlanContext {
  ifindex: number;
  table: number;
  metric: number;
  /** FDB entries of the device. */
  fdb: readonly FdbEntry[];
  /** Routes of the table (any device). */
  routes: readonly RouteInfo[];
}

function zeroMacDsts(fdb: readonly FdbEntry[]): Set<string> {
  return new Set(fdb.filter((e) => e.mac === ZERO_MAC && e.dst).map((e) => e.dst as string));
}

function toMatch(r: RouteInfo, table: number): RouteMatch {
  return { dst: r.dst, table, gateway: r.gateway, oif: r.oif, priority: r.priority };
}

/**
 * Plan for installing `want`. Routes via this remote's VTEP (or `previous`'s)
 * on the device that are not wanted are deleted; routes via other VTEPs are
 * left alone unless a wanted subnet replaces one with the same (dst, metric).
 */
export function planEnsureRemote(ctx: PlanContext, want: ResolvedRemote, previous?: ResolvedRemote): RemotePlan {
  const plan: RemotePlan = { addFdb: [], replaceRoutes: [], deleteRoutes: [], deleteFdb: [] };
  const dsts = zeroMacDsts(ctx.fdb);
  if (!dsts.has(want.remoteIp)) plan.addFdb.push(want.remoteIp);
  if (previous && previous.remoteIp !== want.remoteIp && previous.remoteIp !== '0.0.0.0' && dsts.has(previous.remoteIp))
    plan.deleteFdb.push(previous.remoteIp);

  const onDevice = ctx.routes.filter((r) => r.oif === ctx.ifindex && r.table === ctx.table);
  const wanted = new Set(want.subnets);
  for (const dst of want.subnets) {
    const current = onDevice.find((r) => r.dst === dst && (r.priority ?? 0) === ctx.metric);
    if (current && current.gateway === want.vtep && current.src === want.routeSrc) continue;
    plan.replaceRoutes.push({
      dst,
      gateway: want.vtep,
      oif: ctx.ifindex,
      table: ctx.table,
      priority: ctx.metric,
      ...(want.routeSrc ? { src: want.routeSrc } : {}),
    });
  }
  const ours = new Set([want.vtep, ...(previous ? [previous.vtep] : [])]);
  for (const r of onDevice) {
    if (!r.gateway || !ours.has(r.gateway)) continue;
    if (wanted.has(r.dst) && (r.priority ?? 0) === ctx.metric) continue; // kept or replaced in place
    plan.deleteRoutes.push(toMatch(r, ctx.table));
  }
  return plan;
}

/** Plan for removing one remote: its FDB dst and every route via its VTEP on the device. */
export function planRemoveRemote(ctx: PlanContext, remote: { remoteIp: string; vtep: string }): RemotePlan {
  const dsts = zeroMacDsts(ctx.fdb);
  return {
    addFdb: [],
    replaceRoutes: [],
    deleteRoutes: ctx.routes
      .filter((r) => r.oif === ctx.ifindex && r.table === ctx.table && r.gateway === remote.vtep)
      .map((r) => toMatch(r, ctx.table)),
    // 0.0.0.0 is "every destination" to the kernel: deleting it would cut every other remote.
    deleteFdb: dsts.has(remote.remoteIp) && remote.remoteIp !== '0.0.0.0' ? [remote.remoteIp] : [],
  };
}

/** The overlay's view of a remote endpoint: its FDB destination, VTEP source and subnets. */
export function remoteSpecOf(ep: { privateIp: string; subnets: readonly string[] }, usingIp: string): RemoteSpec {
  return { remoteIp: usingIp, remoteVtepSourceIp: ep.privateIp, subnets: ep.subnets };
}
