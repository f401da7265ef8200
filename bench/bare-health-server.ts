/**
 * P3's baseline: a bare grpc-js server answering grpc.health.v1 (the same
 * health implementation the engine serves) on a unix socket and nothing
 * else. Prints "ready" once bound; runs until killed.
 *   node dist/bench/bare-health-server.js <socket path>
 */
import { Server } from '@grpc/grpc-js';
import { bindServer } from '../src/lib/grpc/listen.js';
import { serveHealth } from '../src/lib/grpc/health.js';

const path = process.argv[2];
if (!path) throw new Error('usage: bare-health-server.js <socket path>');
const server = new Server();
serveHealth(server, { '': 'SERVING' });
await bindServer(server, `unix://${path}`);
// Exit (not die) on SIGTERM: a profiling preload writes its files at exit.
process.once('SIGTERM', () => process.exit(0));
console.log('ready');
