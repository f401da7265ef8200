/**
 * P3's baseline: a bare grpc-js server answering grpc.health.v1 (the same
 * health implementation the engine serves) on a unix socket, and
 * cabled.engine.v1.GatewayService/ListConnections with the bytes of the file
 * `<socket path>.list` (the engine's own answer, written by the bench before
 * the first call, read once): the same response through the same transport,
 * with nothing behind it. Prints "ready" once bound; runs until killed.
 *   node dist/bench/bare-health-server.js <socket path>
 */
import { readFileSync } from 'node:fs';
import { Server, type ServiceDefinition } from '@grpc/grpc-js';
import { bindServer } from '../src/lib/grpc/listen.js';
import { serveHealth } from '../src/lib/grpc/health.js';

const path = process.argv[2];
if (!path) throw new Error('usage: bare-health-server.js <socket path>');
const server = new Server();
serveHealth(server, { '': 'SERVING' });
const raw = (b: Buffer): Buffer => b;
const listService: ServiceDefinition = {
  ListConnections: {
    path: '/cabled.engine.v1.GatewayService/ListConnections',
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};
let answer: Buffer | undefined;
server.addService(listService, {
  ListConnections: (_call: unknown, callback: (err: null, res: Buffer) => void) => {
    answer ??= readFileSync(`${path}.list`);
    callback(null, answer);
  },
});
await bindServer(server, `unix://${path}`);
// Exit (not die) on SIGTERM: a profiling preload writes its files at exit.
process.once('SIGTERM', () => process.exit(0));
console.log('ready');
