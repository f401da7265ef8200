/**
 * The error every netlink request failure becomes: it names the operation and
 * the object ("add FDB entry 00:00:00:00:00:00 dst 10.0.0.2 on vxlan-tunnel"),
 * then the kernel's errno with its text, and keeps the errno name for callers
 * that absorb expected answers (EEXIST on create, ENOENT on delete).
 */
import { status } from '@grpc/grpc-js';
import { getSystemErrorMap } from 'node:util';
import { CabledError, errorMessage } from '../errors.js';

/** A netlink request that the kernel refused, or that got no answer in time. */
export class NetlinkError extends CabledError {
  /** errno name from the kernel's NLMSG_ERROR, e.g. "EEXIST"; undefined for timeouts and socket errors. */
  readonly errno?: string;
  /** True when no answer arrived within the request timeout. */
  readonly timedOut: boolean;
  /** What was attempted, e.g. "create VXLAN device vxlan-tunnel". */
  readonly operation: string;

  constructor(operation: string, detail: { errno?: string; timedOut?: boolean; reason: string; cause?: unknown }) {
    super(`${operation}: ${detail.reason}`, detail.timedOut ? status.UNAVAILABLE : status.INTERNAL, {
      cause: detail.cause,
    });
    this.operation = operation;
    this.errno = detail.errno;
    this.timedOut = detail.timedOut ?? false;
  }
}

/** "EEXIST (file already exists)" for an errno name; the name alone when unknown. */
export function describeErrno(name: string): string {
  for (const [code, text] of getSystemErrorMap().values()) {
    if (code === name) return `${name} (${text})`;
  }
  return name;
}

const REJECTED = /^Request rejected: (\S+)/;
const TIMEOUT = /^Timeout has been reached/;

/**
 * Turns what the `netlink` package threw into a NetlinkError. The package
 * reports kernel refusals as `Error("Request rejected: EEXIST")` and timeouts
 * as `Error("Timeout has been reached")`, so the errno is read from the text.
 */
export function toNetlinkError(operation: string, err: unknown, timeoutMs: number): NetlinkError {
  if (err instanceof NetlinkError) return err;
  const text = errorMessage(err);
  const rejected = REJECTED.exec(text);
  if (rejected?.[1]) {
    return new NetlinkError(operation, { errno: rejected[1], reason: describeErrno(rejected[1]), cause: err });
  }
  if (TIMEOUT.test(text)) {
    return new NetlinkError(operation, {
      timedOut: true,
      reason: `no answer from the kernel within ${timeoutMs} ms`,
      cause: err,
    });
  }
  const code = (err as { code?: unknown } | null)?.code;
  const errno = typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
  return new NetlinkError(operation, { errno, reason: text, cause: err });
}

/** True when `err` is a NetlinkError carrying one of the given errno names. */
export function isErrno(err: unknown, ...names: string[]): boolean {
  return err instanceof NetlinkError && err.errno !== undefined && names.includes(err.errno);
}
