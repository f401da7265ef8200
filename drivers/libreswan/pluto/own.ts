/**
 * Own mode: the driver starts pluto itself and supervises it.
 *   [ip netns exec NS] [prlimit --nofile=1024:1024] /usr/libexec/ipsec/pluto --config F --rundir D
 *       --nssdir N --secretsfile S --logfile L --dumpdir D --nofork --use-xfrm [--stderrlog]
 * --config comes first (its `config setup` would override earlier options);
 * --nofork keeps pluto in the foreground of the process we start and lets it
 * replace a stale pid file. pluto is started detached: it outlives the driver
 * process, and a restarted driver ADOPTS the pluto that answers on its rundir
 * (same SAs, nothing renegotiated) instead of starting another. Only stop()
 * (the driver's Cleanup) ends it; release() leaves it running.
 * The open-file limit is capped (default 1024) because pluto walks every
 * possible fd at start and hangs for minutes under a huge container limit
 * (libreswan#373; OVN/CNO run `ulimit -n 1024` for the same reason).
 * Before starting it refuses to run beside another pluto or IKE daemon in the
 * same network namespace. When pluto dies it is restarted with backoff and
 * the restart hooks run (connections added with whack die with pluto).
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '../../../src/lib/errors.js';
import { spawnDaemon } from '../../../src/lib/exec/index.js';
import type { Logger } from '../../../src/lib/logger.js';
import { WhackAdapter } from '../../../src/lib/whack/index.js';
import { assertNoOtherIkeDaemon } from './detect.js';
import {
  isLivePluto,
  pathsUnder,
  preparePlutoFiles,
  readPidFile,
  removeStaleRunFiles,
  type PlutoPaths,
} from './files.js';
import { type PlutoHandle, type RestartHook, RestartHooks } from './handle.js';
import { readLogTail } from './log-tail.js';
import { type SecretEntry, writeSecretsFile } from './secrets.js';

export interface OwnPlutoOptions {
  /** Directory for pluto's files (see pathsUnder); keep it short (ctl socket path <= 107 bytes). */
  dir: string;
  /** Override single paths. */
  paths?: Partial<PlutoPaths>;
  /** Start pluto in this network namespace (tests). Production: the host namespace. */
  netns?: string;
  /**
   * Adds --stderrlog and copies pluto's stderr to the debug log. (With
   * --stderrlog pluto leaves --logfile empty, so stderr is also appended to
   * the log file: the SA classifier keeps working.)
   */
  debug?: boolean;
  /** @default /usr/libexec/ipsec/pluto */
  plutoPath?: string;
  whackPath?: string;
  whackTimeoutMs?: number;
  /** How long pluto may take to answer on its socket. @default 30000 */
  readyTimeoutMs?: number;
  /** First restart delay; doubles per failed attempt. @default 500 */
  restartDelayMs?: number;
  /** @default 30000 */
  maxRestartDelayMs?: number;
  /** Up this long = healthy again (the delay resets). @default 30000 */
  stableAfterMs?: number;
  /** RLIMIT_NOFILE for pluto (via prlimit); null leaves it alone. @default 1024 */
  maxOpenFiles?: number | null;
  /** How long stop() waits after SIGTERM before SIGKILL (pluto unroutes every connection on the way out). @default 30000 */
  stopTimeoutMs?: number;
  /** More pluto options (after the standard ones), e.g. ['--nhelpers', '1']. */
  extraArgs?: readonly string[];
  logger?: Logger;
}

interface Gate {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function gate(): Gate {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class OwnPluto implements PlutoHandle {
  readonly mode = 'own' as const;
  readonly socket: string;
  readonly whack: WhackAdapter;
  readonly paths: PlutoPaths;
  private readonly hooks: RestartHooks;
  private gate = gate();
  private loop: Promise<void> | undefined;
  private proc: PlutoProcess | undefined;
  private currentPid: number | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: OwnPlutoOptions) {
    this.paths = { ...pathsUnder(options.dir), ...options.paths };
    this.socket = join(this.paths.rundir, 'pluto.ctl');
    if (Buffer.byteLength(this.socket) > 107) {
      throw new InvalidArgumentError(
        `pluto ctl socket path too long (${Buffer.byteLength(this.socket)} > 107 bytes; libreswan#428): ${this.socket}`,
      );
    }
    this.hooks = new RestartHooks(options.logger);
    this.whack = new WhackAdapter({
      socket: this.socket,
      ...(options.whackPath ? { whackPath: options.whackPath } : {}),
      ...(options.whackTimeoutMs ? { timeoutMs: options.whackTimeoutMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  get logFile(): string {
    return this.paths.log;
  }

  pid(): number | undefined {
    return this.currentPid;
  }

  onRestart(hook: RestartHook): () => void {
    return this.hooks.add(hook);
  }

  /** Starts pluto on first call; afterwards resolves whenever pluto is up (again). */
  ready(): Promise<void> {
    if (this.stopping) return Promise.reject(new UnavailableError('pluto handle is stopped'));
    this.loop ??= this.supervise();
    return this.gate.promise;
  }

  async writeSecrets(entries: readonly SecretEntry[]): Promise<void> {
    await writeSecretsFile(this.paths.secrets, entries);
    if (this.proc) await this.whack.rereadSecrets();
  }

  /** Stops pluto (SIGTERM: it deletes its SAs and policies), then stops watching. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const proc = this.proc;
    if (proc) {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), this.options.stopTimeoutMs ?? 30_000);
      await proc.exited;
      clearTimeout(killer);
    }
    await this.loop;
    this.gate.reject(new UnavailableError('pluto handle is stopped'));
  }

  /** Stops watching; pluto keeps running with its SAs for the next driver to adopt. */
  async release(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.proc?.release();
    await this.loop;
    this.gate.reject(new UnavailableError('pluto handle is released'));
  }

  private async supervise(): Promise<void> {
    let attempt = 0;
    let first = true;
    let reason = '';
    while (!this.stopping) {
      let proc: PlutoProcess;
      try {
        proc = await this.startOnce();
      } catch (err) {
        if (first || this.stopping) {
          this.gate.reject(err);
          this.loop = undefined;
          this.gate = gate();
          if (first) this.gate.promise.catch(() => undefined);
          return;
        }
        this.options.logger?.error('pluto restart failed', {
          attempt,
          error: err instanceof Error ? err.message : String(err),
        });
        await this.sleep(this.delay(attempt++));
        continue;
      }
      const previousPid = this.currentPid;
      this.currentPid = proc.pid;
      this.proc = proc;
      this.gate.resolve();
      if (!first)
        await this.hooks.fire({ mode: 'own', pid: proc.pid, ...(previousPid ? { previousPid } : {}), reason });
      first = false;
      const upAt = Date.now();
      const ended = await proc.exited;
      this.proc = undefined;
      if (this.stopping) break;
      reason = `pluto exited (${ended})`;
      const tail = (await readLogTail(this.paths.log, 4096)).slice(-5);
      this.options.logger?.error(`${reason}; restarting`, { pid: proc.pid, lastLog: tail });
      this.gate = gate();
      if (Date.now() - upAt > (this.options.stableAfterMs ?? 30_000)) attempt = 0;
      await this.sleep(this.delay(attempt++));
    }
  }

  private delay(attempt: number): number {
    return Math.min(this.options.maxRestartDelayMs ?? 30_000, (this.options.restartDelayMs ?? 500) * 2 ** attempt);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /**
   * Adopts the pluto that already answers on our rundir (left by an earlier
   * driver instance), or prepares files, refuses a second IKE daemon, starts
   * pluto detached and waits until it answers.
   */
  private async startOnce(): Promise<PlutoProcess> {
    const { netns } = this.options;
    // The files (certutil makes the NSS db: a process start) are made while the namespace is checked.
    const prepared = preparePlutoFiles(this.paths);
    prepared.catch(() => undefined);
    const holder = await readPidFile(join(this.paths.rundir, 'pluto.pid'));
    if (holder !== undefined && (await isLivePluto(holder))) {
      await prepared;
      if (await this.whack.ping(2000)) {
        this.options.logger?.info('adopted the running pluto (its SAs are kept)', { pid: holder });
        return adopted(holder);
      }
      throw new FailedPreconditionError(
        `pluto pid ${holder} holds rundir ${this.paths.rundir} but does not answer on ${this.socket}; stop it (kill ${holder}) or use ceIPSecPlutoMode: host`,
      );
    }
    await Promise.all([prepared, assertNoOtherIkeDaemon(netns)]);
    await removeStaleRunFiles(this.paths.rundir);
    const p = this.paths;
    let cmd = [
      this.options.plutoPath ?? '/usr/libexec/ipsec/pluto',
      '--config',
      p.config,
      '--rundir',
      p.rundir,
      '--nssdir',
      p.nssdir,
      '--secretsfile',
      p.secrets,
      '--logfile',
      p.log,
      '--dumpdir',
      p.rundir,
      '--nofork',
      '--use-xfrm',
      ...(this.options.debug ? ['--stderrlog'] : []),
      ...(this.options.extraArgs ?? []),
    ];
    const nofile = this.options.maxOpenFiles === undefined ? 1024 : this.options.maxOpenFiles;
    if (
      nofile !== null &&
      (await access('/usr/bin/prlimit').then(
        () => true,
        () => false,
      ))
    ) {
      cmd = ['/usr/bin/prlimit', `--nofile=${nofile}:${nofile}`, ...cmd];
    }
    if (netns) cmd = ['ip', 'netns', 'exec', netns, ...cmd];
    // --stderrlog empties the log file: in debug mode stderr is appended to it instead.
    const daemon = spawnDaemon(cmd[0]!, cmd.slice(1), this.options.debug ? { stderrFile: p.log } : {});
    let exited: string | undefined;
    void daemon.exited.then((r) => {
      exited = r.signal ? `signal ${r.signal}` : `exit code ${String(r.exitCode)}`;
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (exited) {
        const tail = (await readLogTail(p.log, 8192)).slice(-5).join(' | ');
        throw new UnavailableError(`pluto exited during start (${exited}): ${tail || 'no log'}`);
      }
      if (await this.whack.ping(1000)) return started(daemon.pid, daemon.exited);
      if (Date.now() > deadline) {
        kill(daemon.pid, 'SIGKILL');
        await daemon.exited;
        throw new UnavailableError(
          `pluto did not answer on ${this.socket} within ${this.options.readyTimeoutMs ?? 30_000} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A pluto we watch: started by us (its exit is reported) or adopted (its pid is polled). */
interface PlutoProcess {
  pid: number;
  /** Settles with how it ended, or with "released" after release(). */
  exited: Promise<string>;
  kill(signal: NodeJS.Signals): void;
  /** Stop watching without touching the process. */
  release(): void;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

function started(pid: number, exit: Promise<{ exitCode?: number; signal?: string }>): PlutoProcess {
  let release: (reason: string) => void = () => undefined;
  const released = new Promise<string>((resolve) => (release = resolve));
  const ended = exit.then((r) => (r.signal ? `signal ${r.signal}` : `exit code ${String(r.exitCode)}`));
  return {
    pid,
    exited: Promise.race([ended, released]),
    kill: (signal) => kill(pid, signal),
    release: () => release('released'),
  };
}

function adopted(pid: number): PlutoProcess {
  let timer: NodeJS.Timeout | undefined;
  let settle: (reason: string) => void = () => undefined;
  const exited = new Promise<string>((resolve) => {
    settle = resolve;
    timer = setInterval(() => {
      void isLivePluto(pid).then((alive) => {
        if (!alive) {
          clearInterval(timer);
          resolve('exited (an adopted pluto: no exit status)');
        }
      });
    }, 500);
    timer.unref();
  });
  return {
    pid,
    exited,
    kill: (signal) => kill(pid, signal),
    release: () => {
      clearInterval(timer);
      settle('released');
    },
  };
}
