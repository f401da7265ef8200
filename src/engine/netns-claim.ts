/**
 * One engine per network namespace. Two engines in one namespace would share
 * its devices, routes and rules (each adopting the other's vxlan-tunnel and
 * installing cables beside it), whatever their run directories. So the
 * engine claims the namespace before it touches anything: it listens on an
 * abstract unix socket, which lives in the network namespace (not the file
 * system) and goes away with the process that holds it, even after kill -9.
 * A second engine finds the name taken, asks the holder who it is (its pid
 * and run dir), and refuses to start, naming them.
 *
 * The holder's answer is what the holder says: it is bounded and checked,
 * and shown as "reported by" for that reason.
 */
import { connect, createServer, type Server } from 'node:net';
import { FailedPreconditionError, errorMessage } from '../lib/errors.js';

/** The abstract socket name (shown by `ss -xlp` as @cabled/engine). */
export const NETNS_CLAIM_NAME = 'cabled/engine';

/** What the holder tells a second engine. */
export interface ClaimHolder {
  pid: number;
  runDir: string;
  version: string;
}

/** The claim of this namespace: released on close() or when the process dies. */
export interface NetnsClaim {
  close(): Promise<void>;
}

const MAX_ANSWER_BYTES = 4096;

/**
 * Claims this network namespace for `me`. Rejects with FailedPreconditionError
 * naming the other engine's pid and run dir when one holds it.
 */
export async function claimNetns(me: ClaimHolder, name = NETNS_CLAIM_NAME): Promise<NetnsClaim> {
  const address = `\0${name}`;
  for (let attempt = 0; ; attempt++) {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(`${JSON.stringify(me)}\n`);
    });
    const listened = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen({ path: address }, () => resolve(undefined));
    });
    if (!listened) {
      server.on('error', () => undefined);
      return { close: () => closeServer(server) };
    }
    if (listened.code !== 'EADDRINUSE') {
      throw new FailedPreconditionError(
        `cannot claim this network namespace (abstract socket @${name}): ${errorMessage(listened)}`,
      );
    }
    const holder = await askHolder(address).catch((err: unknown) => err as Error);
    if (!(holder instanceof Error)) {
      throw new FailedPreconditionError(
        `another cabled engine runs in this network namespace (pid ${holder.pid}, run dir ${holder.runDir}, version ${holder.version}, as reported by the holder of @${name}); ` +
          'two engines would fight over the same devices and routes: stop that one first ' +
          `(cablectl --socket ${holder.runDir}/engine.sock shutdown), or run this one in another network namespace`,
      );
    }
    // The holder may be exiting (the name is freed when it is gone): try again, briefly.
    if (attempt >= 20) {
      throw new FailedPreconditionError(
        `another process holds @${name} in this network namespace but does not say who it is (${holder.message}); find it with "ss -xlp | grep ${name}"`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads the holder's one-line JSON answer (bounded in size and time). */
function askHolder(address: string, timeoutMs = 2000): Promise<ClaimHolder> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: address });
    let text = '';
    const fail = (why: string): void => {
      socket.destroy();
      reject(new Error(why));
    };
    socket.setTimeout(timeoutMs, () => fail('no answer'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_ANSWER_BYTES) fail('answer too long');
    });
    socket.on('error', (err) => fail(errorMessage(err)));
    socket.on('end', () => {
      socket.destroy();
      const holder = parseHolder(text);
      if (holder) resolve(holder);
      else reject(new Error('not a cabled engine answer'));
    });
  });
}

function parseHolder(text: string): ClaimHolder | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { pid, runDir, version } = v as Record<string, unknown>;
  const printable = (s: unknown, max: number): s is string =>
    typeof s === 'string' && s.length <= max && /^[\x20-\x7e]*$/.test(s);
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0 || !printable(runDir, 1024) || !printable(version, 64))
    return undefined;
  return { pid: pid as number, runDir, version };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
