/**
 * Binds a grpc-js Server to one address. For a unix socket: creates the
 * parent directory (0700) when missing, removes a stale socket left by a dead
 * process (but refuses to steal one that still answers, or to delete a file
 * that is not a socket), and makes the socket 0600 once bound.
 */
import { type Server, ServerCredentials } from '@grpc/grpc-js';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { CabledError, FailedPreconditionError, errorMessage } from '../errors.js';
import { formatAddress, parseAddress, type Address } from './address.js';

/**
 * Binds `server` to `address` (any spelling `parseAddress` accepts) and
 * returns the bound address as a grpc-js target; for `host:0` it carries the
 * port the kernel chose. Insecure unless `credentials` say otherwise. Does not start anything else: grpc-js serves once bound.
 */
export async function bindServer(
  server: Server,
  address: string,
  credentials: ServerCredentials = ServerCredentials.createInsecure(),
): Promise<string> {
  const parsed = parseAddress(address);
  if (parsed.kind === 'unix') await prepareUnixSocket(parsed.path);
  const target = formatAddress(parsed);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, credentials, (err, boundPort) => {
      if (err) reject(new CabledError(`cannot listen on ${target}: ${err.message}`, undefined, { cause: err }));
      else resolve(boundPort);
    });
  });
  if (parsed.kind === 'unix') {
    await chmod(parsed.path, 0o600);
    return target;
  }
  return formatAddress({ ...parsed, port } satisfies Address);
}

/** Makes `path` ready to bind: parent dir present (created 0700), no stale socket. */
export async function prepareUnixSocket(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const stat = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!stat) return;
  if (!stat.isSocket()) {
    throw new FailedPreconditionError(
      `cannot listen on unix://${path}: the path exists and is not a socket; remove it or choose another path`,
    );
  }
  if (await socketAnswers(path)) {
    throw new FailedPreconditionError(
      `cannot listen on unix://${path}: another process is serving on it; stop it or choose another path`,
    );
  }
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT')
      throw new CabledError(`cannot remove stale socket ${path}: ${errorMessage(err)}`, undefined, { cause: err });
  });
}

/** Whether something accepts connections on the unix socket at `path`. */
function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(true));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
