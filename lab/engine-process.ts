/**
 * Test scaffolding: runs the real cabled engine (dist/src/engine/main.js) in a
 * network namespace as a child process, with its own run directory and log
 * file, and gives typed gRPC clients for its API socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { GatewayServiceClient, type GatewayStatus } from '../src/generated/cabled/engine/v1/engine.js';
import type { Connection } from '../src/generated/cabled/driver/v1/driver.js';
import { call } from '../src/lib/grpc/call.js';
import { checkHealth, createHealthClient, type HealthClient } from '../src/lib/grpc/health-client.js';
import { deleteNetns } from './netns.js';

/** dist/lab -> dist */
export const DIST = fileURLToPath(new URL('../', import.meta.url));
export const ENGINE_MAIN = join(DIST, 'src/engine/main.js');
export const CABLECTL_MAIN = join(DIST, 'src/cli/main.js');
/** The V8 flags deployments start the engine with (main.ts's first line, deploy/systemd/cabled.service). */
export const ENGINE_NODE_FLAGS = ['--max-semi-space-size=4', '--no-incremental-marking'];

export interface EngineSpec {
  ns: string;
  clusterId: string;
  privateIp: string;
  subnets: string[];
  endpointsPath: string;
  runDir: string;
  extraArgs?: string[];
  /** Extra environment for the engine (and the drivers it starts). */
  env?: Record<string, string>;
  /** The engine's main module, for another build (bench before/after). @default this build's */
  main?: string;
}

export class EngineProcess {
  private child: ChildProcess | undefined;
  readonly logPath: string;
  readonly socket: string;
  private gateway: GatewayServiceClient | undefined;
  private health: HealthClient | undefined;

  constructor(readonly spec: EngineSpec) {
    this.logPath = join(spec.runDir, 'engine.log');
    this.socket = join(spec.runDir, 'engine.sock');
  }

  start(): void {
    const { spec } = this;
    const args = [
      'netns',
      'exec',
      spec.ns,
      process.execPath,
      ...ENGINE_NODE_FLAGS,
      spec.main ?? ENGINE_MAIN,
      'run',
      '--cluster-id',
      spec.clusterId,
      '--private-ip',
      spec.privateIp,
      '--subnets',
      spec.subnets.join(','),
      '--endpoints',
      spec.endpointsPath,
      '--run-dir',
      spec.runDir,
      '--status-interval',
      '0.5',
      ...(spec.extraArgs ?? []),
    ];
    mkdirSync(spec.runDir, { recursive: true, mode: 0o700 });
    const log = createWriteStream(this.logPath, { flags: 'a' });
    this.child = spawn('ip', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CABLED_LOG_FORMAT: 'json', ...spec.env },
    });
    this.child.stdout?.pipe(log);
    this.child.stderr?.pipe(log);
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Sends a signal and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15000): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.closeClients();
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // `ip netns exec` execs node in place, so the pid is the engine's.
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Stops the pluto the libreswan driver started in own mode. It outlives the
   * engine on purpose (a restarted driver adopts it), so tests end it here.
   */
  async stopPluto(): Promise<void> {
    const pid = Number(
      (await readFile(join(this.spec.runDir, 'drivers', 'pluto', 'run', 'pluto.pid'), 'utf8').catch(() => '')).trim(),
    );
    if (!pid) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }

  async log(): Promise<string> {
    return readFile(this.logPath, 'utf8').catch(() => '');
  }

  private clients(): { gateway: GatewayServiceClient; health: HealthClient } {
    this.gateway ??= new GatewayServiceClient(`unix://${this.socket}`, credentials.createInsecure());
    this.health ??= createHealthClient(`unix://${this.socket}`);
    return { gateway: this.gateway, health: this.health };
  }

  closeClients(): void {
    this.gateway?.close();
    this.health?.close();
    this.gateway = undefined;
    this.health = undefined;
  }

  async status(): Promise<GatewayStatus> {
    const { gateway } = this.clients();
    const res = await call(gateway.getStatus.bind(gateway), {}, { timeoutMs: 3000 });
    if (!res.status) throw new Error('GetStatus returned no status');
    return res.status;
  }

  async connections(): Promise<Connection[]> {
    const { gateway } = this.clients();
    return (await call(gateway.listConnections.bind(gateway), {}, { timeoutMs: 3000 })).connections;
  }

  async serving(service = ''): Promise<boolean> {
    try {
      return (await checkHealth(this.clients().health, service, { timeoutMs: 2000 })) === 'SERVING';
    } catch {
      return false;
    }
  }

  gatewayClient(): GatewayServiceClient {
    return this.clients().gateway;
  }
}

/**
 * The after-hook of a test with real engines in namespaces: stops the engines
 * (with `signal`), prints the tail of their logs when the test failed or
 * CABLED_TEST_LOGS is set, deletes the namespaces and the work folder.
 */
export async function tearDownEngines(opts: {
  engines: (EngineProcess | undefined)[];
  namespaces: string[];
  work: string | undefined;
  failed: boolean;
  signal?: NodeJS.Signals;
}): Promise<void> {
  for (const e of opts.engines) await e?.stop(opts.signal ?? 'SIGTERM');
  if (opts.failed || process.env.CABLED_TEST_LOGS) {
    for (const [i, e] of opts.engines.entries())
      if (e) process.stderr.write(`--- engine${i + 1} log (${e.spec.ns}) ---\n${(await e.log()).slice(-4000)}\n`);
  }
  for (const ns of opts.namespaces) await deleteNetns(ns);
  // CABLED_TEST_KEEP=1 keeps the run folders (engine, driver and pluto logs) for a look after the run.
  if (opts.work && process.env.CABLED_TEST_KEEP) process.stderr.write(`kept ${opts.work}\n`);
  else if (opts.work) await rm(opts.work, { recursive: true, force: true });
}
