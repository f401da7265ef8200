#!/usr/bin/env -S node --max-semi-space-size=4 --no-incremental-marking
/**
 * The cabled gateway process. Wires the sources (config, endpoints file), the
 * driver supervisor, the engine and its API together, and handles signals.
 * SIGTERM/SIGINT stop the engine and leave the datapath in place (a restart
 * adopts it), unless --cleanup-on-exit is set; the API's Shutdown RPC
 * (`cablectl shutdown [--cleanup]`) does the same with its own choice.
 *
 * The V8 flags on the first line (also in deploy/systemd/cabled.service and
 * lab/engine-process.ts):
 * - A young generation of at most 4 MB instead of 16 keeps the engine's RSS
 *   near its live data after a burst (measured holding 1000 VXLAN endpoints:
 *   105 -> 84 MB at 1 MB). 4 MB rather than 1: with 1 MB the engine collected
 *   its young generation every ~35 ms under 2000 health checks a second and
 *   ListConnections(1000) calls (31 % of its CPU); 74.8-78.1 against 69-70 MB
 *   of RSS holding 1000 endpoints (target 80; issue 15, P3 and P4).
 * - No incremental marking: its old generation is collected in one pause
 *   instead of many steps. Each ListConnections(1000) answer makes grpc-js
 *   copy ~320 KB into a new buffer outside the heap, and that memory keeps
 *   starting collections: in 500 calls the engine made a dozen incremental
 *   marking steps of 3-11 ms on its main thread, and four of its six slowest
 *   answers were under way during one. Without incremental marking: one full
 *   collection of ~20 ms in the same calls, which moves no p99.
 *   ListConnections p99 24.0 and 23.4 -> 10.0 and 8.8 ms (a bare grpc-js
 *   server answering the same bytes: 10.5-14.4 ms), 500 calls each, 2026-12-02
 *   10:38 UTC (docs/benchmarks.md, sixth pass).
 *
 * Modules load on demand: this file imports only the flag parser, so
 * `cabled version` and `--help` start like bare Node; `run` and `cleanup`
 * load the gateway below, and the optional parts (Kubernetes client, metrics,
 * health checker, config watcher) load where their flag is read.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CableConfig } from '../config/cable-config.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Engine } from './engine.js';
import { claimNetns } from './netns-claim.js';
import { checkPrivileges, prepareRunDir } from './preflight.js';
import { USAGE, parseEngineArgs, type EngineSettings } from './options.js';

export const VERSION: string = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
    version: string;
  }
).version;

async function main(): Promise<number> {
  // `cabled labeler ...` has its own flags (src/labeler/options.ts).
  if (process.argv[2] === 'labeler') return (await import('../labeler/main.js')).runLabeler(process.argv.slice(3));
  let parsed: ReturnType<typeof parseEngineArgs>;
  try {
    parsed = parseEngineArgs(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`cabled: ${errorMessage(err)}\nRun "cabled --help" for the flags.\n`);
    return 2;
  }
  const { command, settings } = parsed;
  if (command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === 'version') {
    process.stdout.write(`cabled ${VERSION}\n`);
    return 0;
  }
  if (command !== 'run' && command !== 'cleanup') {
    process.stderr.write(`cabled: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  const { createLogger } = await import('../lib/logger.js');
  const logger = createLogger({ name: 'cabled' });
  try {
    return command === 'run' ? await run(settings, logger) : await cleanup(settings, logger);
  } catch (err) {
    logger.error(`cabled ${command} failed`, { error: errorMessage(err) });
    return 1;
  }
}

async function setUp(settings: EngineSettings, logger: Logger, elected = false) {
  const [{ openNetlink }, { localEndpoint }, { DriverSupervisor }, { driverLaunch }, { Engine, localCluster }] =
    await Promise.all([
      import('../lib/netlink/index.js'),
      import('./local-endpoint.js'),
      import('./driver-host/supervisor.js'),
      import('./driver-registry.js'),
      import('./engine.js'),
    ]);
  const { toDriverConfig } = await import('../config/cable-config.js');
  await prepareRunDir(settings.runDir);
  const netlink = await openNetlink();
  const local = await localEndpoint(settings, netlink).finally(() => netlink.close());
  const supervisor = new DriverSupervisor({
    name: settings.driver,
    launch: settings.driverSocket
      ? { kind: 'external', socketPath: settings.driverSocket }
      : driverLaunch(settings.driver),
    runDir: settings.runDir,
    logger,
  });
  // The driver process starts now and loads while this one reads its config and starts its API (engine.start() finds it running).
  supervisor.start();
  const engine = new Engine({
    localEndpoint: local,
    localCluster: localCluster(local),
    supervisor,
    logger,
    version: VERSION,
    resyncIntervalMs: settings.resyncIntervalMs,
    statusIntervalMs: settings.statusIntervalMs,
    elected,
    health: settings.healthCheck.enabled
      ? new (await import('../healthcheck/health-checker.js')).HealthChecker({
          ...settings.healthCheck,
          sourceIp: local.healthCheckIp,
          logger,
        })
      : undefined,
  });
  // With a ConfigMap: watched and hot-reloaded. Without: defaults + environment, read once.
  const config = settings.configPath
    ? await (await import('../config/watch-config.js')).watchConfig({
        path: settings.configPath,
        env: process.env,
        logger,
        onChange: (cfg) => engine.setSettings(toDriverConfig(cfg)),
        onError: (err) => {
          logger.error('config update rejected; the last good config stays in force', { error: errorMessage(err) });
          engine.setConfigError(errorMessage(err));
        },
        onRecovered: () => engine.setConfigError(''),
      })
    : await fixedConfig(await (await import('../config/load.js')).loadConfig({ env: process.env }));
  engine.setSettings(toDriverConfig(config.current()));
  logger.info('gateway starting', {
    cluster: local.clusterId,
    cable: local.cableName,
    privateIp: local.privateIp,
    driver: settings.driver,
  });
  return { local, supervisor, engine, config };
}

async function run(settings: EngineSettings, logger: Logger): Promise<number> {
  // Causes that cannot fix themselves end the process at once, said once, with what to do.
  await checkPrivileges();
  // One engine per network namespace: refuse before touching anything (released when this process ends).
  await claimNetns({ pid: process.pid, runDir: settings.runDir, version: VERSION });
  // Unusable TLS files refuse the start before anything is touched (loaded only with a TCP --listen).
  if (settings.apiTls) await (await import('./api/tls-files.js')).loadTlsFiles(settings.apiTls);
  const { local, engine, config } = await setUp(settings, logger, settings.ha.leaderElection);
  // The driver starts first: the modules below load while it does.
  engine.start();
  const [{ startEndpointSources }, { policyFor }, { startApiServer }, { StopRequests }] = await Promise.all([
    import('../endpoints/endpoint-sources.js'),
    import('../endpoints/endpoint-policy.js'),
    import('./api/server.js'),
    import('./api/shutdown.js'),
  ]);
  // A signal or the Shutdown RPC (preStop hook) stops the engine; the first one decides the cleanup.
  const stops = new StopRequests();
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => stops.request({ cleanup: settings.cleanupOnExit, reason: signal }));
  const api = await startApiServer({
    view: engine,
    listen: settings.listen,
    tls: settings.apiTls,
    healthListen: settings.healthListen || undefined,
    logger,
    onShutdown: stops.handler,
  });
  logger.info('API serving', { addresses: api.addresses });
  // The endpoints after the API: the file's settled read (--endpoints-settle) does not hold the API up.
  const endpoints = await startEndpointSources({
    kind: settings.endpointsSource,
    filePath: settings.endpointsPath,
    // The Kubernetes client loads only for --endpoints-source kubernetes|both.
    kube: async () => ({
      kubeConfig: (await import('../kube/index.js')).loadKubeConfig({ path: settings.kubeconfig }),
      namespace: settings.endpointsNamespace,
    }),
    localClusterId: local.clusterId,
    policy: policyFor(local, settings.endpointLimits),
    logger,
    onChange: (snapshot) => engine.setEndpoints(snapshot),
    onSourceError: (source, error) => engine.setEndpointSourceError(source, error),
    fileSettleMs: settings.endpointsSettleMs,
    fileRemovalHoldMs: settings.endpointsRemovalHoldMs,
  });
  // Leader election and publication load the Kubernetes client only when configured.
  const ha =
    settings.ha.leaderElection || settings.ha.publish
      ? (await import('../ha/index.js')).startHa({
          settings: settings.ha,
          kubeConfig: (await import('../kube/index.js')).loadKubeConfig({ path: settings.kubeconfig }),
          local,
          endpointsNamespace: settings.endpointsNamespace,
          engine,
          logger,
        })
      : undefined;
  const metrics = settings.metricsListen ? await serveMetrics(settings.metricsListen, engine, logger) : undefined;

  const { cleanup, reason } = await stops.requested;
  logger.info('stopping', { cleanup, reason });
  await endpoints.close();
  config.close();
  try {
    // Hands over first: cables removed, Endpoint and Gateway withdrawn, Lease released.
    await ha?.stop();
    await engine.stop({ cleanup });
    stops.finished({ cleanedUp: cleanup });
  } catch (err) {
    stops.failed(err);
    throw err;
  } finally {
    await api.close();
    await metrics?.close();
  }
  // Stopped through the API (a pod's preStop hook runs `cablectl shutdown` inside the container): linger a
  // moment after the API is gone, so the caller sees it gone and exits before this process, and with it the
  // container, ends; otherwise the runtime kills the hook (exit 137, a FailedPreStopHook event).
  if (reason === 'api') await new Promise((resolve) => setTimeout(resolve, 1000));
  return 0;
}

/** --metrics-listen: prom-client and the HTTP server load only then. */
async function serveMetrics(listen: string, engine: Engine, logger: Logger) {
  const [{ GatewayMetrics }, { startMetricsServer }] = await Promise.all([
    import('../metrics/gateway-metrics.js'),
    import('../metrics/metrics-server.js'),
  ]);
  return startMetricsServer({ listen, metrics: new GatewayMetrics(engine), logger });
}

async function fixedConfig(cfg: CableConfig) {
  return { current: () => cfg, close: () => undefined };
}

/** `cabled cleanup`: start the driver, Init it, remove everything it made. */
async function cleanup(settings: EngineSettings, logger: Logger): Promise<number> {
  await checkPrivileges();
  // Not under a running engine's feet.
  await claimNetns({ pid: process.pid, runDir: settings.runDir, version: VERSION });
  // The cluster id only names the local cable; what is removed is whatever the driver made.
  const { supervisor, engine, config } = await setUp(
    { ...settings, clusterId: settings.clusterId || 'cleanup' },
    logger,
  );
  config.close();
  const client = await new Promise<NonNullable<typeof supervisor.current>>((resolve, reject) => {
    if (supervisor.current) return resolve(supervisor.current);
    supervisor.once('ready', (c) => resolve(c));
    setTimeout(
      () => reject(new Error(`driver ${settings.driver} did not start: ${supervisor.lastError}`)),
      60000,
    ).unref();
    supervisor.start();
  });
  await engine.initialise(client);
  await client.cleanup();
  logger.info('datapath removed');
  await supervisor.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`cabled: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
