/**
 * Host mode: use a pluto someone else runs (the host's ipsec.service, OVN's
 * pluto...). This handle never starts, stops or restarts that pluto, never
 * flushes XFRM, never runs _stackmanager, and writes only files it owns:
 *   <ipsec.d>/cabled.secrets        our PSKs (mode 0600), then whack --rereadsecrets
 *   <ipsec.d>/cabled-<name>.conf    optional conn files (auto=route|add) that survive a pluto restart
 * Both need the host's config to include them (Debian's ipsec.conf / ipsec.secrets
 * include /etc/ipsec.d/*.conf and *.secrets). It notices a pluto restart (the pid
 * in <rundir>/pluto.pid changes, or the socket is re-created) and runs the hooks.
 */
import { rm, stat, writeFile, rename, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidArgumentError, UnavailableError } from '../../../src/lib/errors.js';
import type { Logger } from '../../../src/lib/logger.js';
import {
  type ConnAuto,
  type ConnectionSpec,
  renderConn,
  validateConnection,
  WhackAdapter,
} from '../../../src/lib/whack/index.js';
import { readPidFile } from './files.js';
import { type PlutoHandle, type RestartHook, RestartHooks } from './handle.js';
import { type SecretEntry, writeSecretsFile } from './secrets.js';

export interface HostPlutoOptions {
  /** The host pluto's ctl socket (ceIPSecPlutoSocket), e.g. /run/pluto/pluto.ctl. */
  socket: string;
  /** Directory the host config includes, e.g. /etc/ipsec.d. */
  ipsecDir: string;
  /** @default <dirname(socket)>/pluto.pid */
  pidFile?: string;
  /** How often to look for a restart. @default 2000 */
  pollMs?: number;
  /** How long ready() waits for pluto to answer. @default 30000 */
  readyTimeoutMs?: number;
  /** @default cabled.secrets */
  secretsFileName?: string;
  /** Prefix of conn file names. @default cabled- */
  connFilePrefix?: string;
  whackPath?: string;
  whackTimeoutMs?: number;
  logger?: Logger;
}

interface Identity {
  pid: number | undefined;
  socketIno: number | undefined;
}

export class HostPluto implements PlutoHandle {
  readonly mode = 'host' as const;
  readonly socket: string;
  readonly whack: WhackAdapter;
  readonly logFile = undefined;
  private readonly hooks: RestartHooks;
  private readonly pidFile: string;
  private timer: NodeJS.Timeout | undefined;
  private seen: Identity | undefined;
  private down = false;
  private polling = false;
  private stopped = false;

  constructor(private readonly options: HostPlutoOptions) {
    this.socket = options.socket;
    this.pidFile = options.pidFile ?? join(dirname(options.socket), 'pluto.pid');
    this.hooks = new RestartHooks(options.logger);
    this.whack = new WhackAdapter({
      socket: options.socket,
      ...(options.whackPath ? { whackPath: options.whackPath } : {}),
      ...(options.whackTimeoutMs ? { timeoutMs: options.whackTimeoutMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  pid(): number | undefined {
    return this.seen?.pid;
  }

  onRestart(hook: RestartHook): () => void {
    return this.hooks.add(hook);
  }

  /** Waits until the host pluto answers, then watches it for restarts. */
  async ready(): Promise<void> {
    if (this.stopped) throw new UnavailableError('pluto handle is stopped');
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    while (!(await this.whack.ping())) {
      if (Date.now() > deadline) {
        throw new UnavailableError(
          `host pluto does not answer on ${this.socket}; start the host's ipsec service (host mode never starts pluto)`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    this.seen ??= await this.identity();
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? 2000);
      this.timer.unref();
    }
  }

  /** Writes <ipsec.d>/cabled.secrets (0600) and makes pluto reload its secrets. */
  async writeSecrets(entries: readonly SecretEntry[]): Promise<void> {
    await writeSecretsFile(join(this.options.ipsecDir, this.options.secretsFileName ?? 'cabled.secrets'), entries);
    await this.whack.rereadSecrets();
  }

  /** The conn file path of a connection. */
  connFile(name: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(name))
      throw new InvalidArgumentError(`connection name ${JSON.stringify(name)} is not usable as a file name`);
    return join(this.options.ipsecDir, `${this.options.connFilePrefix ?? 'cabled-'}${name}.conf`);
  }

  /** Persists a connection as <ipsec.d>/cabled-<name>.conf so the host pluto loads it when it restarts. */
  async writeConnFile(spec: ConnectionSpec, auto: ConnAuto = 'route'): Promise<string> {
    validateConnection(spec);
    const rendered = renderConn(await this.whack.version(), spec, auto);
    for (const w of rendered.warnings) this.options.logger?.warn(w);
    const file = this.connFile(spec.name);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, `# written by cabled; do not edit\n${rendered.text}`, { mode: 0o644 });
    await rename(tmp, file);
    return file;
  }

  /** Removes a conn file written by writeConnFile (absent is fine). */
  async removeConnFile(name: string): Promise<void> {
    await rm(this.connFile(name), { force: true });
  }

  /** Same as stop(): the host's pluto is never ours to stop. */
  release(): Promise<void> {
    return this.stop();
  }

  /** Stops watching. The host's pluto is left alone. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async identity(): Promise<Identity> {
    const pid = await readPidFile(this.pidFile);
    const socketIno = await stat(this.socket).then(
      (s) => s.ino,
      () => undefined,
    );
    return { pid, socketIno };
  }

  /** One look: fires the hooks once pluto answers with a new pid/socket, or after it was down. */
  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const now = await this.identity();
      const before = this.seen;
      const changed = !before || now.pid !== before.pid || now.socketIno !== before.socketIno;
      if (!changed && !this.down) return;
      if (!(await this.whack.ping())) {
        if (!this.down)
          this.options.logger?.warn('host pluto is not answering; waiting for it to come back', {
            socket: this.socket,
          });
        this.down = true;
        return;
      }
      const settled = await this.identity();
      this.seen = settled;
      this.down = false;
      const reason =
        before?.pid !== settled.pid
          ? `pluto pid changed ${String(before?.pid)} -> ${String(settled.pid)}`
          : 'pluto ctl socket re-created';
      await this.hooks.fire({
        mode: 'host',
        ...(settled.pid ? { pid: settled.pid } : {}),
        ...(before?.pid ? { previousPid: before.pid } : {}),
        reason,
      });
    } finally {
      this.polling = false;
    }
  }
}
