/**
 * One rtnetlink socket plus the rules every request follows: dumps and reads
 * run alone (the kernel answers EBUSY to a second dump started on a socket
 * whose dump is still running); plain writes may be pipelined, many in flight
 * at once and answered by sequence number, which is what makes a burst of
 * FDB entries and routes cheap; a timeout on each request, explicit
 * NLM_F_* flags (the package sends only REQUEST|ACK, plus DUMP for the get*s
 * helpers), and errors that name the operation and object. The per-object
 * modules (links.ts, routes.ts, ...) use only this.
 */
import { getSystemErrorName } from 'node:util';
import netlink from 'netlink';
import type { NetlinkMessage, NetlinkSocket, RtNetlinkSocket } from 'netlink';
import { toNetlinkError } from './errors.js';
import { NLMSG_HDRLEN, putHeader, zeroed } from './wire.js';

/** NLM_F_* modifiers for new/set requests (linux/netlink.h). */
export const NLM_F = {
  REPLACE: netlink.FlagsNew.REPLACE,
  EXCL: netlink.FlagsNew.EXCL,
  CREATE: netlink.FlagsNew.CREATE,
  APPEND: netlink.FlagsNew.APPEND,
} as const;

/** NLM_F_DUMP, for the get requests whose answer is every object of the kind. */
export const DUMP = netlink.FlagsGet.DUMP;

/** Address families used in message headers. */
export const AF_INET = 2;
export const AF_BRIDGE = 7;

/** One encoded write of a batch: message type, NLM_F_* modifiers (REQUEST|ACK are added), the message after its header. */
export interface EncodedWrite {
  type: number;
  flags: number;
  body: Buffer;
}

/** How one write of a batch ended: acked (undefined), refused (`{ errno: "EEXIST" }`), or no answer. */
export type WriteOutcome = undefined | { errno: string } | { timedOut: true } | { sendError: string };

/**
 * What the batch path uses of the package's NetlinkSocket beyond its typed
 * surface: the sequence-number callbacks its own `request()` uses (protected
 * in its types, plain methods in its JavaScript; the version is pinned).
 */
interface SeqCallbacks {
  makeRef(seq: number, callback: (err: Error | null, msg?: NetlinkMessage[]) => void): number;
  dropRef(seq: number): void;
}

function seqCallbacks(sock: NetlinkSocket): SeqCallbacks {
  const s = sock as unknown as Partial<SeqCallbacks>;
  if (typeof s.makeRef !== 'function' || typeof s.dropRef !== 'function')
    throw new Error('the netlink package no longer has makeRef/dropRef; update src/lib/netlink/session.ts');
  return s as SeqCallbacks;
}

const NLMSG_ERROR = netlink.MessageType.ERROR;
const REQUEST_ACK = netlink.Flags.REQUEST | netlink.Flags.ACK;

/** Options for {@link NetlinkSession}. */
export interface SessionOptions {
  /** Per-request timeout in milliseconds. @default 5000 */
  timeoutMs?: number;
}

/** The socket plus its request options; shared by the object modules. */
export class NetlinkSession {
  readonly timeoutMs: number;
  private closed = false;
  /** Settles when the last exclusive request (and everything before it) is done. */
  private barrier: Promise<unknown> = Promise.resolve();
  /** Pipelined writes in flight. */
  private readonly writes = new Set<Promise<unknown>>();
  private readonly slotWaiters: (() => void)[] = [];
  /** Writes in flight at most: keeps the acks inside the socket's receive buffer. */
  static readonly MAX_PIPELINED = 128;

  constructor(
    readonly sock: RtNetlinkSocket,
    options: SessionOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The socket's netlink port id, read once (the package asks the kernel on every send otherwise). */
  private localPort: number | undefined;

  /** Send options for one request: the timeout plus NLM_F_* `flags`. */
  opts(flags = 0): { timeout: number; flags: number; localPort: number } {
    const localPort = (this.localPort ??= this.sock.socket.address().port);
    return { timeout: this.timeoutMs, flags, localPort };
  }

  /**
   * Runs one request once the previous one has finished. On failure throws a
   * NetlinkError whose message starts with `describe()`, evaluated only then
   * (it may look up a device name: "on vxlan-tunnel", not "on ifindex 7").
   */
  async run<T>(
    describe: () => string | Promise<string>,
    request: () => Promise<T>,
    mode: 'exclusive' | 'pipelined' = 'exclusive',
  ): Promise<T> {
    let result: Promise<T>;
    if (mode === 'exclusive') {
      result = Promise.all([this.barrier, ...this.writes]).then(request, request);
      this.barrier = result.catch(() => undefined);
    } else {
      while (this.writes.size >= NetlinkSession.MAX_PIPELINED) await new Promise<void>((r) => this.slotWaiters.push(r));
      result = this.barrier.then(request, request);
      const tracked: Promise<unknown> = result
        .catch(() => undefined)
        .finally(() => {
          this.writes.delete(tracked);
          this.slotWaiters.shift()?.();
        });
      this.writes.add(tracked);
    }
    try {
      return await result;
    } catch (err) {
      let what: string;
      try {
        what = await describe();
      } catch {
        what = 'netlink request';
      }
      throw toNetlinkError(what, err, this.timeoutMs);
    }
  }

  /**
   * Many writes with few syscalls, promises and timers: the messages are
   * packed MAX_PIPELINED at a time into one buffer and sent with one
   * `sendmsg` (the kernel handles each message of it in turn and acks each),
   * with one timer per chunk; the next chunk goes when every ack of the
   * previous one is in (which keeps the acks inside the socket's receive
   * buffer). Ordered like the pipelined writes: after every exclusive request
   * started before, and before any started after. Never rejects: one outcome
   * per write, in order.
   */
  writeBatch(writes: readonly EncodedWrite[]): Promise<WriteOutcome[]> {
    const send = async (): Promise<WriteOutcome[]> => {
      const out: WriteOutcome[] = [];
      for (let i = 0; i < writes.length; i += NetlinkSession.MAX_PIPELINED)
        out.push(...(await this.sendChunk(writes.slice(i, i + NetlinkSession.MAX_PIPELINED))));
      return out;
    };
    const result = this.barrier.then(send, send);
    const tracked: Promise<unknown> = result.finally(() => {
      this.writes.delete(tracked);
      this.slotWaiters.shift()?.();
    });
    this.writes.add(tracked);
    return result;
  }

  private sendChunk(chunk: readonly EncodedWrite[]): Promise<WriteOutcome[]> {
    const nl = this.sock.socket;
    const refs = seqCallbacks(nl);
    const port = this.opts().localPort;
    const outcomes: WriteOutcome[] = new Array(chunk.length).fill(undefined);
    const waiting = new Map<number, number>(); // seq -> index in chunk
    return new Promise<WriteOutcome[]>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (seq: number, outcome: WriteOutcome): void => {
        const i = waiting.get(seq);
        if (i === undefined) return;
        waiting.delete(seq);
        refs.dropRef(seq);
        outcomes[i] = outcome;
        if (waiting.size === 0) {
          clearTimeout(timer);
          resolve(outcomes);
        }
      };
      // Every message of the chunk written straight into one buffer (wire.ts), each starting 4-aligned.
      let total = 0;
      for (const w of chunk) total += align4(NLMSG_HDRLEN + w.body.length);
      const buf = zeroed(total);
      let at = 0;
      chunk.forEach((w, i) => {
        const seq = nl.generateSeq();
        refs.makeRef(seq, (err, msgs) => settle(seq, err ? { sendError: err.message } : ackOutcome(msgs?.[0])));
        waiting.set(seq, i);
        const length = NLMSG_HDRLEN + w.body.length;
        putHeader(buf, at, length, w.type, w.flags | REQUEST_ACK, seq, port);
        w.body.copy(buf, at + NLMSG_HDRLEN);
        at += align4(length);
      });
      if (waiting.size === 0) return resolve(outcomes);
      timer = setTimeout(() => {
        for (const seq of [...waiting.keys()]) settle(seq, { timedOut: true });
      }, this.timeoutMs);
      nl.socket.send(buf, {}, (error) => {
        if (error) for (const seq of [...waiting.keys()]) settle(seq, { sendError: errorText(error) });
      });
    });
  }

  /** "vxlan-tunnel" for an ifindex, or "ifindex 7" when it cannot be named. */
  async linkLabel(index: number): Promise<string> {
    try {
      const [msg] = await this.sock.getLink({ index }, {}, this.opts());
      const name = msg?.attrs.ifname;
      return name ? name : `ifindex ${index}`;
    } catch {
      return `ifindex ${index}`;
    }
  }

  /** Closes the socket once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.socket.close();
  }
}

/** The outcome an answer to one write stands for: an ACK (errno 0) or anything but an error is success. */
function ackOutcome(msg: NetlinkMessage | undefined): WriteOutcome {
  if (!msg || msg.type !== NLMSG_ERROR) return undefined;
  const { errno } = netlink.parseError(msg.data, msg.flags);
  if (errno === 0) return undefined;
  let name = String(errno);
  try {
    name = getSystemErrorName(errno);
  } catch {}
  return { errno: name };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Opens an rtnetlink socket in the caller's network namespace. */
export function openSession(options: SessionOptions = {}): NetlinkSession {
  return new NetlinkSession(netlink.createRtNetlink(), options);
}
