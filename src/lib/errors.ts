/**
 * Error classes shared by the engine and the drivers. Each carries a gRPC
 * status code so that handlers convert it to a status in one place
 * (src/sdk/status.ts), and a `cause` that keeps the underlying error.
 * Messages read "<what failed> <which>: <why>[; <what to do>]".
 */
import type { status } from '@grpc/grpc-js';

/**
 * The gRPC status codes these errors carry, as numbers: the same values as
 * grpc-js's `status` enum, without loading grpc-js into processes (cablectl
 * --help, cabled version, the config and endpoint parsers) that never speak gRPC.
 */
const CODE = {
  INVALID_ARGUMENT: 3 as status.INVALID_ARGUMENT,
  FAILED_PRECONDITION: 9 as status.FAILED_PRECONDITION,
  INTERNAL: 13 as status.INTERNAL,
  UNAVAILABLE: 14 as status.UNAVAILABLE,
} as const;

export class CabledError extends Error {
  readonly code: status;
  constructor(message: string, code: status = CODE.INTERNAL, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false });
  }
}

/** A request or a config value that cannot work: fix it, do not retry as is. */
export class InvalidArgumentError extends CabledError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, CODE.INVALID_ARGUMENT, options);
  }
}

/** The call came too early or the host cannot do it (e.g. Init not called). */
export class FailedPreconditionError extends CabledError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, CODE.FAILED_PRECONDITION, options);
  }
}

/** A dependency is not up yet: retry with backoff. */
export class UnavailableError extends CabledError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, CODE.UNAVAILABLE, options);
  }
}

/** One problem with one configuration key. */
export interface ConfigIssue {
  key: string;
  value: string;
  reason: string;
}

/** Configuration rejected; lists every problem found, each naming key, value and reason. */
export class ConfigError extends InvalidArgumentError {
  readonly issues: readonly ConfigIssue[];
  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(`invalid configuration in ${source}: ${issues.map(formatIssue).join('; ')}`);
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.key}=${JSON.stringify(issue.value)}: ${issue.reason}`;
}

/** The message of anything thrown, for logs and statuses. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
