/**
 * The unary calls of cabled.engine.v1.GatewayService, answered from the
 * GatewayView, plus the WatchConnections stream handler passed in and
 * Shutdown (see shutdown.ts).
 */
import type { handleServerStreamingCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type {
  GatewayServiceServer,
  WatchConnectionsRequest,
  WatchConnectionsResponse,
} from '../../generated/cabled/engine/v1/engine.js';
import { errorMessage } from '../../lib/errors.js';
import { toStatus } from '../../lib/grpc/status.js';
import type { Logger } from '../../lib/logger.js';
import type { GatewayView } from '../gateway-view.js';
import { findConnection } from './find-connection.js';
import { listResponse } from './list-cache.js';
import { shutdownCall, type ShutdownHandler } from './shutdown.js';

/** GatewayService handlers over `view`. */
export function gatewayService(
  view: GatewayView,
  logger: Logger,
  watchConnections: handleServerStreamingCall<WatchConnectionsRequest, WatchConnectionsResponse>,
  onShutdown?: ShutdownHandler,
): GatewayServiceServer {
  /** Runs `answer` and sends its result, or the error as a status. */
  const unary =
    <Req, Res>(name: string, answer: (request: Req) => Res) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      let response: Res;
      try {
        response = answer(call.request);
      } catch (err) {
        const st = toStatus(err);
        const level = st.code === status.INTERNAL ? 'warn' : 'debug';
        logger.log(level, `${name} failed`, { code: status[st.code], error: errorMessage(err) });
        callback(st);
        return;
      }
      callback(null, response);
    };

  return {
    getStatus: unary('GetStatus', () => ({ status: view.status() })),
    listConnections: unary('ListConnections', () => listResponse(view.connections())),
    getConnection: unary('GetConnection', (request: { name: string }) => ({
      connection: findConnection(view.connections(), request.name),
    })),
    watchConnections,
    shutdown: shutdownCall(onShutdown, logger),
  };
}
