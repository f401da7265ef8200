/**
 * A pluto started by a test in a network namespace, standing in for a host's
 * ipsec.service: its config includes <ipsec.d>/*.conf and its secrets file
 * includes <ipsec.d>/*.secrets, as Debian's do. Engines in host mode
 * (ceIPSecPlutoMode: host) are pointed at its socket and ipsec.d; they must
 * never start, stop or restart it. Used by the integration tests and by the
 * stock-kernel end-to-end guest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureNssDb } from '../../drivers/libreswan/pluto/index.js';
import { run, waitFor } from '../../lab/netns.js';

export const WHACK = '/usr/libexec/ipsec/whack';

export class HostPluto {
  private child: ChildProcess | undefined;
  readonly socket: string;
  readonly ipsecDir: string;
  readonly logFile: string;

  /** `dir` holds everything: ipsec.conf, ipsec.secrets, ipsec.d/, nss/, run/, pluto.log. */
  constructor(
    readonly ns: string,
    readonly dir: string,
  ) {
    this.socket = join(dir, 'run', 'pluto.ctl');
    this.ipsecDir = join(dir, 'ipsec.d');
    this.logFile = join(dir, 'pluto.log');
  }

  /** Writes the host's files (once) and starts pluto; resolves when it answers on its socket. */
  async start(): Promise<void> {
    const { dir } = this;
    await mkdir(join(dir, 'run'), { recursive: true });
    await mkdir(this.ipsecDir, { recursive: true });
    await ensureNssDb(join(dir, 'nss'));
    await writeFile(join(dir, 'ipsec.conf'), `config setup\n\tuniqueids=yes\ninclude ${this.ipsecDir}/*.conf\n`);
    await writeFile(join(dir, 'ipsec.secrets'), `include ${this.ipsecDir}/*.secrets\n`, { mode: 0o600 });
    this.child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns,
        '/usr/libexec/ipsec/pluto',
        '--config',
        join(dir, 'ipsec.conf'),
        '--rundir',
        join(dir, 'run'),
        '--nssdir',
        join(dir, 'nss'),
        '--secretsfile',
        join(dir, 'ipsec.secrets'),
        '--logfile',
        this.logFile,
        '--dumpdir',
        join(dir, 'run'),
        '--nofork',
        '--use-xfrm',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(
      `the host pluto in ${this.ns} answering`,
      async () => (await this.whack('--briefstatus')).ok,
      30000,
      100,
    );
  }

  /** The running pluto's pid (`ip netns exec` execs pluto in place), 0 when stopped. */
  get pid(): number {
    const c = this.child;
    return c && c.exitCode === null && c.signalCode === null ? (c.pid ?? 0) : 0;
  }

  /** Runs whack against this pluto; `ok` is false when it failed (the error is in `stderr`). */
  whack(...args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
    return run(WHACK, ['--ctlsocket', this.socket, ...args], 30000).then(
      (r) => ({ ok: true, ...r }),
      (err: unknown) => ({ ok: false, stdout: '', stderr: String(err) }),
    );
  }

  /**
   * Loads a connection of "the host's own" (not cabled's): `body` is the conn
   * section's lines, written to <ipsec.d>/<name>.conf and loaded with addconn,
   * as ipsec.service would.
   */
  async addConn(name: string, body: string[]): Promise<void> {
    const file = join(this.ipsecDir, `${name}.conf`);
    await writeFile(file, `conn ${name}\n${body.map((l) => `\t${l}\n`).join('')}`);
    await run('/usr/libexec/ipsec/addconn', ['--ctlsocket', this.socket, '--config', file, name], 30000);
  }

  /** Connection names pluto has loaded (`whack --status`). */
  async loaded(): Promise<string[]> {
    const { stdout } = await this.whack('--status');
    return [...new Set([...stdout.matchAll(/^(?:\d+ )?"([^"]+)":/gm)].map((m) => m[1]!))].sort();
  }

  /** Stops pluto (SIGTERM, then SIGKILL) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(t);
  }
}
