/**
 * Small gRPC helpers shared by the engine API, the driver SDK and clients:
 * error → status, addresses and socket binding, health, reflection, unary calls.
 */
export { toStatus, isServiceError, statusName, type StatusLike } from './status.js';
export { parseAddress, formatAddress, normalizeAddress, type Address } from './address.js';
export { bindServer, prepareUnixSocket } from './listen.js';
export { serveHealth, type HealthService, type ServiceHost, type ServingStatus } from './health.js';
export { createHealthClient, checkHealth, listHealth, type HealthClient } from './health-client.js';
export { addReflection, bundledDescriptors, DescriptorIndex, REFLECTION_SERVICES } from './reflection.js';
export { call, DEFAULT_CALL_TIMEOUT_MS, type CallOptions, type UnaryMethod } from './call.js';
