/**
 * Keeps one cable driver available to the engine. Either starts it as a child
 * process serving on a unix socket in the run directory, or connects to a
 * socket that something else started (a sidecar). Health-checks it; restarts
 * a child that died or stopped answering, with backoff; and says "ready"
 * every time a (re)started driver serves, so the engine pushes the desired
 * state again. Kernel state belongs to the driver and survives all of this.
 */
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { spawn, type ChildProcess } from '../../lib/exec/index.js';
import { errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import {
  COOKIE_ENV,
  COOKIE_VALUE,
  DEGRADED_KEY,
  PARENT_STDIN_ENV,
  PROTOCOL_VERSION,
  SOCKET_ENV,
  parseHandshake,
} from '../../sdk/handshake.js';
import type { GetDriverInfoResponse } from '../../generated/cabled/driver/v1/driver.js';
import { Backoff, type BackoffOptions } from '../../lib/backoff.js';
import { DriverClient } from './driver-client.js';

export type DriverLaunch =
  | { kind: 'spawn'; command: string; args: string[]; env?: Record<string, string> }
  | { kind: 'external'; socketPath: string };

export type DriverState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export interface SupervisorOptions {
  name: string;
  launch: DriverLaunch;
  runDir: string;
  logger: Logger;
  /**
   * Time for a started driver to print its handshake and answer health
   * checks. Doubles after each start that ran out of it (up to 8x), back to
   * this once a driver runs: a machine too busy to start a driver in time must
   * not be caught in a loop of killing it half-way. @default 30000
   */
  startTimeoutMs?: number;
  /** Health check period. @default 2000 */
  healthIntervalMs?: number;
  /**
   * Health check period while the driver's watch stream is open and the
   * last checks passed: the stream's HTTP/2 keepalive pings (every 2 s, see
   * driver-client.ts) notice a driver that stops answering, end the watch,
   * and bring the checks back to healthIntervalMs at once. @default 10000
   */
  watchedHealthIntervalMs?: number;
  /**
   * How often a healthy driver's GetDriverInfo is read again (it only says
   * whether the driver is degraded): not at every health check, which for an
   * idle gateway doubled the calls between engine and driver. @default 10000
   */
  infoIntervalMs?: number;
  /** Failed checks in a row before a child is restarted. @default 3 */
  unhealthyThreshold?: number;
  backoff?: BackoffOptions;
}

export interface SupervisorEvents {
  ready: [client: DriverClient, info: GetDriverInfoResponse];
  down: [reason: string];
  state: [state: DriverState];
}

export class DriverSupervisor extends EventEmitter<SupervisorEvents> {
  private child: ChildProcess | undefined;
  private client: DriverClient | undefined;
  private info: GetDriverInfoResponse | undefined;
  /** When GetDriverInfo was last read by a health check. */
  private infoReadAt = 0;
  private healthTimer: NodeJS.Timeout | undefined;
  /** A health check is in flight. */
  private checking = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failedChecks = 0;
  /** Health checks passed in a row. */
  private passedChecks = 0;
  private stopped = false;
  private readonly backoff: Backoff;
  /** Starts in a row that ran out of time (see startTimeoutMs). */
  private slowStarts = 0;
  state: DriverState = 'stopped';
  restarts = 0;
  lastError = '';

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.backoff = new Backoff(options.backoff);
  }

  get socketPath(): string {
    const { launch, runDir, name } = this.options;
    return launch.kind === 'external' ? launch.socketPath : join(runDir, 'drivers', `${name}.sock`);
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get driverInfo(): GetDriverInfoResponse | undefined {
    return this.info;
  }

  /** The client of a running driver, or undefined while it is down. */
  get current(): DriverClient | undefined {
    return this.state === 'running' ? this.client : undefined;
  }

  /** Starts the driver; a no-op while it is already started (until stop()). */
  start(): void {
    if (this.state !== 'stopped') return;
    this.stopped = false;
    this.setState('starting');
    void this.attempt();
  }

  /** Stops supervising; a child driver is stopped (its datapath stays). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.healthTimer);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.client?.close();
    this.client = undefined;
    const child = this.child;
    this.child = undefined;
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await child.catch(() => undefined);
      clearTimeout(killer);
    }
    this.setState('stopped');
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.options.launch.kind === 'spawn') await this.spawnChild(this.options.launch);
      const client = new DriverClient(this.socketPath);
      const info = await this.waitHealthy(client);
      if (info.protocolVersion !== PROTOCOL_VERSION) {
        throw new Error(
          `driver speaks protocol ${info.protocolVersion}, the engine speaks ${PROTOCOL_VERSION}: install matching versions`,
        );
      }
      if (this.stopped) return client.close();
      this.client = client;
      this.info = info;
      this.failedChecks = 0;
      this.lastError = '';
      this.slowStarts = 0;
      this.setState('running');
      this.backoff.healthy();
      client.watchLost = () => {
        if (client !== this.client || this.state !== 'running') return;
        // The watch stream broke (the driver exited, or stopped answering pings): check now, then often.
        this.passedChecks = 0;
        this.scheduleCheck(0);
      };
      this.scheduleCheck();
      this.options.logger.info('driver ready', {
        driver: info.name,
        version: info.version,
        pid: this.pid,
        socket: this.socketPath,
      });
      this.emit('ready', client, info);
    } catch (err) {
      this.fail(errorMessage(err));
    }
  }

  private async spawnChild(launch: Extract<DriverLaunch, { kind: 'spawn' }>): Promise<void> {
    const { logger, name } = this.options;
    const child = spawn(launch.command, launch.args, {
      env: { ...launch.env, [SOCKET_ENV]: this.socketPath, [COOKIE_ENV]: COOKIE_VALUE, [PARENT_STDIN_ENV]: '1' },
    });
    this.child = child;
    const log = logger.child({ component: `driver.${name}`, pid: child.pid });
    createInterface({ input: child.stderr }).on('line', (line) => relayLog(log, line));
    const startTimeoutMs = this.startTimeoutMs();
    const handshake = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.slowStarts++;
        reject(new Error(`driver ${name} printed no handshake within ${startTimeoutMs} ms`));
      }, startTimeoutMs);
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (parseHandshake(line)) {
          clearTimeout(timer);
          resolve();
        } else log.info(line);
      });
      void child.then((result) => {
        clearTimeout(timer);
        reject(new Error(`driver ${name} exited before serving (${describeExit(result)})`));
      });
    });
    void child.then((result) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (!this.stopped && this.state === 'running') this.fail(`driver process exited (${describeExit(result)})`);
    });
    await handshake;
  }

  /** startTimeoutMs, doubled for each start in a row that ran out of it (at most 8x). */
  private startTimeoutMs(): number {
    return (this.options.startTimeoutMs ?? 30000) * 2 ** Math.min(this.slowStarts, 3);
  }

  private async waitHealthy(client: DriverClient): Promise<GetDriverInfoResponse> {
    const deadline = Date.now() + this.startTimeoutMs();
    for (;;) {
      if (await client.healthy()) return client.info();
      if (Date.now() > deadline || this.stopped) {
        if (!this.stopped) this.slowStarts++;
        client.close();
        throw new Error(`driver socket ${this.socketPath} does not answer health checks`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** What the driver says it cannot do right now (its manifest's `degraded`), or ''. */
  get degraded(): string {
    return this.info?.manifest?.[DEGRADED_KEY] ?? '';
  }

  /** Re-reads GetDriverInfo with each good health check, so a degraded driver shows (emits 'state' on a change). */
  private async refreshInfo(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const info = await client.info();
      if (client !== this.client) return;
      const before = this.degraded;
      this.info = info;
      if (this.degraded !== before) {
        if (this.degraded) this.options.logger.warn('driver degraded', { problem: this.degraded });
        else this.options.logger.info('driver no longer degraded');
        this.emit('state', this.state);
      }
    } catch {
      /* the health check decides about a driver that does not answer */
    }
  }

  /**
   * One health check at a time: a check that takes longer than the interval (a busy driver on a slow
   * machine) is not joined by others, so "N failed checks" means N in a row, each given its full timeout.
   * A check whose driver was replaced meanwhile decides nothing.
   */
  private async check(): Promise<void> {
    const client = this.client;
    if (!client || this.state !== 'running' || this.checking) return;
    this.checking = true;
    try {
      const healthy = await client.healthy();
      if (client !== this.client || this.state !== 'running') return;
      if (healthy) {
        this.failedChecks = 0;
        this.passedChecks++;
        this.backoff.healthy();
        if (Date.now() - this.infoReadAt >= (this.options.infoIntervalMs ?? 10000)) {
          this.infoReadAt = Date.now();
          await this.refreshInfo();
        }
        return;
      }
      this.failedChecks++;
      this.passedChecks = 0;
      if (this.failedChecks >= (this.options.unhealthyThreshold ?? 3))
        this.fail(`driver failed ${this.failedChecks} health checks in a row`);
    } finally {
      this.checking = false;
    }
  }

  /**
   * The next health check after `delayMs`, or after the period that fits: healthIntervalMs, or
   * watchedHealthIntervalMs once three checks passed in a row while the watch stream is open.
   */
  private scheduleCheck(delayMs?: number): void {
    clearTimeout(this.healthTimer);
    if (this.stopped || this.state !== 'running') return;
    const steady = this.passedChecks >= 3 && this.client?.watching === true;
    const period = steady ? (this.options.watchedHealthIntervalMs ?? 10000) : (this.options.healthIntervalMs ?? 2000);
    this.healthTimer = setTimeout(() => {
      const client = this.client;
      void this.check().finally(() => {
        if (client === this.client) this.scheduleCheck();
      });
    }, delayMs ?? period);
    this.healthTimer.unref();
  }

  private fail(reason: string): void {
    // One restart at a time: a failure reported while a restart is already scheduled changes nothing
    // (two restarts would start two drivers fighting over one socket).
    if (this.stopped || this.retryTimer !== undefined) return;
    clearTimeout(this.healthTimer);
    this.client?.close();
    this.client = undefined;
    this.lastError = reason;
    const child = this.child;
    this.child = undefined;
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    const delay = this.backoff.next();
    this.restarts++;
    this.options.logger.warn('driver down; restarting', {
      driver: this.options.name,
      reason,
      inMs: delay,
      restarts: this.restarts,
    });
    this.setState('restarting');
    this.emit('down', reason);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, delay);
  }

  private setState(state: DriverState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}

/** Re-logs a driver's stderr line: its JSON log entries keep their level. */
function relayLog(log: Logger, line: string): void {
  if (!line.trim()) return;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const { level, message, timestamp: _t, ...rest } = entry;
    const lvl = typeof level === 'string' && ['error', 'warn', 'info', 'debug'].includes(level) ? level : 'info';
    log.log(lvl, String(message ?? ''), rest);
  } catch {
    log.info(line);
  }
}

function describeExit(result: { exitCode?: number; signal?: string }): string {
  return result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
}
