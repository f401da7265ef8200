/** The engine's gRPC API: start it with a GatewayView. */
export {
  startApiServer,
  API_SERVICES,
  GATEWAY_SERVICE,
  LIVENESS_SERVICE,
  type ApiServer,
  type ApiServerOptions,
} from './server.js';
export { StopRequests, type ShutdownHandler, type StopRequest } from './shutdown.js';
export { findConnection } from './find-connection.js';
export { driverServiceName } from './health-sync.js';
