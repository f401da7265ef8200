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
import netlink from 'netlink';
import type { RtNetlinkSocket } from 'netlink';
import { toNetlinkError } from './errors.js';

/** NLM_F_* modifiers for new/set requests (linux/netlink.h). */
export const NLM_F = {
  REPLACE: netlink.FlagsNew.REPLACE,
  EXCL: netlink.FlagsNew.EXCL,
  CREATE: netlink.FlagsNew.CREATE,
  APPEND: netlink.FlagsNew.APPEND,
} as const;

/** Address families used in message headers. */
export const AF_INET = 2;
export const AF_BRIDGE = 7;

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

/** Opens an rtnetlink socket in the caller's network namespace. */
export function openSession(options: SessionOptions = {}): NetlinkSession {
  return new NetlinkSession(netlink.createRtNetlink(), options);
}
