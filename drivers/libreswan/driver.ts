/**
 * The libreswan cable driver: tunnel mode (Submariner's), or VXLAN over
 * transport mode (seed 004), chosen by ceIPSecMode / ceIPSecOverlay.
 * Every whack call goes through the whack adapter (src/lib/whack), pluto's
 * lifecycle through a PlutoHandle (own or host mode), kernel state through
 * the netlink adapter (VXLAN overlay, XFRM block policies).
 *
 * Transport mode fails closed. Per remote, in this order:
 *   1. a BLOCK policy for clear UDP to the VXLAN port towards that gateway;
 *   2. both halves of the pair added, and routed on the initiating side
 *      (pluto's trap policies, which beat the block, send matching packets to
 *      IKE instead of the wire; see connection-plan.ts for why only there);
 *   3. only then the device up, the FDB entry and the routes, so VXLAN can
 *      be sent to that gateway at all;
 *   4. initiation, by the one side the pair's rule picks (and, after a
 *      restart that only this side lost its IKE SAs in, by the responder:
 *      take-over.ts).
 * A missing SA therefore drops VXLAN rather than leaking it.
 */
import { join } from 'node:path';
import {
  Capability,
  ConnectionStatus,
  type CableResult,
  type Connection,
  Endpoint,
  type InitRequest,
  type InitResponse,
  type NatEndpointInfo,
} from '../../src/generated/cabled/driver/v1/driver.js';
import { mapLimited } from '../../src/lib/concurrency.js';
import { FailedPreconditionError, InvalidArgumentError, errorMessage } from '../../src/lib/errors.js';
import type { Logger } from '../../src/lib/logger.js';
import type { NetlinkAdapter, XfrmAdapter, XfrmPolicyKey } from '../../src/lib/netlink/index.js';
import {
  MonotonicCounter,
  counterWrap,
  stuckChildStates,
  type LibreswanVersion,
  type LoadedConnection,
  type LogEvent,
  type ShowStates,
  type TrafficRecord,
} from '../../src/lib/whack/index.js';
import { VxlanOverlay, remoteSpecOf, resolveRemote } from '../../src/overlay/index.js';
import type { CableDriver, DriverInfo } from '../../src/sdk/driver.js';
import type { DriverContext } from '../../src/sdk/serve.js';
import { cableConnection } from '../../src/sdk/cable-record.js';
import { singleResult } from '../../src/sdk/results.js';
import { StateStore } from '../../src/sdk/state-store.js';
import { planConnections, type PlannedConnection } from './connection-plan.js';
import { needsNicCheck, resolveNicOffload } from './nic-offload.js';
import { offloadTowards } from '../../src/offload/index.js';
import { transportOverhead } from './overhead.js';
import {
  HostPluto,
  LogFollower,
  createPluto,
  type FollowedConnection,
  type PlutoHandle,
  type SecretEntry,
} from './pluto/index.js';
import { ResponderTakeOver } from './take-over.js';
import { StuckChildRecovery } from './stuck-recovery.js';
import { CableInstall, type LibreswanCable, tunnelGuard } from './install.js';
import { readSettings, type LibreswanSettings } from './settings.js';
import { cableStatus, indexStates } from './status.js';
import {
  KernelPartsAudit,
  plutoNegotiates,
  transportPartsInPlace,
  tunnelPartsInPlace,
  trapsMissing,
} from './parts-audit.js';
import { RefreshSchedule } from './refresh-schedule.js';

export const LIBRESWAN_DRIVER_VERSION = '0.1.0';

/** The longest interval between two readings of pluto while nothing moves: with its log followed, without. */
const READING_CAP_FOLLOWED_MS = 120_000;
const READING_CAP_MS = 30_000;

const FAILED_INSTALL = 'install failed and could not be fully rolled back; it is removed or installed again';

export interface LibreswanDeps {
  netlink: () => NetlinkAdapter;
  xfrm: () => XfrmAdapter;
}

export class LibreswanDriver implements CableDriver {
  private settings: LibreswanSettings | undefined;
  private local: Endpoint | undefined;
  private pluto: PlutoHandle | undefined;
  private plutoKey = '';
  private overlay: VxlanOverlay | undefined;
  private nl: NetlinkAdapter | undefined;
  private xf: XfrmAdapter | undefined;
  private takeOver: ResponderTakeOver | undefined;
  private stuck: StuckChildRecovery | undefined;
  private version: LibreswanVersion | undefined;
  private readonly cables: StateStore<LibreswanCable>;
  /** Byte counters per connection and Child SA serial: duplicate Child SAs (both sides initiating, rekey overlap) each carry part of the traffic. */
  private readonly counters = new Map<string, Map<number, { rx: MonotonicCounter; tx: MonotonicCounter }>>();
  private readonly log: Logger;
  private batches = 0;
  private logFollower: LogFollower | undefined;
  /** When pluto is read again (refresh-schedule.ts), and the last reading. */
  private readonly schedule = new RefreshSchedule();
  private lastStatus: { connections: Connection[]; signature: string } | undefined;
  /** The reading of pluto in flight, shared by concurrent status requests. */
  private reading: { generation: number; promise: Promise<Connection[]> } | undefined;
  /** Which cables have their kernel parts in place (parts-audit.ts): a dead cable with all of them is not repaired. */
  private readonly audit = new KernelPartsAudit((cables) => this.kernelPartsInPlace(cables));

  constructor(
    private readonly context: DriverContext,
    private readonly deps: LibreswanDeps,
  ) {
    this.cables = new StateStore(join(context.stateDir, 'libreswan.state.json'), {
      onProblem: (problem) =>
        problem
          ? this.log.error('driver state file unwritable; serving from memory', { problem })
          : this.log.info('driver state file written again'),
    });
    this.log = context.logger;
  }

  info(): DriverInfo {
    return {
      name: 'libreswan',
      version: LIBRESWAN_DRIVER_VERSION,
      capabilities: [
        Capability.CAPABILITY_WATCH_CONNECTIONS,
        Capability.CAPABILITY_TRAFFIC_COUNTERS,
        Capability.CAPABILITY_ENCRYPTION,
        Capability.CAPABILITY_NAT_TRAVERSAL,
      ],
      manifest: this.version ? { libreswan_version: this.version.raw } : {},
    };
  }

  async init(req: InitRequest): Promise<InitResponse> {
    this.schedule.invalidate();
    const local = req.localEndpoint;
    if (!local?.privateIp) throw new InvalidArgumentError('Init needs the local endpoint with its private_ip');
    const settings = readSettings(req.config, req.secrets);
    const previous = this.settings;
    await this.ensurePluto(settings);
    // Following pluto's log (own mode), anything in it that may change a status prompts a reading at
    // once (saEstablishedSincePoll), so steady readings can be rare; without it (host mode), every 30 s.
    this.schedule.setMaxMs(this.pluto?.logFile ? READING_CAP_FOLLOWED_MS : READING_CAP_MS);
    this.settings = settings;
    this.local = local;
    this.version = await this.pluto!.whack.version();
    let deviceReplaced = false;
    if (settings.mode === 'transport') {
      this.nl ??= this.deps.netlink();
      this.xf ??= this.deps.xfrm();
      this.overlay = new VxlanOverlay(
        { localIp: local.privateIp, port: settings.vxlanPort, mtuOverhead: transportOverhead(settings.esp) },
        { netlink: this.nl, logger: this.log },
      );
      this.takeOver ??= new ResponderTakeOver({
        listStates: () => this.xf!.listStates(),
        established: async () =>
          new Set(
            (await this.pluto!.whack.showStates()).states
              .filter((st) => st.kind === 'child' && st.established)
              .map((st) => st.connection),
          ),
        initiate: async (names) => {
          const failed = (await this.pluto!.whack.initiateAll(names, { concurrency: 32 })).filter((r) => !r.ok);
          if (failed.length) throw new Error(failed.map((r) => errorMessage(r.error)).join('; '));
        },
        logger: this.log,
      });
      // Down until a remote's policies exist (an adopted device keeps its state).
      const device = await this.overlay.ensureDevice({ up: false });
      deviceReplaced = !device.adopted && this.cables.entries().length > 0;
      this.log.info('VXLAN device for transport mode ready', { ...device, port: settings.vxlanPort });
    } else {
      this.overlay = undefined;
      // Tunnel mode writes XFRM only for the guards of connections being replaced (install.ts, tunnelGuard).
      this.xf ??= this.deps.xfrm();
    }
    await this.cables.load();
    // One whack round instead of two (each is a process start: slow on a slow CPU): the secrets and what pluto holds.
    const [, loaded] = await Promise.all([this.writeSecrets([]), this.pluto!.whack.connections()]);
    await this.reinstallMissing(loaded);
    await this.applyNewSettings(previous, settings, deviceReplaced);
    await this.sweepOrphans(loaded);
    this.log.info('libreswan driver initialised', {
      mode: settings.mode,
      pluto: settings.plutoMode,
      libreswan: this.version.raw,
      cables: this.cables.entries().length,
    });
    this.schedule.invalidate();
    return { adoptedCables: this.cables.entries().map(([name]) => name) };
  }

  async connectToEndpoint(remote: NatEndpointInfo): Promise<string> {
    return singleResult(await this.applyCables([], [remote]));
  }

  async disconnectFromEndpoint(remote: Endpoint): Promise<void> {
    singleResult(await this.applyCables([remote], []));
  }

  async applyCables(disconnect: Endpoint[], connect: NatEndpointInfo[]): Promise<CableResult[]> {
    // The engine's repair of cables in error whose peer does not answer asks to install cables exactly as
    // recorded: such a call reads what pluto holds (one --status) and checks each cable's parts, repairs
    // what is missing, and otherwise writes nothing (no secrets, no records) and leaves the status
    // schedule alone (a forced reading of pluto per repair round was most of what a dead peer cost).
    const recorded = disconnect.length === 0 && connect.every((r) => this.isRecorded(r));
    if (!recorded) this.schedule.invalidate();
    const s = this.ready();
    const results: CableResult[] = [];
    // Removals a few at a time (each is a handful of whack and netlink calls), then the secrets once.
    results.push(
      ...(await mapLimited(disconnect, 8, (ep) =>
        this.outcome(ep.cableName, async () => {
          await this.remove(ep.cableName, { secrets: false });
          return '';
        }),
      )),
    );
    if (disconnect.length)
      await this.writeSecrets([]).catch((err: unknown) =>
        this.log.warn('rewriting the secrets after removals failed', { error: errorMessage(err) }),
      );

    const planned = new Map<NatEndpointInfo, PlannedConnection[]>();
    const refused = new Map<NatEndpointInfo, string>();
    for (const remote of connect) {
      const ep = remote.endpoint!;
      const conns =
        ep.clusterId === this.local!.clusterId
          ? []
          : planConnections(this.local!, remote, await this.settingsFor(s, remote));
      if (ep.clusterId === this.local!.clusterId)
        refused.set(remote, `endpoint ${ep.cableName} is in the local cluster`);
      else if (conns.length === 0)
        refused.set(
          remote,
          `no subnet pair to protect between ${this.local!.cableName} and ${ep.cableName}: both need subnets`,
        );
      else planned.set(remote, conns);
    }
    // As recorded down to every planned connection (settings unchanged): nothing new for the secrets.
    const repairOnly =
      recorded &&
      !refused.size &&
      [...planned].every(
        ([r, conns]) => JSON.stringify(this.cables.get(r.endpoint!.cableName)?.connections) === JSON.stringify(conns),
      );
    if (recorded && !repairOnly) this.schedule.invalidate();
    // A repair checks the kernel as it is now: the overlay's cached view (kept between install bursts)
    // would not show an FDB entry or a route deleted behind the driver's back. One read (two dumps) per call.
    // A failed read leaves no cached view: the overlay phase reads the kernel itself (and reports per cable).
    if (repairOnly && planned.size && this.overlay) await this.overlay.listRemotes().catch(() => undefined);
    // A trap policy deleted behind the driver's back leaves pluto calling its connection routed; the repair
    // routes such connections again (one policy dump per call; a failed read routes nothing more).
    const missingTraps =
      repairOnly && planned.size && this.xf
        ? trapsMissing(
            [...planned.keys()].flatMap((r) => this.cables.get(r.endpoint!.cableName) ?? []),
            (await this.xf.listPolicies().catch(() => undefined)) ?? [],
          )
        : new Set<string>();
    // The secrets (unchanged when every cable is installed as recorded) and what pluto holds, in one whack round.
    const [, loaded] = planned.size
      ? await Promise.all([
          repairOnly ? undefined : this.writeSecrets([...planned.values()].flat()),
          this.pluto!.whack.connections(),
        ])
      : [undefined, new Map<string, LoadedConnection>()];
    const { errors, changed } = await this.installAll(
      [...planned].map(([remote, conns]) => ({ remote, conns })),
      loaded,
      missingTraps,
    );

    for (const remote of connect) {
      const cable = remote.endpoint!.cableName;
      const error = refused.get(remote) ?? errors.get(remote);
      results.push(
        error ? { cableName: cable, usingIp: '', error } : { cableName: cable, usingIp: remote.useIp, error: '' },
      );
    }
    if (!repairOnly || changed) this.schedule.invalidate();
    return results;
  }

  /**
   * Whether `remote` is recorded installed exactly so (same endpoint, address and NAT, no failed install;
   * with `conns`, the same planned connections).
   */
  private isRecorded(remote: NatEndpointInfo, conns?: PlannedConnection[]): boolean {
    const ep = remote.endpoint;
    const c = ep && this.cables.get(ep.cableName);
    return (
      c !== undefined &&
      !c.failed &&
      (!conns || JSON.stringify(c.connections) === JSON.stringify(conns)) &&
      c.usingIp === remote.useIp &&
      c.usingNat === remote.useNat &&
      JSON.stringify(Endpoint.toJSON(c.endpoint)) === JSON.stringify(Endpoint.toJSON(ep!))
    );
  }

  async getActiveConnections(): Promise<Connection[]> {
    return this.cables
      .values()
      .map((c) =>
        c.failed
          ? this.connection(c, ConnectionStatus.CONNECTION_STATUS_ERROR, FAILED_INSTALL, [], 0, 0)
          : this.connection(c, ConnectionStatus.CONNECTION_STATUS_CONNECTING, 'installed', [], 0, 0),
      );
  }

  /**
   * The status of every cable. Answered from the last reading of pluto while
   * nothing moves (refresh-schedule.ts): a gateway whose cables are steadily
   * down polls pluto only every 2 min (30 s in host mode), not at every
   * request; news in pluto's log (saEstablishedSincePoll) prompts a reading.
   */
  async getConnections(): Promise<Connection[]> {
    if (!this.pluto || !this.settings) return [];
    // An SA established since the last reading (the log says so) is reported now, not when the schedule is due.
    let established = false;
    if (this.lastStatus && !this.schedule.due()) {
      if (!(await this.saEstablishedSincePoll())) return this.lastStatus.connections;
      established = true;
    }
    // The engine's GetConnections and the watchers' refresh often come together: one reading serves both
    // (each is a whack process and a place in pluto's 5-deep ctl socket backlog). A reading begun before
    // the driver changed something, or before an SA came up, is not shared: it may not show the change.
    const generation = this.schedule.generation;
    if (established || this.reading?.generation !== generation) {
      const reading = {
        generation,
        promise: this.readAndRecord(generation).finally(() => {
          if (this.reading === reading) this.reading = undefined;
        }),
      };
      this.reading = reading;
    }
    return this.reading.promise;
  }

  private async readAndRecord(generation: number): Promise<Connection[]> {
    const connections = await this.readConnections();
    const signature = connections
      .map((c) => `${c.endpoint?.cableName}|${c.status}|${c.partsInPlace ?? ''}|${c.statusMessage}`)
      .join('\n');
    const moving = connections.some(
      (c) =>
        c.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED ||
        c.status === ConnectionStatus.CONNECTION_STATUS_CONNECTING,
    );
    this.schedule.polled(!moving && signature === this.lastStatus?.signature, generation);
    this.lastStatus = { connections, signature };
    return connections;
  }

  /**
   * Whether pluto's log shows an SA established, or anything else that may
   * change a status (LogFollower.takeNews), since the last reading (own
   * mode): a cable that was steadily down and comes up is then reported at
   * the next request, not when the backed-off schedule is due. Reads only
   * the log's new lines (the reading that follows reuses them).
   */
  private async saEstablishedSincePoll(): Promise<boolean> {
    const follower = this.followLog();
    if (!follower) return false;
    await follower.refresh().catch(() => undefined);
    // Both flags are taken (reset): news without an SA established also prompts a reading.
    const established = follower.takeEstablished();
    return follower.takeNews() || established;
  }

  /** The follower of pluto's current log file; undefined without one (host mode). */
  private followLog(): LogFollower | undefined {
    const logFile = this.pluto?.logFile;
    if (!logFile) this.logFollower = undefined;
    else if (this.logFollower?.file !== logFile) this.logFollower = new LogFollower(logFile);
    return this.logFollower;
  }

  /** One reading of pluto: --showstates, --trafficstatus only when some Child SA is up, and the log's new lines. */
  private async readConnections(): Promise<Connection[]> {
    const whack = this.pluto!.whack;
    const states = await whack.showStates();
    // Nothing established: --trafficstatus would list nothing (one whack process saved per reading).
    const traffic = states.states.some((st) => st.kind === 'child' && st.established)
      ? await whack.trafficStatus()
      : [];
    // pluto's log, read once per refresh and only what is new (LogFollower): linear in the new lines.
    const follower = this.followLog();
    const followed = follower ? await follower.refresh().catch(() => new Map()) : new Map();
    follower?.takeEstablished();
    follower?.takeNews();
    const logLines: string[] = [];
    const logEvents = new Map<string, LogEvent[]>();
    const peers = new Map<string, string>();
    this.logFollower?.retain(new Set(this.cables.values().flatMap((c) => c.connections.map((p) => p.spec.name))));
    for (const [name, f] of followed as Map<string, FollowedConnection>) {
      logEvents.set(name, f.events);
      if (f.lastPeer) peers.set(name, f.lastPeer);
    }
    // Only the events stuckChildStates looks at (not a copy of every connection's recent events at each reading).
    const refusals: LogEvent[] = [];
    for (const events of logEvents.values())
      for (const e of events) if (e.kind === 'child-payloads-missing') refusals.push(e);
    this.recoverStuck(states, refusals);
    const statesIndex = indexStates(states);
    const byName = new Map<string, TrafficRecord[]>();
    for (const t of traffic) (byName.get(t.connection) ?? byName.set(t.connection, []).get(t.connection)!).push(t);
    const records = this.cables.values();
    const classified = records.map((c) => {
      if (c.failed) return undefined;
      const kind = c.mode === 'transport' ? 'esp-transport' : 'esp-tunnel';
      return cableStatus(
        c.connections.map((p) => ({ name: p.spec.name, kind, carries: p.carries })),
        { states, traffic, logLines, logEvents, peers, trafficByConnection: byName, statesIndex },
        (name, records) => this.bytes(name, records),
        c.usingIp,
      );
    });
    // A cable in error with every part in place (pluto is negotiating for it; the audit found its
    // connections routed, its block policy, FDB entry and routes in transport mode, its connections
    // loaded and routed with their trap policies in tunnel mode) is not repaired: its peer does not answer.
    const plutoHolds = records.map(
      (c, k) =>
        classified[k]?.status === ConnectionStatus.CONNECTION_STATUS_ERROR &&
        plutoNegotiates(
          c.connections.map((p) => p.spec.name),
          statesIndex,
        ),
    );
    await this.audit.refresh(records.filter((_, k) => plutoHolds[k]).map((c) => c.endpoint.cableName));
    return records.map((c, k) => {
      const st = classified[k];
      if (!st) return this.connection(c, ConnectionStatus.CONNECTION_STATUS_ERROR, FAILED_INSTALL, [], 0, 0);
      const conn = this.connection(c, st.status, st.message, st.sas, st.rxBytes, st.txBytes);
      if (st.status === ConnectionStatus.CONNECTION_STATUS_ERROR)
        conn.partsInPlace = plutoHolds[k]! && this.audit.inPlace(c.endpoint.cableName);
      return conn;
    });
  }

  /**
   * Which of `cables` have every part the audit reads in place (parts-audit.ts). Transport mode: pluto's
   * trap policies of its routed connections, its block policy, FDB entry and the routes of every subnet;
   * reads one overlay listing (two dumps) and one XFRM policy dump. Tunnel mode: every connection loaded
   * (and routed, with its trap policy); reads one XFRM policy dump and pluto's connection list.
   */
  private async kernelPartsInPlace(cables: readonly string[]): Promise<ReadonlySet<string>> {
    const records = cables.flatMap((name) => {
      const c = this.cables.get(name);
      return c ? [c] : [];
    });
    const ok = new Set<string>();
    const transport = records.filter((c) => c.mode === 'transport');
    const tunnel = records.filter((c) => c.mode === 'tunnel');
    if (!this.xf || !this.settings || !this.pluto) return ok;
    const overlay = transport.length ? this.overlay : undefined;
    const [policies, state, loaded] = await Promise.all([
      this.xf.listPolicies(),
      overlay?.listRemotes(),
      tunnel.length ? this.pluto.whack.connections() : undefined,
    ]);
    if (loaded) for (const c of tunnelPartsInPlace(tunnel, { policies, loaded })) ok.add(c);
    if (overlay && state) {
      const vtep = (c: LibreswanCable) =>
        resolveRemote(remoteSpecOf(c.endpoint, c.usingIp), overlay.options.vtepPrefix).vtep;
      for (const c of transportPartsInPlace(transport, { state, policies, vxlanPort: this.settings.vxlanPort, vtep }))
        ok.add(c);
    }
    return ok;
  }

  async cleanup(): Promise<void> {
    this.schedule.invalidate();
    this.takeOver?.stop();
    if (this.pluto) {
      for (const [name] of this.cables.entries())
        await this.remove(name).catch((err: unknown) =>
          this.log.warn('cleanup: removing cable failed', { cable: name, error: errorMessage(err) }),
        );
      await this.writeSecrets([]).catch(() => undefined);
    }
    if (this.overlay) await this.overlay.cleanup();
    if (this.xf)
      for (const p of await this.xf.listPolicies()) if (p.owned) await this.xf.deletePolicy(p as XfrmPolicyKey);
    this.cables.clear();
    await this.cables.flush();
    if (this.pluto?.mode === 'own') {
      await this.pluto.stop();
      this.pluto = undefined;
      this.plutoKey = '';
    }
  }

  /** The process is stopping: pluto (own mode) keeps running with its SAs, for the next driver to adopt. */
  async close(): Promise<void> {
    this.takeOver?.stop();
    await this.cables.flush();
    await this.pluto?.release();
    this.nl?.close();
    this.xf?.close();
  }

  // ---- internals ----

  /** libreswan 5.2 leaves a Child SA the peer refused stuck for good: clear it and initiate again (with backoff). */
  private recoverStuck(states: ShowStates, events: LogEvent[]): void {
    const stuck = stuckChildStates(states, events);
    const established = states.states.filter((s) => s.kind === 'child' && s.established).map((s) => s.connection);
    if (!stuck.length && !this.stuck) return;
    this.stuck ??= new StuckChildRecovery({
      deleteState: (serial) => this.pluto!.whack.deleteState(serial),
      initiate: (name) => this.pluto!.whack.initiate(name),
      hasState: async (name) => (await this.pluto!.whack.showStates()).states.some((st) => st.connection === name),
      logger: this.log,
    });
    void this.stuck.consider(stuck, established);
  }

  /** The settings for one remote, with ceIPSecNicOffload=auto decided (nic-offload.ts). */
  private async settingsFor(s: LibreswanSettings, remote: NatEndpointInfo): Promise<LibreswanSettings> {
    if (!needsNicCheck(s.nicOffload, this.version!)) return s;
    let capable = false;
    try {
      this.nl ??= this.deps.netlink();
      const nic = await offloadTowards(remote.useIp, this.nl);
      capable = nic?.capable ?? false;
      this.log.debug('nic-offload auto decided', {
        remote: remote.useIp,
        interface: nic?.ifname,
        nicOffload: capable ? 'crypto' : 'no',
      });
    } catch (err) {
      this.log.warn('nic-offload auto: could not check the interface towards the remote; using no', {
        remote: remote.useIp,
        error: errorMessage(err),
      });
    }
    return { ...s, nicOffload: resolveNicOffload(s.nicOffload, this.version!, capable) };
  }

  private ready(): LibreswanSettings {
    if (!this.settings || !this.pluto || !this.local)
      throw new FailedPreconditionError('libreswan driver not initialised: call Init first');
    return this.settings;
  }

  /** Starts (own) or attaches to (host) pluto; a mode or socket change replaces the handle. */
  private async ensurePluto(s: LibreswanSettings): Promise<void> {
    const key = `${s.plutoMode}|${s.plutoSocket}|${s.debug}`;
    if (this.pluto && this.plutoKey === key) return;
    if (this.pluto) await this.pluto.stop();
    const pluto = createPluto({
      plutoMode: s.plutoMode,
      plutoSocket: s.plutoSocket || undefined,
      ownDir: join(this.context.stateDir, 'pluto'),
      ipsecDir: process.env.CABLED_IPSEC_DIR,
      debug: s.debug,
      logger: this.log,
    });
    // `whack --version` needs no pluto: it runs while pluto starts (Init asks for it next).
    void pluto.whack.version().catch(() => undefined);
    await pluto.ready();
    pluto.onRestart(() => this.reinstallAll());
    this.pluto = pluto;
    this.plutoKey = key;
  }

  /** After a pluto restart its connections are gone: add, route and initiate them again. */
  private async reinstallAll(): Promise<void> {
    await this.reinstall(this.cables.values(), 'pluto restarted');
  }

  /**
   * At Init: cables recorded in the state file whose connections this pluto
   * does not hold. Both pluto and the driver were restarted (a crashed pod, a
   * killed process group), so no restart hook fired; adopting them as they
   * are would leave them down for good.
   */
  private async reinstallMissing(loaded: Map<string, LoadedConnection>): Promise<void> {
    const missing = this.cables.values().filter((c) => c.connections.some((p) => !loaded.has(p.spec.name)));
    if (missing.length)
      await this.reinstall(
        missing,
        'recorded connections missing from pluto (it was restarted while the driver was down)',
      );
  }

  /**
   * A re-Init with changed settings (proposals, PFS, ports, mode) or on a new
   * overlay device: every recorded cable is installed again now, in this Init,
   * not at the engine's next resync. Connections whose spec changed are
   * replaced with whack's delete + add: libreswan cannot swap a connection's
   * proposals under live SAs, nor hold a second connection on the same
   * selectors without losing the shared kernel policy when the first is
   * deleted (test/integration/libreswan/same-selectors.test.ts), so this is
   * break-before-make for that cable, and traffic only flows again once both
   * sides hold the new config. Fail-closed meanwhile: transport mode keeps
   * its VXLAN block policy, tunnel mode puts a guard on the selectors
   * (install.ts, tunnelGuard). Block policies of the old VXLAN port are removed.
   */
  private async applyNewSettings(
    previous: LibreswanSettings | undefined,
    settings: LibreswanSettings,
    deviceReplaced: boolean,
  ): Promise<void> {
    const changed = previous !== undefined && JSON.stringify(previous) !== JSON.stringify(settings);
    if ((!changed && !deviceReplaced) || this.cables.entries().length === 0) return;
    const records = this.cables.values();
    await this.reinstall(records, changed ? 'driver settings changed' : 'overlay device replaced');
    if (previous && previous.vxlanPort !== settings.vxlanPort && this.xf) {
      for (const r of records) {
        if (r.mode !== 'transport') continue;
        await this.xf
          .deletePolicy({ ...this.blockKey(r.usingIp), dport: previous.vxlanPort })
          .catch((err: unknown) => this.log.warn('removing an old block policy failed', { error: errorMessage(err) }));
      }
    }
  }

  private async reinstall(records: LibreswanCable[], why: string): Promise<void> {
    this.schedule.invalidate();
    const remotes = records.map((r) => ({ endpoint: r.endpoint, useIp: r.usingIp, useNat: r.usingNat }));
    const results = await this.applyCables([], remotes);
    const failed = results.filter((r) => r.error);
    this.log.info('connections added again', { why, cables: results.length, failed: failed.length });
  }

  /**
   * At Init, with the record complete: what no recorded cable names goes. The
   * overlay entries and cabled's block policies always; pluto's connections in
   * own mode only (a host pluto's other connections are not ours). Catches
   * what a crash between a change and its record, or an older version's
   * failed install, left behind. `loaded`: pluto's connections at the start
   * of this Init (what Init added since are recorded ones, never orphans).
   */
  private async sweepOrphans(loaded: Map<string, LoadedConnection>): Promise<void> {
    const records = this.cables.values();
    const removed: string[] = [];
    try {
      if (this.overlay) {
        const r = await this.overlay.sweep(
          records.filter((c) => c.mode === 'transport').map((c) => remoteSpecOf(c.endpoint, c.usingIp)),
        );
        removed.push(...r.fdb.map((d) => `fdb ${d}`), ...r.routes.map((d) => `route ${d}`));
      }
      if (this.xf && this.settings?.mode === 'tunnel') {
        // Guards live while an install burst replaces connections, and for a cable whose install failed:
        // one no recorded cable needs was left by a crash or a removal.
        const needed = new Set(
          records.flatMap((c) => c.connections.map(tunnelGuard).flatMap((g) => (g ? [`${g.src} ${g.dst}`] : []))),
        );
        for (const p of await this.xf.listPolicies()) {
          if (!p.owned || p.action !== 'block' || p.dir !== 'out' || p.proto !== undefined) continue;
          if (needed.has(`${p.src} ${p.dst}`)) continue;
          await this.xf.deletePolicy({ src: p.src, dst: p.dst, dir: 'out' });
          removed.push(`guard policy ${p.src} -> ${p.dst}`);
        }
      }
      if (this.xf && this.settings?.mode === 'transport') {
        const ips = new Set(records.filter((c) => c.mode === 'transport').map((c) => `${c.usingIp}/32`));
        for (const p of await this.xf.listPolicies()) {
          if (!p.owned || p.action !== 'block' || p.dir !== 'out' || p.proto !== 'udp' || ips.has(p.dst)) continue;
          if (p.src !== `${this.local!.privateIp}/32`) continue;
          await this.xf.deletePolicy({ src: p.src, dst: p.dst, proto: 'udp', dport: p.dport, dir: 'out' });
          removed.push(`block policy ${p.dst}:${p.dport}`);
        }
      }
      if (this.pluto?.mode === 'own') {
        const names = new Set(records.flatMap((c) => c.connections.map((p) => p.spec.name)));
        for (const name of loaded.keys()) {
          if (names.has(name)) continue;
          await this.dropConnection(name);
          removed.push(`connection ${name}`);
        }
      }
    } catch (err) {
      this.log.warn('sweeping orphaned state failed; it is tried again at the next Init', { error: errorMessage(err) });
    }
    if (removed.length) this.log.info('removed state no recorded cable names', { removed });
  }

  /** The PSK for every identity pair we use (and for those about to be added). */
  private async writeSecrets(extra: PlannedConnection[]): Promise<void> {
    const psk = this.settings!.psk;
    const pairs = new Map<string, SecretEntry>();
    for (const p of [...this.cables.values().flatMap((c) => c.connections), ...extra]) {
      const selectors = [p.spec.left.id ?? p.spec.left.host, p.spec.right.id ?? p.spec.right.host];
      pairs.set(selectors.join(' '), { selectors, psk });
    }
    await this.pluto!.writeSecrets([...pairs.values()]);
  }

  /**
   * Installs many cables in one burst (install.ts: block policies, stale connections, add, route,
   * overlay, initiate, take-over), then records the cables that went through every phase.
   */
  private async installAll(
    items: { remote: NatEndpointInfo; conns: PlannedConnection[] }[],
    loaded: Map<string, LoadedConnection>,
    missingTraps: ReadonlySet<string> = new Set(),
  ): Promise<{ errors: Map<NatEndpointInfo, string>; changed: boolean }> {
    const s = this.settings!;
    const burst = new CableInstall(
      {
        settings: s,
        pluto: this.pluto!,
        xfrm: this.xf,
        overlay: this.overlay,
        takeOver: this.takeOver,
        stateDir: this.context.stateDir,
        log: this.log,
        installed: (cable) => this.cables.get(cable),
        blockKey: (ip) => this.blockKey(ip),
        dropConnection: (name) => this.dropConnection(name),
        nextAlias: () => `cabled-batch-${Date.now().toString(36)}-${++this.batches}`,
      },
      items,
      loaded,
      missingTraps,
    );
    const errors = await burst.run();
    // A cable that failed any phase is rolled back: nothing of it stays in pluto, XFRM or the overlay.
    for (const w of burst.failed()) await this.rollBack(w, errors.get(w.remote)!);
    // One log line per batch, not per cable (1000 cables made 1000 lines): counts and the first few names.
    const added: string[] = [];
    const changed = burst.changedAnything();
    this.audit.installed(burst.installed().map((w) => w.remote.endpoint!.cableName));
    for (const w of burst.installed()) {
      const ep = w.remote.endpoint!;
      // A cable installed again exactly as recorded, with nothing rewritten, keeps its record (no state file write).
      if (!changed && this.isRecorded(w.remote, w.conns)) continue;
      this.cables.set(ep.cableName, {
        endpoint: ep,
        usingIp: w.remote.useIp,
        usingNat: w.remote.useNat,
        mode: s.mode,
        connections: w.conns,
        establishedUnixMs: w.previous?.establishedUnixMs ?? 0,
      });
      for (const p of w.fresh) added.push(p.spec.name);
    }
    if (added.length)
      this.log.info('IPsec connections added', {
        cables: burst.installed().length,
        connections: added.length,
        first: added.slice(0, 4),
      });
    return { errors, changed };
  }

  /**
   * Undoes a failed install of one cable, in fail-closed order (overlay
   * entries, connections and their conn files, block policies), for both the
   * version it was installing and the one recorded before (an update that
   * fails leaves no half-replaced cable: the engine installs it afresh at its
   * retry). Each step is attempted whatever the others did; what could not be
   * undone is logged, and the cable's record is kept with every name in it,
   * so removal or the next install still finds and removes it.
   */
  private async rollBack(
    w: { remote: NatEndpointInfo; conns: PlannedConnection[]; previous?: LibreswanCable },
    why: string,
  ): Promise<void> {
    const ep = w.remote.endpoint!;
    const prev = w.previous;
    this.audit.forget(ep.cableName);
    const names = [...new Set([...(prev?.connections ?? []), ...w.conns].map((p) => p.spec.name))];
    const left: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        left.push(`${what}: ${errorMessage(err)}`);
      }
    };
    if (this.overlay) {
      const specs = [remoteSpecOf(ep, w.remote.useIp), ...(prev ? [remoteSpecOf(prev.endpoint, prev.usingIp)] : [])];
      await attempt('overlay entries', async () => {
        for (const c of await this.overlay!.applyRemotes(specs, [])) if (c instanceof Error) throw c;
      });
    }
    for (const name of names) await attempt(`connection ${name}`, () => this.dropConnection(name));
    if (this.xf) {
      const others = new Set(
        this.cables
          .entries()
          .filter(([name]) => name !== ep.cableName)
          .map(([, c]) => c.usingIp),
      );
      for (const ipAddr of new Set([w.remote.useIp, ...(prev ? [prev.usingIp] : [])]))
        if (!others.has(ipAddr))
          await attempt(`block policy to ${ipAddr}`, () => this.xf!.deletePolicy(this.blockKey(ipAddr)));
    }
    for (const name of names) this.counters.delete(name);
    if (left.length) {
      // Keep a record naming everything, so DisconnectFromEndpoint or the next install cleans up.
      const conns = [
        ...(prev?.connections ?? []).filter((p) => !w.conns.some((q) => q.spec.name === p.spec.name)),
        ...w.conns,
      ];
      this.cables.set(ep.cableName, {
        endpoint: ep,
        usingIp: w.remote.useIp,
        usingNat: w.remote.useNat,
        mode: this.settings!.mode,
        connections: conns,
        establishedUnixMs: 0,
        failed: true,
      });
      this.log.warn('install failed; roll-back incomplete (kept for removal)', { cable: ep.cableName, why, left });
    } else {
      this.cables.delete(ep.cableName);
      this.log.warn('install failed; rolled back', { cable: ep.cableName, why });
    }
  }

  /** Removes one cable: its overlay entries, its connections, its block policy. */
  private async remove(cable: string, options: { secrets?: boolean } = {}): Promise<void> {
    this.schedule.invalidate();
    const record = this.cables.get(cable);
    if (!record) return;
    if (record.mode === 'transport' && this.overlay) {
      const [change] = await this.overlay.applyRemotes([remoteSpecOf(record.endpoint, record.usingIp)], []);
      if (change instanceof Error) throw change;
    }
    for (const p of record.connections) await this.dropConnection(p.spec.name);
    if (record.mode === 'transport' && this.xf) await this.xf.deletePolicy(this.blockKey(record.usingIp));
    // A guard kept from a failed replacement (install.ts) goes with its cable.
    if (record.mode === 'tunnel' && this.xf)
      for (const g of record.connections.map(tunnelGuard)) if (g) await this.xf.deletePolicy(g);
    this.cables.delete(cable);
    this.audit.forget(cable);
    for (const p of record.connections) this.counters.delete(p.spec.name);
    if (options.secrets !== false) await this.writeSecrets([]);
  }

  /** Deletes a connection (and its SAs and policies) from pluto, and its conn file in host mode. */
  private async dropConnection(name: string): Promise<void> {
    await this.pluto!.whack.deleteConnection(name);
    if (this.pluto instanceof HostPluto) await this.pluto.removeConnFile(name);
  }

  private blockKey(remoteIp: string): XfrmPolicyKey {
    return {
      src: `${this.local!.privateIp}/32`,
      dst: `${remoteIp}/32`,
      proto: 'udp',
      dport: this.settings!.vxlanPort,
      dir: 'out',
    };
  }

  private bytes(name: string, records: TrafficRecord[]): { rx: number; tx: number } {
    let bySerial = this.counters.get(name);
    if (!bySerial) this.counters.set(name, (bySerial = new Map()));
    for (const r of records) {
      let c = bySerial.get(r.serial);
      if (!c) {
        const v = this.version!;
        c = {
          rx: new MonotonicCounter(counterWrap(v, 'inBytes')),
          tx: new MonotonicCounter(counterWrap(v, 'outBytes')),
        };
        bySerial.set(r.serial, c);
      }
      if (r.inBytes !== undefined) c.rx.update(r.serial, r.inBytes);
      if (r.outBytes !== undefined) c.tx.update(r.serial, r.outBytes);
    }
    // An SA that is gone keeps its last reading in the total, so the total never goes down.
    let rx = 0n;
    let tx = 0n;
    for (const c of bySerial.values()) {
      rx += c.rx.total;
      tx += c.tx.total;
    }
    return { rx: Number(rx), tx: Number(tx) };
  }

  private connection(
    c: LibreswanCable,
    status: ConnectionStatus,
    message: string,
    sas: Connection['sas'],
    rx: number,
    tx: number,
  ): Connection {
    if (status === ConnectionStatus.CONNECTION_STATUS_CONNECTED && !c.establishedUnixMs) {
      c.establishedUnixMs = Date.now();
      this.cables.set(c.endpoint.cableName, c);
    }
    return cableConnection(c, status, message, sas, { rx, tx });
  }

  private async outcome(cable: string, fn: () => Promise<string>): Promise<CableResult> {
    try {
      return { cableName: cable, usingIp: await fn(), error: '' };
    } catch (err) {
      return { cableName: cable, usingIp: '', error: errorMessage(err) };
    }
  }
}
