/**
 * One rtnetlink socket plus the rules every request follows: one request in
 * flight at a time (the kernel answers EBUSY to a second dump started on a
 * socket whose dump is still running), a timeout on each request, explicit
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
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    readonly sock: RtNetlinkSocket,
    options: SessionOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Send options for one request: the timeout plus NLM_F_* `flags`. */
  opts(flags = 0): { timeout: number; flags: number } {
    return { timeout: this.timeoutMs, flags };
  }

  /**
   * Runs one request once the previous one has finished. On failure throws a
   * NetlinkError whose message starts with `describe()`, evaluated only then
   * (it may look up a device name: "on vxlan-tunnel", not "on ifindex 7").
   */
  async run<T>(describe: () => string | Promise<string>, request: () => Promise<T>): Promise<T> {
    const result = this.inFlight.then(request, request);
    this.inFlight = result.catch(() => undefined);
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
