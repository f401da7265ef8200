/**
 * The gateway engine. Data flows one way:
 *   config + endpoints  ->  desired cables  ->  reconcile plan  ->  driver calls
 *   ->  connections observed from the driver  ->  status, events, health.
 * Reconcile runs on every change, when a (re)started driver becomes ready, and
 * on a periodic resync; runs never overlap, and a change during a run triggers
 * one more. Nothing is reconciled before the endpoint source has delivered its
 * first snapshot, so a restarted engine adopts the cables it finds instead of
 * tearing them down.
 */
import {
  Capability,
  ConnectionEvent_Kind,
  ConnectionStatus,
  type Cluster,
  type Connection,
  type ConnectionEvent,
  type Endpoint,
} from '../generated/cabled/driver/v1/driver.js';
import type { GatewayStatus, HaInfo } from '../generated/cabled/engine/v1/engine.js';
import { mergeProbe } from '../healthcheck/merge.js';
import type { ConnectionHealth } from '../healthcheck/probe-result.js';
import { probeTargets } from '../healthcheck/health-checker.js';
import { connectionKey, sameConnection } from '../lib/connection-diff.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { EndpointsSnapshot } from '../endpoints/index.js';
import { desiredState, type DesiredCable } from './desired-state.js';
import type { DriverClient } from './driver-host/driver-client.js';
import type { DriverSupervisor } from './driver-host/supervisor.js';
import type { GatewayView, Health } from './gateway-view.js';
import { applyPlan } from './reconcile-apply.js';
import { planReconcile, REPAIR_PREFIX, type ReconcileAction, repairReason } from './reconcile-plan.js';
import { StatusCadence } from './status-cadence.js';
import { RepairBackoff } from './repair-backoff.js';

export interface DriverSettings {
  /** Canonical driver config keys (no secrets). */
  config: Record<string, string>;
  /** Secrets, passed to the driver's Init only. */
  secrets: Record<string, string>;
}

export interface EngineOptions {
  localEndpoint: Endpoint;
  localCluster: Cluster;
  supervisor: DriverSupervisor;
  logger: Logger;
  version: string;
  /** Full reconcile period. @default 30000 */
  resyncIntervalMs?: number;
  /** How often connection status is refreshed from the driver. @default 2000 */
  statusIntervalMs?: number;
  /** Retry delay after a reconcile with failures. @default 5000 */
  retryIntervalMs?: number;
  /** Probes remote endpoints; its results are merged into the reported connections. @default none */
  health?: ConnectionHealth;
  /**
   * Another component (src/ha) decides whether this gateway is active: it
   * starts 'electing' (driver initialised, nothing installed or removed) until
   * setHaRole says. @default false: always active
   */
  elected?: boolean;
}

/** What the gateway does: electing (no decision yet), active (cables), standby (no cables, driver warm). */
export type HaRole = 'electing' | 'active' | 'standby';

export class Engine implements GatewayView {
  private settings: DriverSettings | undefined;
  private configError = '';
  private readonly endpointSourceErrors = new Map<string, string>();
  private snapshot: EndpointsSnapshot | undefined;
  private desired = new Map<string, DesiredCable>();
  private superseded: readonly string[] = [];
  private conflicts: readonly string[] = [];
  /**
   * The connections as published (probe results and notes merged in), by
   * cable. Kept from one publish to the next: a batch of the driver's watch
   * events compares and replaces only the cables it names.
   */
  private readonly published = new Map<string, Connection>();
  /** `published` as a list, built when first asked for after a change (api/list-cache.ts keys on the object). */
  private conns: Connection[] | undefined = [];
  /** Cables the driver's watch stream changed since they were last published. */
  private watchChanged = new Set<string>();
  /** The connections as the driver last reported them (by cable), before probe results are merged in. */
  private driverConns = new Map<string, Connection>();
  /**
   * The driver's WatchConnections stream (drivers with
   * CAPABILITY_WATCH_CONNECTIONS): while it runs, the periodic status refresh
   * polls nothing and the driver's changes arrive as events, so 1000s of
   * unchanged connections cost the engine nothing between reconciles.
   */
  private driverWatch: { client: DriverClient; cancel: () => void } | undefined;
  private publishPending = false;
  /** The health check of a watched driver in flight (periodicRefresh). */
  private watchProbe: Promise<boolean> | undefined;
  private refreshing: Promise<boolean> | undefined;
  private refreshAgain: Promise<boolean> | undefined;
  /** The last refresh's error ('' after a success): logged once per change. */
  private refreshError = '';
  private initialisedClient: DriverClient | undefined;
  private initialisedWith = '';
  private inSync = false;
  private lastReconcile = 0;
  private lastFailure = '';
  /**
   * Why the gateway is applying a change that alters what is installed (a new
   * driver config): readiness is NOT_SERVING from the moment it arrives until
   * a reconcile has applied it in full.
   */
  private applying: string | undefined;
  private applyingSeq = 0;
  private running: Promise<void> | undefined;
  private dirty = false;
  private fullResync = true;
  private timers: NodeJS.Timeout[] = [];
  /** Status readings: every statusIntervalMs while status moves, backing off while it does not (status-cadence.ts). */
  private readonly statusCadence: StatusCadence;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listeners = new Set<(events: ConnectionEvent[]) => void>();
  private readonly healthListeners = new Set<() => void>();
  private lastHealth = '';
  private role: HaRole;
  private haInfo: HaInfo | undefined;
  private readonly log: Logger;
  private readonly repairs: RepairBackoff;

  constructor(private readonly options: EngineOptions) {
    this.log = options.logger.child({ component: 'engine' });
    this.role = options.elected ? 'electing' : 'active';
    this.repairs = new RepairBackoff(this.log);
    this.statusCadence = new StatusCadence(() => this.periodicRefresh(), {
      baseMs: options.statusIntervalMs ?? 2000,
    });
  }

  /**
   * The role from leader election. Standby removes every cable and keeps the
   * driver initialised; active reconciles the desired cables. Resolves once a
   * reconcile with the new role has run. The same role again only updates
   * the information shown.
   */
  setHaRole(role: HaRole, info: HaInfo): Promise<void> {
    this.haInfo = info;
    if (role === this.role) {
      this.healthChanged();
      return Promise.resolve();
    }
    this.log.info(role === 'active' ? 'acting as the active gateway' : `role ${role}`, {
      why: info.message,
      leader: info.leader || undefined,
    });
    this.role = role;
    this.setProbeTargets();
    this.fullResync = true;
    return this.requestReconcile(`role ${role}`);
  }

  /** Remote endpoints are probed only while active (a standby has no cables). */
  private setProbeTargets(): void {
    const remotes =
      this.role === 'active'
        ? [...this.desired.values()].flatMap((d) => (d.remote.endpoint ? [d.remote.endpoint] : []))
        : [];
    this.options.health?.setTargets(probeTargets(remotes));
  }

  start(): void {
    const { supervisor } = this.options;
    const onReady = (): void => {
      this.initialisedClient = undefined;
      this.fullResync = true;
      void this.requestReconcile('driver ready');
    };
    supervisor.on('ready', onReady);
    supervisor.on('state', () => this.healthChanged());
    this.options.health?.subscribe(() => this.publishConnections());
    // The supervisor may have been started earlier (the driver loads while the engine does) and be ready already.
    supervisor.start();
    if (supervisor.current) onReady();
    this.healthChanged();
    this.timers.push(
      setInterval(() => {
        this.fullResync = true;
        void this.requestReconcile('periodic resync');
      }, this.options.resyncIntervalMs ?? 30000),
    );
    this.statusCadence.start();
  }

  /** A new, valid driver config (from the config source). */
  setSettings(settings: DriverSettings): void {
    const changed = this.settings !== undefined && JSON.stringify(this.settings) !== JSON.stringify(settings);
    this.settings = settings;
    this.configError = '';
    if (changed) {
      this.applying = 'applying a new driver config';
      this.applyingSeq++;
      this.healthChanged();
    }
    void this.requestReconcile('config changed');
  }

  /** The config source rejected an update; the last good config stays in force. */
  setConfigError(message: string): void {
    this.configError = message;
    this.healthChanged();
  }

  /** An endpoint source failing (`error` says what to do), or working again (undefined). */
  setEndpointSourceError(source: string, error: string | undefined): void {
    if (error === undefined) this.endpointSourceErrors.delete(source);
    else this.endpointSourceErrors.set(source, error);
  }

  /** A new endpoint snapshot from the endpoint sources. */
  setEndpoints(snapshot: EndpointsSnapshot): void {
    this.snapshot = snapshot;
    const state = desiredState(this.options.localEndpoint, snapshot.endpoints);
    this.desired = state.cables;
    this.superseded = state.superseded;
    this.conflicts = state.conflicts;
    if (state.conflicts.length)
      this.log.warn('remote clusters claim the same address space', { conflicts: state.conflicts });
    if (state.superseded.length)
      this.log.info('endpoints superseded by another of the same cluster', { superseded: state.superseded });
    this.setProbeTargets();
    void this.requestReconcile('endpoints changed');
  }

  /** Asks for a reconcile; coalesces with one already running. */
  requestReconcile(reason: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.log.debug('reconcile requested', { reason });
    if (this.running !== undefined) {
      this.dirty = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.dirty = false;
        await this.reconcileOnce();
      } while (this.dirty && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves once a reconcile has completed with the current inputs. */
  async settled(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  async stop(options: { cleanup?: boolean } = {}): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.statusCadence.stop();
    clearTimeout(this.retryTimer);
    this.options.health?.stop();
    this.driverWatch?.cancel();
    this.driverWatch = undefined;
    await this.running;
    const client = this.options.supervisor.current;
    if (options.cleanup && client) {
      this.log.info('cleaning up the datapath before exit');
      await client.cleanup();
    }
    await this.options.supervisor.stop();
  }

  private async reconcileOnce(): Promise<void> {
    const client = this.options.supervisor.current;
    if (!client || !this.settings || !this.snapshot) {
      this.inSync = false;
      this.healthChanged();
      return;
    }
    const seq = this.applyingSeq;
    // A full resync that changed nothing already read the driver's status: publish that, not a second reading.
    let observed: Connection[] | 'published' | undefined;
    try {
      // A re-Init (new config) may have replaced what the cables stand on (the overlay device, the
      // connections' proposals): read refreshed status in the same reconcile, so anything the driver
      // reports broken is re-installed now rather than at the next periodic resync. A standby keeps
      // its driver initialised (warm), so taking over only installs cables.
      const reinitialised = await this.ensureInit(client, this.settings);
      if (this.role === 'electing') {
        // Nothing is installed or removed before the election decides (a restarted leader keeps its cables).
        this.inSync = false;
        this.lastFailure = '';
        await this.refreshConnections();
        this.healthChanged();
        return;
      }
      // A periodic resync reads refreshed status, so cables in error get repaired. While the driver's
      // watch stream keeps the connections current (the driver reads its datapath on its own schedule
      // and pushes every change), that is what the engine holds already: no full GetConnections (1000s
      // of connections encoded, sent and decoded to find nothing new). After a re-Init it reads afresh.
      const full = this.fullResync || reinitialised;
      this.fullResync = false;
      const watched = full && !reinitialised && this.watching(client);
      const active = watched
        ? [...this.driverConns.values()]
        : full
          ? await client.connections()
          : await client.activeConnections();
      const want = this.role === 'active' ? this.desired : new Map();
      const planned = full ? this.limitRepairs(planReconcile(want, active), active) : planReconcile(want, active);
      const plan =
        this.role === 'active'
          ? planned
          : planned.map((a) => ({ ...a, reason: 'this gateway stands by (not elected)' }));
      // A repair of cables in error (a peer that does not answer) changes no status by itself: what it
      // does change shows in the reading after it, which brings the cadence back (publishConnections).
      if (plan.some((a) => !(a.kind === 'connect' && a.reason.startsWith(REPAIR_PREFIX)))) this.statusCadence.changed();
      if (plan.length)
        this.log.info('reconciling', { connect: count(plan, 'connect'), disconnect: count(plan, 'disconnect') });
      const batch = this.options.supervisor.driverInfo?.capabilities.includes(Capability.CAPABILITY_BATCH) ?? false;
      const result = await applyPlan(client, plan, this.log, { batch });
      this.inSync = result.failures.length === 0;
      this.lastFailure = result.failures.map((f) => `${f.action} ${f.cable}: ${f.error}`).join('; ');
      // Nothing applied: what was read is current (from the watch stream: already published).
      if (full && plan.length === 0) observed = watched ? 'published' : active;
    } catch (err) {
      this.inSync = false;
      this.lastFailure = errorMessage(err);
      this.log.error('reconcile failed', { error: this.lastFailure });
    }
    this.lastReconcile = Date.now();
    // A config that arrived during this run is applied by the next one: keep it pending.
    if (this.inSync && this.applyingSeq === seq) this.applying = undefined;
    if (!this.inSync && !this.stopped) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(
        () => this.requestReconcile('retry after failure'),
        this.options.retryIntervalMs ?? 5000,
      );
    }
    // (Read from the watch stream: published as they arrived, nothing to do.)
    if (Array.isArray(observed)) {
      this.driverConns = new Map(observed.map((c) => [connectionKey(c), c]));
      this.publishConnections();
      // Watch from now on, although nothing is installed yet (the first reconcile of an engine started
      // without endpoints): else the first change's burst meets the status timer's full reading halfway.
      if (!this.stopped && client) this.watchDriver(client);
    } else if (observed === undefined) await this.refreshConnections();
    this.healthChanged();
  }

  /** Whether `client`'s watch stream is live (it keeps driverConns current). */
  private watching(client: DriverClient): boolean {
    return this.driverWatch?.client === client && this.driverConns.size > 0;
  }

  /**
   * Repairs of cables in error, rate-limited per cable (repair-backoff.ts): one
   * still failing after a repair (a peer that does not answer) is repaired
   * again only after a doubling delay, so a resync costs nothing for it. A
   * cable the driver reports with every part in place (partsInPlace: the peer
   * does not answer) is not repaired at all: installing it again cannot help.
   * Should a part go missing, the driver says so and the repair runs then.
   */
  private limitRepairs(plan: ReconcileAction[], observed: readonly Connection[]): ReconcileAction[] {
    // Each failing cable's reason is its status message, the same string from one resync to the next while
    // the driver reports nothing new (what RepairBackoff.note compares first).
    const failing = new Map<string, string>();
    const inPlace = new Set<string>();
    for (const c of observed) {
      if (c.status !== ConnectionStatus.CONNECTION_STATUS_ERROR) continue;
      const cable = c.endpoint?.cableName ?? '';
      failing.set(cable, repairReason(c));
      if (c.partsInPlace) inPlace.add(cable);
    }
    this.repairs.healthy(failing);
    const out = plan.filter((a) => {
      if (a.kind !== 'connect' || !a.reason.startsWith(REPAIR_PREFIX)) return true;
      const cable = a.remote.endpoint?.cableName ?? '';
      const reason = failing.get(cable) ?? a.reason.slice(REPAIR_PREFIX.length);
      if (inPlace.has(cable)) {
        this.repairs.note(cable, reason);
        return false;
      }
      if (!this.repairs.allow(cable, reason)) return false;
      this.repairs.attempted(cable);
      return true;
    });
    this.repairs.summarise();
    return out;
  }

  /** Inits the driver with the current settings (for `cabled cleanup`). */
  async initialise(client: DriverClient): Promise<void> {
    if (!this.settings) throw new Error('no driver config');
    await this.ensureInit(client, this.settings);
  }

  /** Init on a new driver instance, and again whenever the config changes. True when it was a re-Init of the same instance. */
  private async ensureInit(client: DriverClient, settings: DriverSettings): Promise<boolean> {
    const key = JSON.stringify(settings);
    if (this.initialisedClient === client && this.initialisedWith === key) return false;
    const reinit = this.initialisedClient === client;
    const res = await client.init({
      localEndpoint: this.options.localEndpoint,
      localCluster: this.options.localCluster,
      config: settings.config,
      secrets: settings.secrets,
    });
    this.initialisedClient = client;
    this.initialisedWith = key;
    this.log.info('driver initialised', { adopted: res.adoptedCables.length, reinit });
    return reinit;
  }

  /**
   * Reads every connection's status from the driver. One refresh at a time:
   * a driver slower than the interval must not gather a queue of calls (seen
   * in the qemu guest: 75 calls outstanding, all failing at once when the
   * driver was restarted). A call while one is in flight gets one more refresh
   * after it (shared by every such caller), so what it reads is never older
   * than the call. Resolves true when anything changed (or could not be
   * read): the status cadence backs off while it is false. The cadence calls
   * it only while no driver watch stream keeps the connections current
   * (periodicRefresh).
   */
  private refreshConnections(): Promise<boolean> {
    if (this.refreshing !== undefined) {
      this.refreshAgain ??= this.refreshing
        .catch(() => true)
        .then(() => {
          this.refreshAgain = undefined;
          return this.refreshConnections();
        });
      return this.refreshAgain;
    }
    this.refreshing = this.refreshConnectionsOnce().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * The status timer: nothing to poll while the driver's watch stream
   * delivers the changes, only a health check (a few bytes) that the driver
   * still answers. A driver that does not (hung, stopped) loses its watch and
   * is polled, which reports every connection's status unknown when it fails:
   * a silent stream is never taken for "nothing changed".
   */
  private periodicRefresh(): Promise<boolean> {
    const client = this.options.supervisor.current;
    const watch = this.driverWatch;
    if (!client || watch?.client !== client) return this.refreshConnections();
    if (this.watchProbe !== undefined) return this.watchProbe;
    this.watchProbe = client
      .healthy()
      .then((ok) => {
        if (ok || this.driverWatch !== watch || this.stopped) return false;
        this.log.warn('the driver does not answer its health check: polling its connections instead of watching');
        watch.cancel();
        this.driverWatch = undefined;
        return this.refreshConnections();
      })
      .finally(() => {
        this.watchProbe = undefined;
      });
    return this.watchProbe;
  }

  private async refreshConnectionsOnce(): Promise<boolean> {
    const client = this.options.supervisor.current;
    if (!client || this.initialisedClient !== client) return true;
    try {
      const list = await client.connections();
      this.driverConns = new Map(list.map((c) => [connectionKey(c), c]));
      this.refreshError = '';
      if (!this.stopped) this.watchDriver(client);
    } catch (err) {
      // What was observed before is no longer known: never keep reporting it as connected.
      const why = errorMessage(err);
      if (why !== this.refreshError) this.log.warn('refreshing connection status failed', { error: why });
      this.refreshError = why;
      this.driverConns = new Map(
        [...this.driverConns].map(([k, c]) => [
          k,
          {
            ...c,
            status: ConnectionStatus.CONNECTION_STATUS_ERROR,
            statusMessage: `status unknown: the driver could not read it (${why})`,
            establishedUnixMs: 0,
          },
        ]),
      );
      this.publishConnections();
      return true;
    }
    return this.publishConnections() > 0;
  }

  /** Subscribes to the driver's connection changes (once per driver instance, when it can). */
  private watchDriver(client: DriverClient): void {
    if (this.driverWatch?.client === client) return;
    this.driverWatch?.cancel();
    this.driverWatch = undefined;
    const caps = this.options.supervisor.driverInfo?.capabilities ?? [];
    if (!caps.includes(Capability.CAPABILITY_WATCH_CONNECTIONS) || typeof client.watch !== 'function') return;
    const watch: { client: DriverClient; cancel: () => void } = { client, cancel: () => undefined };
    this.driverWatch = watch;
    watch.cancel = client.watch(
      (event) => {
        if (this.driverWatch !== watch || !event.connection) return;
        const key = connectionKey(event.connection);
        if (event.kind === ConnectionEvent_Kind.KIND_REMOVED) this.driverConns.delete(key);
        else this.driverConns.set(key, event.connection);
        this.watchChanged.add(key);
        // A burst of events (a snapshot, a batch of changes) is published once, comparing only the cables it names.
        if (this.publishPending) return;
        this.publishPending = true;
        setImmediate(() => {
          this.publishPending = false;
          const changed = this.watchChanged;
          this.watchChanged = new Set();
          if (!this.stopped) this.publishConnections(changed);
        });
      },
      (err) => {
        if (this.driverWatch !== watch) return;
        // Polled again at the next status refresh, which subscribes again.
        this.driverWatch = undefined;
        if (err && !this.stopped) this.log.warn('driver connection watch ended', { error: errorMessage(err) });
      },
    );
  }

  /**
   * The driver's connections with the probe results merged in; listeners get
   * the changes. `only`: the cables that may have changed (the driver's watch
   * events), so a batch of N events costs O(N), not O(every cable); without
   * it every cable is compared (a full reading, new probe results, a new
   * desired state).
   */
  private publishConnections(only?: Iterable<string>): number {
    const health = this.options.health;
    const events: ConnectionEvent[] = [];
    const one = (key: string): void => {
      const c = this.driverConns.get(key);
      const prev = this.published.get(key);
      if (!c) {
        if (!prev) return;
        this.published.delete(key);
        events.push({ kind: ConnectionEvent_Kind.KIND_REMOVED, connection: prev });
        return;
      }
      const now = this.withheldNote(health ? mergeProbe(c, health.result(key)) : c);
      if (!prev) events.push({ kind: ConnectionEvent_Kind.KIND_ADDED, connection: now });
      else if (!sameConnection(prev, now)) events.push({ kind: ConnectionEvent_Kind.KIND_UPDATED, connection: now });
      else return;
      this.published.set(key, now);
    };
    if (only) for (const key of only) one(key);
    else {
      for (const key of this.driverConns.keys()) one(key);
      for (const key of [...this.published.keys()]) if (!this.driverConns.has(key)) one(key);
    }
    // The same list object while nothing changed: ListConnections reuses its encoding (api/list-cache.ts).
    if (!events.length) return 0;
    this.conns = undefined;
    this.statusCadence.changed();
    for (const l of this.listeners) l(events);
    return events.length;
  }

  /** A cable some of whose subnets an older cluster holds says so in its status message. */
  private withheldNote(c: Connection): Connection {
    const want = c.endpoint ? this.desired.get(c.endpoint.clusterId) : undefined;
    if (!want?.withheld.length || want.remote.endpoint?.cableName !== c.endpoint?.cableName) return c;
    const note = `subnets not installed: ${want.withheld.map((w) => `${w.subnet} (${w.reason})`).join(', ')}`;
    return { ...c, statusMessage: c.statusMessage ? `${c.statusMessage}; ${note}` : note };
  }

  private healthChanged(): void {
    const key = `${this.health()}|${[...this.driverHealth()].join()}`;
    if (key === this.lastHealth) return;
    this.lastHealth = key;
    for (const l of this.healthListeners) l();
  }

  // ---- GatewayView ----

  status(): GatewayStatus {
    const sup = this.options.supervisor;
    const info = sup.driverInfo;
    return {
      version: this.options.version,
      haStatus: !this.stopped && this.role === 'active' ? 'active' : 'passive',
      localEndpoint: this.options.localEndpoint,
      driver: {
        name: info?.name ?? '',
        version: info?.version ?? '',
        state: sup.state,
        pid: sup.pid,
        restarts: sup.restarts,
        capabilities: info?.capabilities ?? [],
        socket: sup.socketPath,
        lastError: sup.lastError,
      },
      statusFailure: this.statusFailure(),
      desiredEndpoints: this.desired.size,
      rejectedEndpoints: listed((this.snapshot?.rejected ?? []).map((r) => `${r.where}: ${r.reason}`)),
      config: this.settings?.config ?? {},
      configError: this.configError,
      endpointSourceErrors: [...this.endpointSourceErrors.values()],
      supersededEndpoints: listed(this.superseded),
      endpointConflicts: listed(this.conflicts),
      endpointWarnings: listed(this.snapshot?.warnings ?? []),
      lastReconcileUnixMs: this.lastReconcile,
      inSync: this.inSync,
      ha: this.haInfo,
    };
  }

  connections(): Connection[] {
    this.conns ??= [...this.published.values()];
    return this.conns;
  }

  health(): Health {
    const ok =
      this.options.supervisor.current !== undefined &&
      this.initialisedClient === this.options.supervisor.current &&
      this.inSync &&
      this.applying === undefined &&
      !this.options.supervisor.degraded;
    return ok ? 'SERVING' : 'NOT_SERVING';
  }

  driverHealth(): Map<string, Health> {
    const sup = this.options.supervisor;
    const name = sup.driverInfo?.name ?? this.options.localEndpoint.backend;
    return new Map([[name, sup.current ? 'SERVING' : 'NOT_SERVING']]);
  }

  subscribe(listener: (events: ConnectionEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribeHealth(listener: () => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  private statusFailure(): string {
    const sup = this.options.supervisor;
    if (!this.settings) return `no valid driver config yet: ${this.configError || 'waiting for the config source'}`;
    if (!this.snapshot) return 'waiting for the first endpoint snapshot';
    if (!sup.current)
      return `driver ${this.options.localEndpoint.backend} is ${sup.state}${sup.lastError ? `: ${sup.lastError}` : ''}`;
    if (this.role === 'electing') return 'waiting for the leader election to decide which gateway is active';
    if (sup.degraded) return `driver degraded: ${sup.degraded}${this.lastFailure ? `; ${this.lastFailure}` : ''}`;
    if (this.applying)
      return `${this.applying}${this.lastFailure ? `: ${this.lastFailure}` : ' (reconcile in progress)'}`;
    return this.lastFailure;
  }
}

/** Lines of one status list; the rest are counted, so a flood of bad entries keeps GetStatus small. */
export const MAX_STATUS_LINES = 100;

function listed(lines: readonly string[]): string[] {
  if (lines.length <= MAX_STATUS_LINES) return [...lines];
  return [
    ...lines.slice(0, MAX_STATUS_LINES),
    `... and ${lines.length - MAX_STATUS_LINES} more (every one is in the engine's log)`,
  ];
}

function count(plan: readonly { kind: string }[], kind: string): number {
  return plan.filter((a) => a.kind === kind).length;
}

/** The local cluster description handed to drivers. */
export function localCluster(local: Endpoint): Cluster {
  return { clusterId: local.clusterId, serviceCidrs: [], clusterCidrs: local.subnets, globalCidrs: [] };
}
