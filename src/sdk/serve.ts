/**
 * One call serves a driver: `serveDriver('name', (ctx) => new MyDriver(ctx))`. It binds
 * cabled.driver.v1 and grpc.health.v1 on the unix socket the engine named
 * (mode 0600), prints the handshake line, and stops when told to (SIGTERM,
 * SIGINT) or when the engine that started it is gone (stdin closed). Stopping
 * never tears the datapath down: only the Cleanup call does.
 */
import { Server } from '@grpc/grpc-js';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CableDriverServiceService } from '../generated/cabled/driver/v1/driver.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { errorMessage } from '../lib/errors.js';
import { serveHealth } from '../lib/grpc/health.js';
import { bindServer } from '../lib/grpc/listen.js';
import { ConnectionWatch } from './connection-watch.js';
import { SharedReading } from './shared-reading.js';
import { HeapTrim } from './heap-trim.js';
import type { CableDriver } from './driver.js';
import { COOKIE_ENV, COOKIE_VALUE, PARENT_STDIN_ENV, SOCKET_ENV, formatHandshake } from './handshake.js';
import { driverService } from './service.js';

export interface ServeOptions {
  /** @default process.env.CABLED_DRIVER_SOCKET, or --socket PATH */
  socketPath?: string;
  logger?: Logger;
  /** How soon watchers get refreshed connections after a change. @default 2000 */
  watchIntervalMs?: number;
  /**
   * While refreshes find nothing new, each waits twice as long as the last,
   * up to this. @default watchIntervalMs (a fixed period)
   */
  watchMaxIntervalMs?: number;
}

/** What a driver gets from the SDK when it is created. */
export interface DriverContext {
  socketPath: string;
  /** Where the driver keeps its state (StateStore files): the socket's directory. */
  stateDir: string;
  logger: Logger;
}

export interface ServingDriver {
  socketPath: string;
  stop(): Promise<void>;
}

export async function serveDriver(
  name: string,
  create: (context: DriverContext) => CableDriver,
  options: ServeOptions = {},
): Promise<ServingDriver> {
  const logger = options.logger ?? createLogger({ name: `driver.${name}` }).child({ component: `driver.${name}` });
  const socketPath = options.socketPath ?? socketFromArgs() ?? process.env[SOCKET_ENV];
  if (!socketPath) {
    throw new Error(
      `the ${name} cable driver is started by the cabled engine; to run it by hand pass --socket /path/driver.sock`,
    );
  }
  if (!options.socketPath && !socketFromArgs() && process.env[COOKIE_ENV] !== COOKIE_VALUE) {
    throw new Error(`${SOCKET_ENV} is set but the engine's handshake cookie is not: start this driver through cabled`);
  }

  const driver = create({ socketPath, stateDir: dirname(socketPath), logger });
  // A reading of every cable leaves garbage behind, some of it promoted: trimmed like a burst's (P4).
  const trim = new HeapTrim();
  const readings = new SharedReading(trim.around(() => driver.getConnections()));
  const watch = new ConnectionWatch(
    () => readings.read(),
    logger,
    options.watchIntervalMs,
    undefined,
    options.watchMaxIntervalMs,
  );
  const server = new Server();
  server.addService(CableDriverServiceService, driverService(driver, watch, readings, logger, { trim }));
  const health = serveHealth(server, { '': 'SERVING', 'cabled.driver.v1.CableDriverService': 'SERVING' });
  // Creates the directory 0700, replaces a stale socket (refuses a live one), chmods the socket 0600.
  await bindServer(server, `unix://${socketPath}`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      logger.info('driver stopping (datapath left in place)');
      watch.close();
      health.shutdown();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await driver
        .close?.()
        .catch((err: unknown) => logger.warn('closing driver failed', { error: errorMessage(err) }));
      await rm(socketPath, { force: true });
    })());

  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => void stop().then(() => process.exit(0)));
  if (process.env[PARENT_STDIN_ENV] === '1') {
    process.stdin.on('end', () => void stop().then(() => process.exit(0)));
    process.stdin.on('error', () => void stop().then(() => process.exit(0)));
    process.stdin.resume();
  }

  process.stdout.write(`${formatHandshake(socketPath)}\n`);
  logger.info('driver serving', { socket: socketPath, pid: process.pid });
  return { socketPath, stop };
}

function socketFromArgs(): string | undefined {
  const i = process.argv.indexOf('--socket');
  return i >= 0 ? process.argv[i + 1] : undefined;
}
