/**
 * Stopping the engine, asked for by a signal or by the Shutdown RPC (a pod's
 * preStop hook: with hostPID the SIGTERM path is not to be relied on). The
 * first request wins and decides whether the datapath is removed; the RPC
 * answers once the engine has stopped.
 */
import { status, type handleUnaryCall } from '@grpc/grpc-js';
import type { ShutdownRequest, ShutdownResponse } from '../../generated/cabled/engine/v1/engine.js';
import { CabledError, FailedPreconditionError, errorMessage } from '../../lib/errors.js';
import { toStatus } from '../../lib/grpc/status.js';
import type { Logger } from '../../lib/logger.js';

/** Why and how the engine stops. */
export interface StopRequest {
  /** Remove the datapath before stopping. */
  cleanup: boolean;
  /** What asked: "SIGTERM", "SIGINT", "api". */
  reason: string;
}

/** What the API calls on Shutdown: resolves once the engine has stopped, with whether it cleaned up. */
export type ShutdownHandler = (request: { cleanup: boolean }) => Promise<{ cleanedUp: boolean }>;

/** One stop of the engine: `requested` resolves with the first request; `finished`/`failed` end it. */
export class StopRequests {
  /** The first stop request (signal or RPC). */
  readonly requested: Promise<StopRequest>;
  private resolveRequest!: (request: StopRequest) => void;
  private readonly done: Promise<{ cleanedUp: boolean }>;
  private resolveDone!: (result: { cleanedUp: boolean }) => void;
  private rejectDone!: (err: unknown) => void;
  private first: StopRequest | undefined;

  constructor() {
    this.requested = new Promise((resolve) => (this.resolveRequest = resolve));
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Nobody may be waiting on the RPC side; a failure is reported by whoever stops the engine.
    this.done.catch(() => undefined);
  }

  /** Asks the engine to stop; later requests join the first (its cleanup choice stands). */
  request(request: StopRequest): void {
    this.first ??= request;
    this.resolveRequest(this.first);
  }

  /** The engine has stopped. */
  finished(result: { cleanedUp: boolean }): void {
    this.resolveDone(result);
  }

  /** Stopping failed (e.g. the cleanup); Shutdown callers get FAILED_PRECONDITION with the reason. */
  failed(err: unknown): void {
    this.rejectDone(err);
  }

  /** The Shutdown RPC's side: request a stop, wait for it. */
  readonly handler: ShutdownHandler = async ({ cleanup }) => {
    // When a stop is already under way, its cleanup choice stands; cleanedUp tells the caller.
    this.request({ cleanup, reason: 'api' });
    try {
      return await this.done;
    } catch (err) {
      throw new FailedPreconditionError(
        `the engine stopped, but removing the datapath failed: ${errorMessage(err)}; run "cabled cleanup" on this host`,
      );
    }
  };
}

/** The Shutdown handler: UNIMPLEMENTED without `onShutdown`, else waits for the engine to stop. */
export function shutdownCall(
  onShutdown: ShutdownHandler | undefined,
  logger: Logger,
): handleUnaryCall<ShutdownRequest, ShutdownResponse> {
  return (call, callback) => {
    if (!onShutdown) {
      callback(
        toStatus(
          new CabledError('this engine cannot be stopped through its API; send it SIGTERM', status.UNIMPLEMENTED),
        ),
      );
      return;
    }
    const cleanup = call.request.cleanup;
    logger.info('shutdown requested through the API', { cleanup, peer: call.getPeer() });
    onShutdown({ cleanup }).then(
      (result) => callback(null, { cleanedUp: result.cleanedUp }),
      (err: unknown) => {
        logger.warn('Shutdown failed', { error: errorMessage(err) });
        callback(toStatus(err));
      },
    );
  };
}
