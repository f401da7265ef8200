/**
 * The overlay's cached view of its kernel state (zero-MAC FDB entries of the
 * device, routes of the overlay table), indexed so that planning one remote
 * looks only at the entries that concern it: installing N remotes costs O(N),
 * not O(N^2). Plans are still made by the pure planners in remote-plan.ts,
 * on the narrowed context this view hands them.
 */
import { ZERO_MAC, type FdbEntry, type LinkInfo, type RouteInfo } from '../lib/netlink/index.js';
import type { PlanContext, RemotePlan, ResolvedRemote } from './remote-plan.js';

const routeKey = (r: { dst: string; priority?: number }): string => `${r.dst}|${r.priority ?? 0}`;

export class KernelView {
  /** Zero-MAC FDB entries by destination. */
  private readonly fdb = new Map<string, FdbEntry>();
  /** Routes of the table by (dst, metric): what "replace" replaces. */
  private readonly routes = new Map<string, RouteInfo>();
  /** Route keys by gateway (remote VTEP). */
  private readonly byGateway = new Map<string, Set<string>>();

  constructor(
    readonly link: LinkInfo,
    private readonly table: number,
    private readonly metric: number,
    fdb: readonly FdbEntry[],
    routes: readonly RouteInfo[],
  ) {
    for (const e of fdb) if (e.mac === ZERO_MAC && e.dst) this.fdb.set(e.dst, e);
    for (const r of routes) if (r.table === table) this.addRoute(r);
  }

  /** A plan context holding only what concerns these remotes. */
  narrow(
    ...remotes: ((Pick<ResolvedRemote, 'remoteIp' | 'vtep'> & { subnets?: readonly string[] }) | undefined)[]
  ): PlanContext {
    const fdb: FdbEntry[] = [];
    const keys = new Set<string>();
    for (const r of remotes) {
      if (!r) continue;
      const e = this.fdb.get(r.remoteIp);
      if (e) fdb.push(e);
      for (const k of this.byGateway.get(r.vtep) ?? []) keys.add(k);
      for (const dst of r.subnets ?? []) keys.add(routeKey({ dst, priority: this.metric }));
    }
    const routes = [...keys].map((k) => this.routes.get(k)).filter((r): r is RouteInfo => r !== undefined);
    return { ifindex: this.link.index, table: this.table, metric: this.metric, fdb, routes };
  }

  /** Records a plan that was (or is being) carried out. */
  apply(plan: RemotePlan): void {
    for (const dst of plan.deleteFdb) this.fdb.delete(dst);
    for (const dst of plan.addFdb)
      this.fdb.set(dst, { linkIndex: this.link.index, mac: ZERO_MAC, dst, permanent: true, self: true });
    for (const m of plan.deleteRoutes) {
      const r = this.routes.get(routeKey(m));
      if (r && (m.gateway === undefined || r.gateway === m.gateway)) this.deleteRoute(r);
    }
    for (const s of plan.replaceRoutes) {
      const old = this.routes.get(routeKey(s));
      if (old) this.deleteRoute(old);
      this.addRoute({
        dst: s.dst,
        gateway: s.gateway,
        oif: s.oif,
        table: s.table,
        src: s.src,
        priority: s.priority,
        type: 'unicast',
        protocol: 4,
      });
    }
  }

  private addRoute(r: RouteInfo): void {
    const key = routeKey(r);
    this.routes.set(key, r);
    if (r.gateway) {
      let set = this.byGateway.get(r.gateway);
      if (!set) this.byGateway.set(r.gateway, (set = new Set()));
      set.add(key);
    }
  }

  private deleteRoute(r: RouteInfo): void {
    const key = routeKey(r);
    this.routes.delete(key);
    if (r.gateway) this.byGateway.get(r.gateway)?.delete(key);
  }
}
