/**
 * The VXLAN overlay between gateways, shared by the plain VXLAN cable driver
 * and the libreswan transport-mode driver: one device (default vxlan-tunnel,
 * VNI 1000), a 241.x/8 VTEP address, one zero-MAC FDB entry per remote, the
 * remote subnets via the remote VTEPs in table 100, and `priority 100 lookup
 * 100`. Every method is idempotent and the calls are serialised.
 */
import type { Logger } from '../lib/logger.js';
import { silentLogger } from '../lib/logger.js';
import { FailedPreconditionError } from '../lib/errors.js';
import { ZERO_MAC, type LinkInfo, type NetlinkAdapter, type NetlinkWrite } from '../lib/netlink/index.js';
import { KernelView } from './kernel-view.js';
import { procSysctl, type Sysctl } from '../lib/sysctl.js';
import { resolveOverlayOptions, type ResolvedOverlayOptions, type VxlanOverlayOptions } from './options.js';
import { planEnsureRemote, planRemoveRemote, resolveRemote, type RemotePlan, type RemoteSpec } from './remote-plan.js';
import type { DeviceResult, EnsureDeviceOptions, OverlayDeps, OverlayState, RemoteChange } from './types.js';
import { detectUnderlay } from './underlay.js';
import { overlayMtu, vtepCidrFor } from './vtep.js';

/** The VXLAN overlay. The constructor only validates; kernel work starts with `ensureDevice()`. */
export class VxlanOverlay {
  readonly options: ResolvedOverlayOptions;
  private readonly nl: NetlinkAdapter;
  private readonly sysctl: Sysctl;
  private readonly log: Logger;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * What this overlay last read from or wrote to the kernel, so installing N
   * remotes costs N small writes rather than N full dumps: read at the first
   * install after it was dropped (one dump per burst), kept up to date by the
   * installs, and dropped by every listRemotes() (the drivers' status
   * reading: what it read is indexed for the status and then let go, so a
   * watched driver's reading every 2 s leaves nothing behind that lives long
   * enough to grow its heap; issue 15, P4), by ensureDevice() and cleanup().
   * Installs are idempotent writes, so a stale entry can only delay the
   * deletion of a route someone else added, never leave one missing.
   */
  private cache: KernelView | undefined;

  constructor(options: VxlanOverlayOptions, deps: OverlayDeps) {
    this.options = resolveOverlayOptions(options);
    this.nl = deps.netlink;
    this.sysctl = deps.sysctl ?? procSysctl();
    this.log = deps.logger ?? silentLogger();
  }

  /** Local VTEP with prefix length, e.g. "241.18.0.8/8". */
  get vtepCidr(): string {
    const o = this.options;
    return vtepCidrFor(o.localIp, o.vtepPrefix, o.vtepPrefixLength);
  }

  /** Creates or adopts the device, then its address, sysctls and rule. */
  ensureDevice(opts: EnsureDeviceOptions = {}): Promise<DeviceResult> {
    return this.serialise(async () => {
      this.cache = undefined;
      const o = this.options;
      const underlay = await detectUnderlay(this.nl, {
        localIp: o.localIp,
        ifindex: o.underlayIndex,
        mtu: o.underlayMtu,
      });
      const mtu = o.mtu ?? overlayMtu(underlay.mtu, o.mtuOverhead);
      let link = await this.nl.getLink(o.deviceName);
      const adopted = link !== undefined && this.matches(link, underlay.ifindex);
      const replaced = link !== undefined && !adopted;
      if (link && replaced) {
        this.log.info('replacing mismatching overlay device', { device: o.deviceName, found: link.vxlan ?? link.kind });
        await this.nl.deleteLink(link.index);
      }
      if (!link || replaced) {
        link = await this.nl.createVxlan({
          name: o.deviceName,
          vni: o.vni,
          port: o.port,
          localIp: o.localIp,
          underlayIndex: underlay.ifindex,
          mtu,
        });
        this.log.info('created overlay device', {
          device: o.deviceName,
          ifindex: link.index,
          vni: o.vni,
          port: o.port,
          mtu,
        });
      } else {
        this.log.info('adopted overlay device', { device: o.deviceName, ifindex: link.index });
      }
      if (link.mtu !== mtu) await this.nl.setLinkMtu(link.index, mtu);
      await this.ensureOnlyVtepAddress(link.index);
      if (o.rpFilter !== false) await this.sysctl.setRpFilter(o.deviceName, o.rpFilter);
      if (o.forwarding) await this.sysctl.setForwarding(o.deviceName, true);
      await this.nl.ensureRule({ priority: o.rulePriority, table: o.table });
      const up = opts.up ?? true;
      if (up && !link.up) await this.nl.setLinkUp(link.index, true);
      return { ifindex: link.index, adopted, replaced, mtu, vtepCidr: this.vtepCidr, up: up || link.up };
    });
  }

  /** Sets the device up (routes via remote VTEPs need it up). */
  setUp(): Promise<void> {
    return this.serialise(async () => this.nl.setLinkUp((await this.requireDevice()).index, true));
  }

  /** Sets the device down. The kernel then flushes its routes: call `ensureRemote` again after `setUp`. */
  setDown(): Promise<void> {
    return this.serialise(async () => this.nl.setLinkUp((await this.requireDevice()).index, false));
  }

  /**
   * Installs one remote: FDB `00:00:00:00:00:00 dst <remoteIp>` and each subnet
   * via the remote VTEP in the overlay table. Removes this remote's routes (and
   * `previous`'s FDB entry and routes) that are no longer wanted. Needs the device up.
   */
  ensureRemote(spec: RemoteSpec, previous?: RemoteSpec): Promise<RemoteChange> {
    return this.serialise(async () => {
      const want = resolveRemote(spec, this.options.vtepPrefix);
      const prev = previous ? resolveRemote(previous, this.options.vtepPrefix) : undefined;
      const ctx = await this.cached();
      const { link } = ctx;
      if (!link.up) {
        this.cache = undefined;
        throw new FailedPreconditionError(
          `install remote ${want.remoteIp} on ${link.name}: the device is down and the kernel refuses routes via a gateway on a down device; call setUp() first`,
        );
      }
      const plan = planEnsureRemote(ctx.narrow(want, prev), want, prev);
      const change = await this.apply(link, plan, want.vtep);
      this.log.debug('installed overlay remote', { remoteIp: want.remoteIp, ...change });
      return change;
    });
  }

  /** Removes exactly one remote's FDB entry and its routes (via its VTEP). Absent things are fine. */
  removeRemote(remote: Pick<RemoteSpec, 'remoteIp' | 'remoteVtepSourceIp'>): Promise<RemoteChange> {
    return this.serialise(async () => {
      const r = resolveRemote({ ...remote, subnets: [] }, this.options.vtepPrefix);
      const empty: RemoteChange = { vtep: r.vtep, fdbAdded: [], fdbRemoved: [], routesReplaced: [], routesRemoved: [] };
      const ctx =
        this.cache ?? (await this.nl.getLink(this.options.deviceName).then((l) => (l ? this.cached() : undefined)));
      if (!ctx) return empty;
      const change = await this.apply(ctx.link, planRemoveRemote(ctx.narrow(r), r), r.vtep);
      this.log.debug('removed overlay remote', { remoteIp: r.remoteIp, ...change });
      return change;
    });
  }

  /**
   * Many remotes in one burst: the removals, then the installs, each planned
   * against one cached view of the kernel, and every write of them sent as
   * one ordered netlink batch (NetlinkAdapter.writeBatch: few syscalls, no
   * promise per write; the kernel applies them in order).
   * Returns one outcome per item, removals first, in order: what changed, or
   * the Error that stopped that item. Installs need the device up.
   */
  applyRemotes(
    remove: readonly Pick<RemoteSpec, 'remoteIp' | 'remoteVtepSourceIp'>[],
    ensure: readonly { spec: RemoteSpec; previous?: RemoteSpec }[],
  ): Promise<(RemoteChange | Error)[]> {
    return this.serialise(async () => {
      const exists = this.cache ?? (await this.nl.getLink(this.options.deviceName));
      if (!exists) {
        if (ensure.length) await this.requireDevice(); // throws: no device to install on
        return remove.map(() => ({ vtep: '', fdbAdded: [], fdbRemoved: [], routesReplaced: [], routesRemoved: [] }));
      }
      const ctx = await this.cached();
      if (ensure.length && !ctx.link.up) {
        this.cache = undefined;
        throw new FailedPreconditionError(
          `install remotes on ${ctx.link.name}: the device is down; call setUp() first`,
        );
      }
      // Every item's writes go into one ordered batch (make before break within each item).
      const writes: NetlinkWrite[] = [];
      const items: ({ from: number; to: number; plan: RemotePlan; vtep: string } | Error)[] = [];
      const start = (planOf: () => { plan: RemotePlan; vtep: string }): void => {
        try {
          const { plan, vtep } = planOf();
          ctx.apply(plan);
          const from = writes.length;
          writes.push(...writesOf(ctx.link.index, plan));
          items.push({ from, to: writes.length, plan, vtep });
        } catch (err) {
          items.push(asError(err));
        }
      };
      for (const r of remove) {
        start(() => {
          const want = resolveRemote({ ...r, subnets: [] }, this.options.vtepPrefix);
          return { plan: planRemoveRemote(ctx.narrow(want), want), vtep: want.vtep };
        });
      }
      for (const { spec, previous } of ensure) {
        start(() => {
          const want = resolveRemote(spec, this.options.vtepPrefix);
          const prev = previous ? resolveRemote(previous, this.options.vtepPrefix) : undefined;
          return { plan: planEnsureRemote(ctx.narrow(want, prev), want, prev), vtep: want.vtep };
        });
      }
      const results = writes.length ? await this.nl.writeBatch(writes) : [];
      const outcomes = items.map((it): RemoteChange | Error => {
        if (it instanceof Error) return it;
        for (let i = it.from; i < it.to; i++) if (results[i]) return results[i]!;
        return changeOf(it.plan, it.vtep);
      });
      if (outcomes.some((o) => o instanceof Error)) this.cache = undefined;
      this.log.debug('applied overlay remotes', { removed: remove.length, ensured: ensure.length });
      return outcomes;
    });
  }

  /** FDB destinations and routes per remote VTEP currently in the kernel. */
  listRemotes(): Promise<OverlayState> {
    return this.serialise(async () => {
      this.cache = undefined;
      const link = await this.nl.getLink(this.options.deviceName);
      if (!link) return { fdbDsts: [], routes: [] };
      const ctx = await this.context(link);
      const byVtep = new Map<string, string[]>();
      for (const r of ctx.routes) {
        if (r.oif !== link.index || !r.gateway) continue;
        const subnets = byVtep.get(r.gateway);
        if (subnets) subnets.push(r.dst);
        else byVtep.set(r.gateway, [r.dst]);
      }
      const v = link.vxlan;
      return {
        device: {
          ifindex: link.index,
          name: link.name,
          up: link.up,
          mtu: link.mtu,
          vni: v?.vni,
          port: v?.port,
          localIp: v?.localIp,
        },
        fdbDsts: ctx.fdb.filter((e) => e.mac === ZERO_MAC && e.dst).map((e) => e.dst as string),
        routes: [...byVtep].map(([vtep, subnets]) => ({ vtep, subnets })),
      };
    });
  }

  /**
   * Removes every remote's entries that `keep` does not name: zero-MAC FDB
   * entries to other destinations, and overlay-table routes on this device via
   * other VTEPs. For a driver that knows its full set of remotes (at Init),
   * so entries orphaned by a crash between a kernel write and its record go.
   * Returns what was removed.
   */
  sweep(
    keep: readonly Pick<RemoteSpec, 'remoteIp' | 'remoteVtepSourceIp'>[],
  ): Promise<{ fdb: string[]; routes: string[] }> {
    return this.serialise(async () => {
      this.cache = undefined;
      const link = await this.nl.getLink(this.options.deviceName);
      if (!link) return { fdb: [], routes: [] };
      const kept = keep.map((k) => resolveRemote({ ...k, subnets: [] }, this.options.vtepPrefix));
      const dsts = new Set(kept.map((k) => k.remoteIp));
      const vteps = new Set(kept.map((k) => k.vtep));
      const ctx = await this.context(link);
      const removed = { fdb: [] as string[], routes: [] as string[] };
      for (const r of ctx.routes) {
        if (r.oif !== link.index || !r.gateway || vteps.has(r.gateway)) continue;
        await this.nl.deleteRoute({ dst: r.dst, table: this.options.table, oif: r.oif, priority: r.priority });
        removed.routes.push(`${r.dst} via ${r.gateway}`);
      }
      for (const e of ctx.fdb) {
        if (e.mac !== ZERO_MAC || !e.dst || dsts.has(e.dst)) continue;
        await this.nl.deleteFdb(link.index, e.dst, ZERO_MAC);
        removed.fdb.push(e.dst);
      }
      if (removed.fdb.length || removed.routes.length) this.log.info('removed orphaned overlay entries', removed);
      return removed;
    });
  }

  /** Removes the device, its routes in the overlay table and the rule. Re-runnable. */
  cleanup(): Promise<void> {
    return this.serialise(async () => {
      this.cache = undefined;
      const o = this.options;
      const link = await this.nl.getLink(o.deviceName);
      if (link) {
        for (const r of await this.nl.listRoutes(o.table)) {
          if (r.oif === link.index)
            await this.nl.deleteRoute({ dst: r.dst, table: o.table, oif: r.oif, priority: r.priority });
        }
        await this.nl.deleteLink(link.index);
      }
      await this.nl.deleteRule({ priority: o.rulePriority, table: o.table });
      this.log.info('removed overlay', { device: o.deviceName, existed: Boolean(link) });
    });
  }

  private matches(link: LinkInfo, underlayIndex: number | undefined): boolean {
    const o = this.options;
    const v = link.vxlan;
    return (
      link.kind === 'vxlan' &&
      v !== undefined &&
      v.vni === o.vni &&
      v.port === o.port &&
      v.localIp === o.localIp &&
      !v.learning &&
      (underlayIndex === undefined || v.underlayIndex === underlayIndex)
    );
  }

  private async ensureOnlyVtepAddress(ifindex: number): Promise<void> {
    const want = this.vtepCidr;
    for (const a of await this.nl.listAddresses(ifindex)) {
      if (a.cidr !== want) await this.nl.deleteAddress(ifindex, a.cidr);
    }
    await this.nl.ensureAddress(ifindex, want);
  }

  private async requireDevice(): Promise<LinkInfo> {
    const link = await this.nl.getLink(this.options.deviceName);
    if (!link)
      throw new FailedPreconditionError(
        `overlay device ${this.options.deviceName} does not exist: call ensureDevice() first`,
      );
    return link;
  }

  private async context(link: LinkInfo) {
    const o = this.options;
    const [fdb, routes] = await Promise.all([this.nl.listFdb(link.index), this.nl.listRoutes(o.table)]);
    return { ifindex: link.index, table: o.table, metric: o.routeMetric, fdb, routes };
  }

  /** The cached kernel view, read once (one getLink and two dumps) when absent. */
  private async cached(): Promise<KernelView> {
    if (!this.cache) {
      const link = await this.requireDevice();
      const ctx = await this.context(link);
      this.cache = new KernelView(link, this.options.table, this.options.routeMetric, ctx.fdb, ctx.routes);
    }
    return this.cache;
  }

  private async apply(link: LinkInfo, plan: RemotePlan, vtep: string): Promise<RemoteChange> {
    try {
      for (const dst of plan.addFdb) await this.nl.appendFdb(link.index, dst, ZERO_MAC);
      for (const r of plan.replaceRoutes) await this.nl.replaceRoute(r);
      for (const r of plan.deleteRoutes) await this.nl.deleteRoute(r);
      for (const dst of plan.deleteFdb) await this.nl.deleteFdb(link.index, dst, ZERO_MAC);
    } catch (err) {
      this.cache = undefined; // the kernel said something we did not expect: read it afresh next time
      throw err;
    }
    this.cache?.apply(plan);
    return changeOf(plan, vtep);
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** A plan's writes in make-before-break order: add FDB, replace routes, delete routes, delete FDB. */
function writesOf(linkIndex: number, plan: RemotePlan): NetlinkWrite[] {
  return [
    ...plan.addFdb.map((dst): NetlinkWrite => ({ op: 'appendFdb', linkIndex, dst, mac: ZERO_MAC })),
    ...plan.replaceRoutes.map((route): NetlinkWrite => ({ op: 'replaceRoute', route })),
    ...plan.deleteRoutes.map((route): NetlinkWrite => ({ op: 'deleteRoute', route })),
    ...plan.deleteFdb.map((dst): NetlinkWrite => ({ op: 'deleteFdb', linkIndex, dst, mac: ZERO_MAC })),
  ];
}

function changeOf(plan: RemotePlan, vtep: string): RemoteChange {
  return {
    vtep,
    fdbAdded: plan.addFdb,
    fdbRemoved: plan.deleteFdb,
    routesReplaced: plan.replaceRoutes.map((r) => r.dst),
    routesRemoved: plan.deleteRoutes.map((r) => r.dst),
  };
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
