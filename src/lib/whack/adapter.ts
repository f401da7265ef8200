/**
 * The one whack adapter: every whack call in the project goes through it.
 * Runs /usr/libexec/ipsec/whack directly (not the `ipsec` wrapper, whose
 * 5.0/5.1 version duplicates --ctlsocket), always `--ctlsocket <sock>` first,
 * always with a timeout, argument arrays only, optionally inside a network
 * namespace (`ip netns exec <ns>`; tests need it, the ctl socket is a path).
 * Success is decided from the output lines, not from the exit code alone.
 */
import { ExecError, run, type RunOptions, type RunResult } from '../exec/index.js';
import type { Logger } from '../logger.js';
import { mapBounded, type Settled } from './batch.js';
import { parseBriefStatus, type BriefStatus } from './briefstatus.js';
import {
  addConnectionArgs,
  deleteArgs,
  deleteStateArgs,
  initiateArgs,
  listenArgs,
  rereadSecretsArgs,
  routeArgs,
  statusArgs,
  terminateArgs,
  unrouteArgs,
  versionArgs,
} from './builders.js';
import type { ConnectionSpec } from './connection.js';
import { parseConnectionList, UNORIENTED_REASON, type LoadedConnection } from './connections.js';
import { FailedPreconditionError } from '../errors.js';
import { ConnectionExistsError, stderrWarnings, whackFailure } from './errors.js';
import { flagsFor, type WhackFlags } from './flags.js';
import { parseWhackOutput, type WhackLine } from './output.js';
import { parseShowStates, type ShowStates } from './showstates.js';
import { parseTrafficStatus, type TrafficRecord } from './trafficstatus.js';
import { formatVersion, parseVersion, type LibreswanVersion } from './version.js';

/** Default whack binary. */
export const WHACK_PATH = '/usr/libexec/ipsec/whack';
/** Default per-call timeout. */
export const DEFAULT_WHACK_TIMEOUT_MS = 10_000;

/** How processes are run (src/lib/exec `run` by default; tests pass a fake). */
export type Runner = (file: string, args: readonly string[], options: RunOptions) => Promise<RunResult>;

export interface WhackAdapterOptions {
  /** pluto's ctl socket, e.g. /run/pluto/pluto.ctl. */
  socket: string;
  /** @default /usr/libexec/ipsec/whack */
  whackPath?: string;
  /** Per-call timeout. @default 10000 */
  timeoutMs?: number;
  /** Run whack inside this network namespace (ip netns exec). */
  netns?: string;
  /** Skip detection (tests, or a version already known). */
  version?: LibreswanVersion;
  logger?: Logger;
  runner?: Runner;
}

/** Per-call options. */
export interface WhackCallOptions {
  timeoutMs?: number;
  /** RC codes (4.x line codes or exit codes) that are not failures for this call. */
  tolerate?: readonly number[];
}

/** A successful call. */
export interface WhackResult {
  lines: WhackLine[];
  stdout: string;
  /** stderr lines that did not make the call fail (5.3 deprecation warnings...). */
  warnings: string[];
  exitCode: number;
  durationMs: number;
}

/** What initiate did: whack returned, or it was still attached when the timeout hit. */
export type InitiateOutcome = 'initiated' | 'pending';

/** What addConnection did. */
export type AddOutcome = 'added' | 'exists' | 'replaced';
/** What to do when the name is already loaded. */
export type IfExists = 'error' | 'ignore' | 'replace';

/** Options of the batch calls. */
export interface BatchOptions {
  /** Calls in flight at once. @default 8 */
  concurrency?: number;
}

/**
 * The libreswan installed on this host (`whack --version`, no pluto needed),
 * e.g. for tests that assert the behaviour of the version they run against.
 */
export async function installedVersion(
  options: { whackPath?: string; runner?: Runner; timeoutMs?: number } = {},
): Promise<LibreswanVersion> {
  const r = await (options.runner ?? run)(options.whackPath ?? WHACK_PATH, versionArgs(), {
    timeoutMs: options.timeoutMs ?? DEFAULT_WHACK_TIMEOUT_MS,
  });
  return parseVersion(r.stdout);
}

export class WhackAdapter {
  readonly socket: string;
  private readonly whackPath: string;
  private readonly timeoutMs: number;
  private readonly netns: string | undefined;
  private readonly runner: Runner;
  private readonly logger: Logger | undefined;
  private versionPromise: Promise<LibreswanVersion> | undefined;
  private known: LibreswanVersion | undefined;

  constructor(options: WhackAdapterOptions) {
    this.socket = options.socket;
    this.whackPath = options.whackPath ?? WHACK_PATH;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_WHACK_TIMEOUT_MS;
    this.netns = options.netns;
    this.runner = options.runner ?? run;
    this.logger = options.logger;
    if (options.version) {
      this.known = options.version;
      this.versionPromise = Promise.resolve(options.version);
    }
  }

  /** The libreswan version (`whack --version`), detected once. */
  version(): Promise<LibreswanVersion> {
    this.versionPromise ??= this.exec(versionArgs(), {})
      .then((r) => {
        this.known = parseVersion(r.stdout);
        return this.known;
      })
      .catch((err: unknown) => {
        this.versionPromise = undefined;
        throw err;
      });
    return this.versionPromise;
  }

  /** Flag choices for the detected version. */
  async flags(): Promise<WhackFlags> {
    return flagsFor(await this.version());
  }

  /** Runs whack with `args` (after --ctlsocket); throws the mapped error on failure. */
  async call(args: readonly string[], options: WhackCallOptions = {}): Promise<WhackResult> {
    await this.version().catch(() => undefined);
    return this.exec(args, options);
  }

  private async exec(args: readonly string[], options: WhackCallOptions): Promise<WhackResult> {
    const full = ['--ctlsocket', this.socket, ...args];
    const [file, argv] = this.netns
      ? ['ip', ['netns', 'exec', this.netns, this.whackPath, ...full]]
      : [this.whackPath, full];
    const r = await this.runner(file, argv, { timeoutMs: options.timeoutMs ?? this.timeoutMs, allowFailure: true });
    const lines = parseWhackOutput(r.stdout);
    const versionText = this.known ? `libreswan ${formatVersion(this.known)}` : 'libreswan, version unknown';
    const err = whackFailure(
      `whack ${args.join(' ')}`,
      this.socket,
      { exitCode: r.exitCode, lines, stderr: r.stderr },
      versionText,
      options.tolerate,
    );
    if (err) throw err;
    const warnings = stderrWarnings(r.stderr);
    for (const w of warnings) this.logger?.debug('whack warning', { args: args.slice(0, 3), warning: w });
    return { lines, stdout: r.stdout, warnings, exitCode: r.exitCode, durationMs: r.durationMs };
  }

  /**
   * Adds a connection. An existing name: error (ConnectionExistsError), ignore, or replace (delete + add).
   * A connection pluto loads but cannot orient (5.4: `added unoriented IKEv2 connection`) is
   * refused with the reason (FailedPreconditionError): it could never be routed or initiated.
   */
  async addConnection(spec: ConnectionSpec, ifExists: IfExists = 'error'): Promise<AddOutcome> {
    const built = addConnectionArgs(await this.flags(), spec);
    for (const w of built.warnings) this.logger?.warn(w);
    let outcome: AddOutcome = 'added';
    let result: WhackResult;
    try {
      result = await this.call(built.args);
    } catch (err) {
      if (!(err instanceof ConnectionExistsError) || ifExists === 'error') throw err;
      if (ifExists === 'ignore') return 'exists';
      await this.deleteConnection(spec.name);
      result = await this.call(built.args);
      outcome = 'replaced';
    }
    if (result.lines.some((l) => /\badded unoriented\b/.test(l.text)))
      throw new FailedPreconditionError(`connection ${spec.name}: ${UNORIENTED_REASON}`);
    return outcome;
  }

  /**
   * Replaces a connection in one whack call on 4.x: `--delete`, its new definition and, with `route`,
   * `--route`. pluto handles them in that order within one message (verified on 4.10), so no process
   * start (seconds on a slow CPU) falls between the old connection's delete and the new one's trap
   * policy. Returns false on other versions: the caller deletes, adds and routes in steps.
   */
  async replaceConnection(spec: ConnectionSpec, route: boolean): Promise<boolean> {
    const flags = await this.flags();
    if (flags.version.major !== 4) return false;
    const built = addConnectionArgs(flags, spec);
    for (const w of built.warnings) this.logger?.warn(w);
    // pluto deletes, adds and routes (running the updown script) in this one call: seen taking over 10 s
    // under emulation with the host busy, so a longer timeout than a single operation's.
    const result = await this.call(['--delete', ...built.args, ...(route ? ['--route'] : [])], {
      timeoutMs: Math.max(this.timeoutMs, 60_000),
    });
    if (result.lines.some((l) => /\badded unoriented\b/.test(l.text)))
      throw new FailedPreconditionError(`connection ${spec.name}: ${UNORIENTED_REASON}`);
    return true;
  }

  /** `--route`: installs the trap policy (runs the updown script unless updown is %disabled). */
  async route(name: string): Promise<void> {
    await this.call(routeArgs(name));
  }

  async unroute(name: string): Promise<void> {
    await this.call(unrouteArgs(name));
  }

  /**
   * `--initiate --asynchronous`; poll showStates()/trafficStatus() for the outcome.
   * 4.10 keeps whack attached while a CREATE_CHILD_SA on an existing IKE SA is
   * being retransmitted, even with --asynchronous (seen: a 10 s hang when both
   * gateways initiated at once). A timeout therefore resolves 'pending' (pluto
   * keeps negotiating; killing whack does not stop it) instead of failing.
   */
  async initiate(name: string, timeoutMs = 5000): Promise<InitiateOutcome> {
    try {
      await this.call(initiateArgs(name), { timeoutMs });
      return 'initiated';
    } catch (err) {
      if (err instanceof ExecError && err.timedOut) {
        this.logger?.warn('whack --initiate did not return; negotiation continues in pluto', {
          connection: name,
          timeoutMs,
        });
        return 'pending';
      }
      throw err;
    }
  }

  async terminate(name: string): Promise<void> {
    await this.call(terminateArgs(name));
  }

  /** Deletes one state (IKE or Child SA) by serial; a state already gone is fine. */
  async deleteState(serial: number): Promise<void> {
    await this.call(deleteStateArgs(serial), { tolerate: [21] });
  }

  /** Deletes a connection and its SAs; unknown names are fine. */
  async deleteConnection(name: string): Promise<void> {
    await this.call(deleteArgs(name), { tolerate: [21] });
  }

  async trafficStatus(): Promise<TrafficRecord[]> {
    return parseTrafficStatus((await this.call(statusArgs('trafficstatus'))).stdout);
  }

  async showStates(): Promise<ShowStates> {
    return parseShowStates((await this.call(statusArgs('showstates'))).stdout);
  }

  async briefStatus(): Promise<BriefStatus> {
    return parseBriefStatus((await this.call(statusArgs('briefstatus'))).stdout);
  }

  /** Loaded connections (from --status). */
  async connections(): Promise<Map<string, LoadedConnection>> {
    return parseConnectionList(
      (await this.call(statusArgs('status'), { timeoutMs: Math.max(this.timeoutMs, 30_000) })).stdout,
    );
  }

  /** Reloads the whole secrets file pluto was started with (and its includes). */
  async rereadSecrets(): Promise<void> {
    await this.call(rereadSecretsArgs());
  }

  /** Rescans interfaces (also reloads secrets). */
  async listen(): Promise<void> {
    await this.call(listenArgs());
  }

  /** True when pluto answers (`--briefstatus` succeeds). */
  async ping(timeoutMs = 2000): Promise<boolean> {
    try {
      await this.exec(statusArgs('briefstatus'), { timeoutMs });
      return true;
    } catch {
      return false;
    }
  }

  /** Adds many connections, `concurrency` at a time; one result per spec, in order. */
  addConnections(
    specs: readonly ConnectionSpec[],
    ifExists: IfExists = 'error',
    options: BatchOptions = {},
  ): Promise<Settled<AddOutcome>[]> {
    return mapBounded(specs, options.concurrency ?? 8, (s) => this.addConnection(s, ifExists));
  }

  /** Routes many connections, `concurrency` at a time. */
  routeAll(names: readonly string[], options: BatchOptions = {}): Promise<Settled<void>[]> {
    return mapBounded(names, options.concurrency ?? 8, (n) => this.route(n));
  }

  /** Initiates many connections (asynchronously), `concurrency` at a time. */
  initiateAll(names: readonly string[], options: BatchOptions = {}): Promise<Settled<InitiateOutcome>[]> {
    return mapBounded(names, options.concurrency ?? 8, (n) => this.initiate(n));
  }

  /** Deletes many connections, `concurrency` at a time. */
  deleteAll(names: readonly string[], options: BatchOptions = {}): Promise<Settled<void>[]> {
    return mapBounded(names, options.concurrency ?? 8, (n) => this.deleteConnection(n));
  }
}
