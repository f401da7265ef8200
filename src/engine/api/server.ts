/**
 * The engine's gRPC server: GatewayService, grpc.health.v1 and reflection
 * (v1 and v1alpha, descriptors generated from proto/) on every `listen`
 * address, plus an optional TCP address serving only grpc.health.v1 for
 * kubelet probes ("" = readiness; "liveness" and
 * "cabled.engine.v1.GatewayService" = liveness).
 *
 * Unix sockets (0600) serve everything. TCP addresses serve with mutual TLS
 * only (`tls`: client certificates from its CA, reloaded when the files
 * change); there the calls that change the gateway (Shutdown) are for the
 * certificates named in `tls.admins`, the rest is read-only (see access.ts).
 * The health-only listener is plaintext, for kubelet, and serves nothing else.
 */
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { parseAddress } from '../../lib/grpc/address.js';
import { serveHealth, type HealthService } from '../../lib/grpc/health.js';
import { bindServer } from '../../lib/grpc/listen.js';
import { addLazyReflection } from '../../lib/grpc/reflection-service.js';
import { silentLogger, type Logger } from '../../lib/logger.js';
import type { GatewayView } from '../gateway-view.js';
import { guardService, type ApiAccess } from './access.js';
import { gatewayService } from './gateway-service.js';
import { API_SERVER_OPTIONS } from './limits.js';
import { syncHealth } from './health-sync.js';
import { GatewayServiceDefinition } from './list-cache.js';
import type { ShutdownHandler } from './shutdown.js';
import { TLS_HOWTO, type ApiTlsSettings } from './tls-settings.js';
import { connectionWatches } from './watch.js';

/**
 * The grpc.health.v1 service kubelet's liveness probe checks: SERVING while
 * the API runs. It answers only when the engine's event loop does, so a hung
 * engine fails the probe's timeout; unlike "" (readiness) it stays SERVING
 * while the driver restarts or the desired state is not yet applied.
 */
export const LIVENESS_SERVICE = 'liveness';

/**
 * The API's own service name. grpc.health.v1 answers for it with the liveness
 * status, for probes that check a service by name (grpc_health_probe -service,
 * kubelet's grpc.service).
 */
export const GATEWAY_SERVICE = 'cabled.engine.v1.GatewayService';

/** The services reflection lists (besides itself). */
export const API_SERVICES: readonly string[] = [GATEWAY_SERVICE, 'grpc.health.v1.Health'];

export interface ApiServerOptions {
  view: GatewayView;
  /** Addresses serving the whole API, e.g. ['unix:///run/cabled/engine.sock', '127.0.0.1:50051']. */
  listen: readonly string[];
  /** Mutual TLS of the TCP `listen` addresses: required when there is one. */
  tls?: ApiTlsSettings & {
    /** Safety-net re-read of the TLS files (a change is also seen at once). @default 5000 */
    reloadPollMs?: number;
  };
  /** A TCP address serving only grpc.health.v1 (kubelet probes). */
  healthListen?: string;
  logger?: Logger;
  /** How long close() lets calls finish before cutting them. @default 5000 */
  shutdownTimeoutMs?: number;
  /** Serve server reflection (grpc.reflection.v1 and v1alpha, descriptors generated from proto/). @default true */
  reflection?: boolean;
  /** Events queued for one slow WatchConnections client before it is cut off. @default 10000 */
  maxBufferedEvents?: number;
  /** Stops the engine for the Shutdown RPC (see StopRequests). Without it, Shutdown is UNIMPLEMENTED. */
  onShutdown?: ShutdownHandler;
}

export interface ApiServer {
  /** The bound `listen` addresses as grpc-js targets (TCP port 0 replaced by the real port). */
  readonly addresses: readonly string[];
  /** The bound `healthListen` address, if any. */
  readonly healthAddress: string | undefined;
  /** The health statuses served (for tests and the engine's own shutdown). */
  readonly health: HealthService;
  /** Marks health NOT_SERVING, ends watches, then shuts the servers down gracefully. Idempotent. */
  close(): Promise<void>;
}

/** Starts the API. Rejects (having released everything) when an address cannot be bound. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { view } = options;
  const logger = (options.logger ?? silentLogger()).child({ component: 'api' });
  if (options.listen.length === 0) throw new InvalidArgumentError('the engine API needs at least one listen address');
  for (const address of [...options.listen, ...(options.healthListen ? [options.healthListen] : [])])
    parseAddress(address);

  const tcp = options.listen.filter((a) => parseAddress(a).kind === 'tcp');
  if (tcp.length && !options.tls) {
    throw new InvalidArgumentError(
      `cannot serve the API on ${tcp.join(', ')}: the TCP API requires mutual TLS; ${TLS_HOWTO}`,
    );
  }
  // Loaded only when TCP is served.
  const tls =
    tcp.length && options.tls
      ? await (await import('./tls-files.js')).reloadingTls({
          ...options.tls,
          pollMs: options.tls.reloadPollMs,
          logger,
        })
      : undefined;

  const watches = connectionWatches(view, logger, options.maxBufferedEvents);
  const health = serveHealth({ addService: () => undefined }, { '': 'NOT_SERVING' });
  const apiServer = (access: ApiAccess): Server => {
    const server = new Server(API_SERVER_OPTIONS);
    const service = gatewayService(view, logger, watches.handler, options.onShutdown);
    server.addService(GatewayServiceDefinition, guardService(service, access, logger));
    health.addToServer(server);
    // The descriptors load at the first reflection call, not at start.
    if (options.reflection ?? true) addLazyReflection(server, { services: API_SERVICES });
    return server;
  };
  const localServer = tcp.length < options.listen.length ? apiServer({ kind: 'local' }) : undefined;
  const tlsServer = tls ? apiServer({ kind: 'tls', admins: options.tls?.admins ?? [] }) : undefined;
  let healthServer: Server | undefined;
  if (options.healthListen) {
    healthServer = new Server(API_SERVER_OPTIONS);
    health.addToServer(healthServer);
  }
  const stopHealthSync = syncHealth(view, health, logger);
  health.setStatus(LIVENESS_SERVICE, 'SERVING');
  health.setStatus(GATEWAY_SERVICE, 'SERVING');
  const servers = [localServer, tlsServer, healthServer].filter((s): s is Server => s !== undefined);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      stopHealthSync();
      health.shutdown();
      watches.closeAll();
      tls?.close();
      await Promise.all(servers.map((s) => shutdown(s, options.shutdownTimeoutMs ?? 5000, logger)));
      logger.info('engine API stopped');
    })());

  try {
    const addresses: string[] = [];
    for (const address of options.listen) {
      const isTcp = parseAddress(address).kind === 'tcp';
      const [server, credentials]: [Server | undefined, ServerCredentials | undefined] = isTcp
        ? [tlsServer, tls?.credentials]
        : [localServer, undefined];
      if (!server) throw new InvalidArgumentError(`no server for ${address}`);
      addresses.push(await bindServer(server, address, credentials));
    }
    const healthAddress =
      healthServer && options.healthListen ? await bindServer(healthServer, options.healthListen) : undefined;
    logger.info('engine API listening', {
      addresses,
      healthAddress,
      ...(tls ? { tls: { certificate: tls.current().summary, admins: options.tls?.admins ?? [] } } : {}),
    });
    return { addresses, healthAddress, health, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** tryShutdown, then forceShutdown when calls are still running after `timeoutMs`. */
async function shutdown(server: Server, timeoutMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const graceful = new Promise<boolean>((resolve) => server.tryShutdown(() => resolve(true)));
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const clean = await Promise.race([graceful, deadline]);
  clearTimeout(timer);
  if (!clean) {
    logger.warn('calls still running at shutdown deadline; cutting them', { timeoutMs });
    server.forceShutdown();
  }
}
