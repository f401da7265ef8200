/**
 * Promise wrapper for unary calls on ts-proto grpc-js clients, always with a
 * deadline: `await call(client.getStatus.bind(client), {}, { timeoutMs: 2000 })`.
 */
import { Metadata, type CallOptions as GrpcCallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';

/** The 4-argument overload every ts-proto grpc-js unary method has. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<GrpcCallOptions>,
  callback: (err: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** Options of one call. */
export interface CallOptions {
  /** Deadline, from now. `Infinity` for none. @default 10000 */
  timeoutMs?: number;
  metadata?: Metadata;
  /** Cancels the call (it rejects with CANCELLED). */
  signal?: AbortSignal;
  /** Wait for the channel to connect instead of failing fast with UNAVAILABLE. @default false */
  waitForReady?: boolean;
}

/** Default deadline of `call`, in milliseconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/**
 * Makes one unary call and resolves with the response, or rejects with the
 * grpc-js ServiceError (its `code` is the status; DEADLINE_EXCEEDED after
 * `timeoutMs`). Pass the method bound to its client.
 */
export function call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options: CallOptions = {}): Promise<Res> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const callOptions: Partial<GrpcCallOptions> = {};
  if (Number.isFinite(timeoutMs)) callOptions.deadline = Date.now() + Math.max(0, timeoutMs);
  const metadata = options.metadata?.clone() ?? new Metadata();
  if (options.waitForReady) metadata.setOptions({ ...metadata.getOptions(), waitForReady: true });
  return new Promise<Res>((resolve, reject) => {
    const { signal } = options;
    const onAbort = (): void => unary.cancel();
    const unary = method(request, metadata, callOptions, (err, response) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(response);
    });
    if (signal?.aborted) unary.cancel();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
