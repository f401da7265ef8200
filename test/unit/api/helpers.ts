/**
 * Test helpers for the engine API and cablectl: a running API server over a
 * FakeGatewayView on a unix socket in a temp dir, clients, and polling.
 */
import { credentials } from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../../src/engine/api/index.js';
import { GatewayServiceClient } from '../../../src/generated/cabled/engine/v1/engine.js';
import { createHealthClient, type HealthClient } from '../../../src/lib/grpc/health-client.js';
import { FakeGatewayView } from './fake-view.js';

export interface TestServer {
  view: FakeGatewayView;
  api: ApiServer;
  dir: string;
  socketPath: string;
  target: string;
  gateway: GatewayServiceClient;
  health: HealthClient;
  stop(): Promise<void>;
}

/** Starts the API on `<tmp>/run/engine.sock` (and a TCP health port) over a fresh FakeGatewayView. */
export async function startTestServer(view = new FakeGatewayView()): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'cabled-api-'));
  const socketPath = join(dir, 'run', 'engine.sock');
  const api = await startApiServer({
    view,
    listen: [`unix://${socketPath}`],
    healthListen: '127.0.0.1:0',
    shutdownTimeoutMs: 2000,
  });
  const target = api.addresses[0] ?? '';
  const gateway = new GatewayServiceClient(target, credentials.createInsecure());
  const health = createHealthClient(target);
  return {
    view,
    api,
    dir,
    socketPath,
    target,
    gateway,
    health,
    async stop() {
      gateway.close();
      health.close();
      await api.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value (or stops throwing), failing after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Collects the messages of a client stream into an array that tests poll. */
export function collect<T>(stream: NodeJS.EventEmitter): { items: T[]; error: () => unknown; ended: () => boolean } {
  const items: T[] = [];
  let error: unknown;
  let ended = false;
  stream.on('data', (item: T) => items.push(item));
  stream.on('error', (err: unknown) => {
    error = err;
    ended = true;
  });
  stream.on('end', () => (ended = true));
  return { items, error: () => error, ended: () => ended };
}
