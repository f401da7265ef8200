/**
 * Serves the gateway's metrics over plain HTTP (node:http) at /metrics on
 * --metrics-listen host:port, as Submariner's gateway serves them on
 * SUBMARINER_METRICSPORT. Anything else is 404; only GET and HEAD.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CabledError, InvalidArgumentError, errorMessage } from '../lib/errors.js';
import { formatAddress, parseAddress } from '../lib/grpc/address.js';
import type { Logger } from '../lib/logger.js';
import type { GatewayMetrics } from './gateway-metrics.js';

export interface MetricsServer {
  /** host:port actually bound (the kernel's port for host:0). */
  address: string;
  close(): Promise<void>;
}

/** Starts serving; rejects naming the address when it cannot listen. */
export async function startMetricsServer(options: {
  listen: string;
  metrics: GatewayMetrics;
  logger: Logger;
}): Promise<MetricsServer> {
  const parsed = parseAddress(options.listen);
  if (parsed.kind !== 'tcp')
    throw new InvalidArgumentError(
      `metrics address ${JSON.stringify(options.listen)}: expected host:port (e.g. 0.0.0.0:32780)`,
    );
  const log = options.logger.child({ component: 'metrics' });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n');
      return;
    }
    options.metrics.scrape().then(
      (text) =>
        res
          .writeHead(200, { 'content-type': options.metrics.contentType })
          .end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => {
        log.error('collecting metrics failed', { error: errorMessage(err) });
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${errorMessage(err)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new CabledError(`cannot serve metrics on ${options.listen}: ${err.message}`, undefined, { cause: err })),
    );
    server.listen(parsed.port, parsed.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const address = formatAddress({ kind: 'tcp', host: parsed.host, port: bound.port });
  log.info('metrics serving', { address: `http://${address}/metrics` });
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
