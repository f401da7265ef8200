/**
 * One install burst of the libreswan driver: many cables at once, in phases,
 * each phase one bounded-concurrency burst over all of them, so 200 cables
 * cost a few whack bursts rather than 200 sequences. A cable that fails a
 * phase is left out of the later ones and reported; the fail-closed order
 * (see driver.ts) holds per cable. The phases, top to bottom, are run().
 */
import { join } from 'node:path';
import type { NatEndpointInfo } from '../../src/generated/cabled/driver/v1/driver.js';
import { errorMessage } from '../../src/lib/errors.js';
import type { Logger } from '../../src/lib/logger.js';
import {
  VXLAN_BLOCK_PRIORITY,
  type XfrmAdapter,
  type XfrmBlockPolicySpec,
  type XfrmPolicyKey,
} from '../../src/lib/netlink/index.js';
import { loadWithAddconn, mapBounded, type LoadedConnection } from '../../src/lib/whack/index.js';
import { remoteSpecOf, type VxlanOverlay } from '../../src/overlay/index.js';
import type { CableRecord } from '../../src/sdk/cable-record.js';
import type { PlannedConnection } from './connection-plan.js';
import { HostPluto, type PlutoHandle } from './pluto/index.js';
import type { LibreswanSettings } from './settings.js';
import type { ResponderTakeOver } from './take-over.js';

/** From this many new connections in one call on, load them with one addconn call. */
const BULK_THRESHOLD = 8;

/** What the driver remembers of each cable (persisted in its state file). */
export interface LibreswanCable extends CableRecord {
  mode: 'tunnel' | 'transport';
  connections: PlannedConnection[];
  /** An install failed and could not be rolled back in full: reported in error, removed or installed again. */
  failed?: boolean;
}

/** One cable of the burst: what it wants, what it had, and what of it is new. */
interface CableWork {
  remote: NatEndpointInfo;
  conns: PlannedConnection[];
  /** The cable as installed before this burst, if it was. */
  previous: LibreswanCable | undefined;
  /** Connections pluto does not hold, or holds with another spec. */
  fresh: PlannedConnection[];
  /**
   * Connections to route: the fresh routed ones, and any whose trap policies were removed behind our back
   * (unrouted in pluto, or routed in pluto with the trap policy gone from the kernel).
   */
  toRoute: PlannedConnection[];
  /** Fresh connections pluto already holds under the same name (with another spec): replaced by delete + add. */
  replaced: PlannedConnection[];
}

/**
 * The guard of a tunnel-mode connection about to be replaced: cabled's block policy on its selectors
 * (outbound, local subnet -> remote subnet), below pluto's. libreswan 4.10 deletes a connection's kernel
 * policies with it, and the replacement's trap policy exists only once it is routed: without the guard,
 * the subnets' traffic leaves in the clear in between (seen in the stock-kernel guest: clear ICMP while
 * both gateways changed ceIPSecEsp). Transport mode has its per-remote VXLAN block for that.
 */
export function tunnelGuard(p: PlannedConnection): XfrmBlockPolicySpec | undefined {
  const { left, right } = p.spec;
  if (p.spec.mode !== 'tunnel' || !left.client || !right.client) return undefined;
  return { src: left.client, dst: right.client, dir: 'out', priority: VXLAN_BLOCK_PRIORITY };
}

/**
 * The timeout of one bulk addconn call: 60 s, plus 250 ms for each connection it routes with the updown
 * script (tunnel mode: pluto runs `_updown` once per route, one at a time, ~0.1 s each in a namespace on
 * this machine). Without it, 300 tunnel-mode cables (600 connections) timed out at 60 s every round, on
 * main too (bench/dead-peers.ts --mode tunnel --count 300). Transport mode disables updown: unchanged.
 */
export function addconnTimeoutMs(conns: readonly PlannedConnection[], auto: 'route' | 'add'): number {
  if (auto !== 'route') return 60_000;
  return 60_000 + 250 * conns.filter((p) => p.spec.updown !== '%disabled').length;
}

/** What a burst works with: the driver's pluto, kernel adapters and records. */
export interface InstallContext {
  settings: LibreswanSettings;
  pluto: PlutoHandle;
  xfrm: XfrmAdapter | undefined;
  overlay: VxlanOverlay | undefined;
  takeOver: ResponderTakeOver | undefined;
  stateDir: string;
  log: Logger;
  /** The cable as installed now, by cable name. */
  installed(cable: string): LibreswanCable | undefined;
  /** The XFRM block policy key for clear VXLAN towards `remoteIp`. */
  blockKey(remoteIp: string): XfrmPolicyKey;
  /** Deletes a connection from pluto (and its conn file in host mode). */
  dropConnection(name: string): Promise<void>;
  /** A fresh alias for the connections one bulk load initiates together. */
  nextAlias(): string;
}

export class CableInstall {
  private readonly work: CableWork[];
  private readonly errors = new Map<NatEndpointInfo, string>();
  /** Connection name -> its cable. */
  private readonly byName: Map<string, NatEndpointInfo>;
  /** Connections a bulk load with auto=route has already routed. */
  private readonly routed = new Set<string>();
  /** The alias of a bulk load's initiating connections; one whack call starts them all. */
  private groupInitiate: string | undefined;
  /** Whether any phase wrote anything (a policy, a connection, a route, an overlay entry, an initiation). */
  private wrote = false;
  /** Guard policies in place (tunnel mode, while connections are replaced). */
  private readonly guards: XfrmBlockPolicySpec[] = [];

  constructor(
    private readonly ctx: InstallContext,
    items: { remote: NatEndpointInfo; conns: PlannedConnection[] }[],
    loaded: Map<string, LoadedConnection>,
    /** Routed connections whose trap policy is not in the kernel (pluto may still call them routed). */
    missingTraps: ReadonlySet<string> = new Set(),
  ) {
    this.work = items.map((i) => {
      const previous = ctx.installed(i.remote.endpoint!.cableName);
      const same = (p: PlannedConnection) =>
        JSON.stringify(previous?.connections.find((q) => q.spec.name === p.spec.name)?.spec) === JSON.stringify(p.spec);
      const fresh = i.conns.filter((p) => !loaded.has(p.spec.name) || !same(p));
      const toRoute = i.conns.filter(
        (p) =>
          p.route &&
          (fresh.includes(p) || loaded.get(p.spec.name)?.routing === 'unrouted' || missingTraps.has(p.spec.name)),
      );
      const replaced = fresh.filter((p) => loaded.has(p.spec.name));
      return { ...i, previous, fresh, toRoute, replaced };
    });
    this.byName = new Map(this.work.flatMap((w) => w.conns.map((p) => [p.spec.name, w.remote] as const)));
  }

  /** Runs every phase in the fail-closed order; returns the error of each cable that failed one. */
  async run(): Promise<Map<NatEndpointInfo, string>> {
    await this.blockPolicies();
    try {
      await this.guardReplacements();
      await this.dropStaleConnections();
      await this.addConnections();
      await this.routeConnections();
    } finally {
      await this.dropGuards();
    }
    await this.overlay();
    await this.initiate();
    await this.takeOver();
    return this.errors;
  }

  /** The cables that failed a phase (the driver rolls them back). */
  failed(): CableWork[] {
    return this.work.filter((w) => this.errors.has(w.remote));
  }

  /** The cables that went through every phase, with what they now hold. */
  installed(): CableWork[] {
    return this.live();
  }

  /**
   * Whether the burst changed anything in pluto, XFRM or the overlay, or failed for a cable. False for
   * the repair of cables whose every part was already in place (a peer that does not answer): the
   * driver then has nothing new to show in its status, and does not read pluto again for it.
   */
  changedAnything(): boolean {
    return this.wrote || this.errors.size > 0;
  }

  /**
   * Block policies (transport mode): before anything of a cable exists, clear UDP to the VXLAN port
   * towards its gateway is dropped, so a missing SA drops VXLAN rather than leaking it. A cable that
   * moved to another gateway IP loses the old IP's block only once the new one is in place.
   */
  private async blockPolicies(): Promise<void> {
    const { settings, xfrm } = this.ctx;
    if (settings.mode !== 'transport') return;
    await Promise.all(
      this.work.map(async (w) => {
        try {
          if (await xfrm!.ensureBlockPolicy({ ...this.ctx.blockKey(w.remote.useIp), priority: VXLAN_BLOCK_PRIORITY }))
            this.wrote = true;
          if (w.previous && w.previous.usingIp !== w.remote.useIp) {
            this.wrote = true;
            await xfrm!.deletePolicy(this.ctx.blockKey(w.previous.usingIp));
          }
        } catch (err) {
          this.fail(w.remote, err);
        }
      }),
    );
  }

  /**
   * Guards (tunnel mode, see tunnelGuard): before a connection is replaced (delete + add), its selectors
   * are blocked by cabled, until the replacement is routed (pluto's trap policy, which beats the block,
   * holds the traffic while IKE runs). A guard that cannot be written is logged; the replacement goes on.
   */
  private async guardReplacements(): Promise<void> {
    const { xfrm } = this.ctx;
    if (this.ctx.settings.mode !== 'tunnel' || !xfrm) return;
    for (const w of this.live()) {
      const olds = w.replaced.map((p) => w.previous?.connections.find((q) => q.spec.name === p.spec.name) ?? p);
      for (const g of [...w.replaced, ...olds].map(tunnelGuard)) {
        if (!g || this.guards.some((x) => x.src === g.src && x.dst === g.dst)) continue;
        try {
          await xfrm.ensureBlockPolicy(g);
          this.guards.push(g);
          this.wrote = true;
        } catch (err) {
          // Not a reason to fail the cable: its rollback would delete the connection, unguarded.
          this.ctx.log.warn('a guard policy could not be written; the connection is replaced without it', {
            src: g.src,
            dst: g.dst,
            error: errorMessage(err),
          });
        }
      }
    }
    if (this.guards.length)
      this.ctx.log.info('replacing tunnel connections behind guard policies', { guards: this.guards.length });
  }

  /**
   * Removes the guards of the cables that went through (a failure is logged; the next Init's sweep removes
   * what no recorded cable needs). A cable that failed keeps its guard: its rollback deletes its
   * connections, and the guard keeps the subnets' traffic from leaving in the clear (seen in the guest when
   * a replacement's whack call timed out) until the cable is installed again or removed.
   */
  private async dropGuards(): Promise<void> {
    const failed = new Set(
      this.work
        .filter((w) => this.errors.has(w.remote))
        .flatMap((w) => [...w.conns, ...(w.previous?.connections ?? [])]),
    );
    const keep = new Set([...failed].map(tunnelGuard).map((g) => g && `${g.src} ${g.dst}`));
    for (const g of this.guards.splice(0)) {
      if (keep.has(`${g.src} ${g.dst}`)) continue;
      await this.ctx
        .xfrm!.deletePolicy(g)
        .catch((err: unknown) =>
          this.ctx.log.warn('removing a guard policy failed', { src: g.src, dst: g.dst, error: errorMessage(err) }),
        );
    }
  }

  /** Stale connections: those of a cable's previous version that it no longer wants (they carry nothing new). */
  private async dropStaleConnections(): Promise<void> {
    for (const w of this.work) {
      for (const old of w.previous?.connections ?? []) {
        if (!w.conns.some((p) => p.spec.name === old.spec.name)) {
          this.wrote = true;
          await this.ctx.dropConnection(old.spec.name).catch((err: unknown) => this.fail(w.remote, err));
        }
      }
    }
  }

  /**
   * Add: both halves of every pair are loaded before anything can carry VXLAN. Many at once go in one
   * addconn call per auto= value: auto=route adds and routes, auto=add only adds. (Not auto=start: 4.10
   * then initiates without routing first, which would break the fail-closed order.) The initiating ones
   * share a fresh alias, so one `--initiate --name <alias>` starts them all in initiate().
   */
  private async addConnections(): Promise<void> {
    const { pluto } = this.ctx;
    const add = this.live().flatMap((w) => w.fresh);
    if (add.length) this.wrote = true;
    if (add.length >= BULK_THRESHOLD) {
      const alias = this.ctx.nextAlias();
      for (const auto of ['route', 'add'] as const) {
        const part = add.filter((p) => p.route === (auto === 'route'));
        if (!part.length) continue;
        const specs = part.map((p) => (p.initiate ? { ...p.spec, alias } : p.spec));
        const r = await loadWithAddconn(pluto.whack, specs, {
          file: join(this.ctx.stateDir, `batch-${auto}.conf`),
          auto,
          logger: this.ctx.log,
          timeoutMs: addconnTimeoutMs(part, auto),
        });
        for (const name of r.failed)
          this.fail(
            this.byName.get(name)!,
            new Error(`pluto did not load connection ${name} (addconn exit ${r.exitCode}); its log says why`),
          );
        if (auto === 'route') for (const name of r.loaded) this.routed.add(name);
      }
      this.groupInitiate = alias;
    } else {
      // A replaced connection: delete, add and route in one whack call where the version takes it
      // (4.x), else deleted first (adding over its name would fail, "attempt to redefine", then delete
      // and add again: one more process start without a connection).
      const replaced = this.live().flatMap((w) => w.replaced);
      const done = new Set<string>();
      const oneCall = await mapBounded(replaced, 16, (p) => pluto.whack.replaceConnection(p.spec, p.route));
      oneCall.forEach((r, k) => {
        const p = replaced[k]!;
        if (!r.ok) this.fail(this.byName.get(p.spec.name)!, r.error);
        else if (r.value) {
          done.add(p.spec.name);
          if (p.route) this.routed.add(p.spec.name);
        }
      });
      const stepwise = replaced.filter(
        (p) => !done.has(p.spec.name) && !this.errors.has(this.byName.get(p.spec.name)!),
      );
      const gone = stepwise.map((p) => p.spec.name);
      if (gone.length) this.settle(gone, await pluto.whack.deleteAll(gone, { concurrency: 16 }));
      const rest = add.filter((p) => !done.has(p.spec.name) && !this.errors.has(this.byName.get(p.spec.name)!));
      this.settle(
        rest.map((p) => p.spec.name),
        await pluto.whack.addConnections(
          rest.map((p) => p.spec),
          'replace',
          { concurrency: 16 },
        ),
      );
    }
    if (pluto instanceof HostPluto) {
      // Host mode: also as conn files the host's pluto loads when it restarts (auto=start on the initiating side).
      for (const p of add.filter((p) => !this.errors.has(this.byName.get(p.spec.name)!))) {
        await pluto
          .writeConnFile(p.spec, p.initiate ? 'start' : p.route ? 'route' : 'add')
          .catch((err: unknown) => this.fail(this.byName.get(p.spec.name)!, err));
      }
    }
  }

  /** Route: pluto's trap policies, which beat the block, send matching packets to IKE instead of the wire. */
  private async routeConnections(): Promise<void> {
    const route = this.live()
      .flatMap((w) => w.toRoute.map((p) => p.spec.name))
      .filter((n) => !this.routed.has(n));
    if (route.length) this.wrote = true;
    this.settle(route, await this.ctx.pluto.whack.routeAll(route, { concurrency: 16 }));
  }

  /** Overlay (transport mode): only now the device up, the FDB entry and the routes, so VXLAN can reach the gateway. */
  private async overlay(): Promise<void> {
    const { settings, overlay } = this.ctx;
    const go = this.live();
    if (settings.mode !== 'transport' || !go.length) return;
    await overlay!.setUp();
    const changes = await overlay!.applyRemotes(
      [],
      go.map((w) => ({
        spec: remoteSpecOf(w.remote.endpoint!, w.remote.useIp),
        previous: w.previous && remoteSpecOf(w.previous.endpoint, w.previous.usingIp),
      })),
    );
    changes.forEach((c, k) => {
      if (c instanceof Error) this.fail(go[k]!.remote, c);
      else if (c.fdbAdded.length || c.fdbRemoved.length || c.routesReplaced.length || c.routesRemoved.length)
        this.wrote = true;
    });
  }

  /** Initiate, by the side the pair's rule picks; asynchronous: status polling tells when the SAs are up. */
  private async initiate(): Promise<void> {
    const whack = this.ctx.pluto.whack;
    const initiate = this.live().flatMap((w) => w.fresh.filter((p) => p.initiate).map((p) => p.spec.name));
    if (initiate.length) this.wrote = true;
    if (this.groupInitiate && initiate.length) {
      // Every fresh initiating connection of the bulk load carries the alias (one that failed a phase was
      // never loaded, or has no trap policy to carry traffic, so starting it costs nothing).
      await whack.initiate(this.groupInitiate).catch((err: unknown) => {
        for (const n of initiate) this.fail(this.byName.get(n)!, err);
      });
    } else {
      this.settle(initiate, await whack.initiateAll(initiate, { concurrency: 32 }));
    }
  }

  /** Take-over (take-over.ts): a fresh responder facing a peer the kernel still holds SAs with initiates itself. */
  private async takeOver(): Promise<void> {
    await this.ctx.takeOver?.consider(
      this.live().flatMap((w) =>
        w.fresh.filter((p) => !p.initiate).map((p) => ({ connection: p.spec.name, peer: w.remote.useIp })),
      ),
    );
  }

  private live(): CableWork[] {
    return this.work.filter((w) => !this.errors.has(w.remote));
  }

  /** Records a cable's first failure; it takes part in no later phase. */
  private fail(remote: NatEndpointInfo, err: unknown): void {
    if (!this.errors.has(remote)) this.errors.set(remote, errorMessage(err));
  }

  private settle(names: readonly string[], results: readonly { ok: boolean; error?: unknown }[]): void {
    results.forEach((r, k) => {
      if (!r.ok) this.fail(this.byName.get(names[k]!)!, r.error);
    });
  }
}
