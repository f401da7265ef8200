/**
 * Errors to gRPC statuses, in one place. Server handlers (engine API, driver
 * SDK) answer `callback(toStatus(err))`; clients read statuses back with
 * `isServiceError` and `statusName`.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { CabledError } from '../errors.js';

/** What a handler sends back for a failed call (a grpc ServiceError without the Error). */
export interface StatusLike {
  code: status;
  details: string;
}

/**
 * The gRPC status for anything thrown. A `CabledError` keeps its `code`;
 * everything else becomes INTERNAL with the error's message. A foreign error's
 * numeric `code` (an errno, a downstream gRPC status) is never passed through:
 * wrap it in a CabledError with the code you mean.
 */
export function toStatus(err: unknown): StatusLike {
  if (err instanceof CabledError) return { code: validCode(err.code), details: bounded(err.message) };
  const details = err instanceof Error ? err.message : String(err);
  return { code: status.INTERNAL, details: bounded(details) || 'internal error' };
}

/**
 * Status details travel in an HTTP/2 trailer; a peer drops a call whose
 * trailers exceed its header-list limit (16 KiB in Node), so the client would
 * wait for its deadline instead of reading the error. Details are cut here.
 */
export const MAX_STATUS_DETAILS = 4096;

function bounded(details: string): string {
  if (details.length <= MAX_STATUS_DETAILS) return details;
  return `${details.slice(0, MAX_STATUS_DETAILS - 40)}… (cut; ${details.length} characters)`;
}

function validCode(code: unknown): status {
  return typeof code === 'number' && Number.isInteger(code) && code > 0 && code <= 16 ? code : status.INTERNAL;
}

/** Whether `err` came from a grpc-js call (an Error with a status code, details and metadata). */
export function isServiceError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === 'number' &&
    typeof (err as Partial<ServiceError>).details === 'string' &&
    (err as Partial<ServiceError>).metadata instanceof Metadata
  );
}

/** The name of a status code, e.g. 5 → "NOT_FOUND". */
export function statusName(code: number): string {
  return status[code] ?? `code ${code}`;
}
