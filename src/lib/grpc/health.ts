/**
 * grpc.health.v1 on the server side (Check, Watch and List), with the
 * behaviour of the `grpc-health-check` package's implementation but on the
 * hand-encoded definition of health-proto.ts (no proto-loader at start-up).
 * One HealthService can serve the same statuses on several servers (e.g. the
 * API socket and a TCP port for kubelet probes). The client side is in
 * health-client.ts.
 */
import type {
  sendUnaryData,
  Server,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  HealthServiceDefinition,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthListRequest,
  type HealthListResponse,
  type ServingStatus,
} from './health-proto.js';

export type { ServingStatus };

/** Anything grpc-js services can be added to (a grpc-js Server). */
export type ServiceHost = Pick<Server, 'addService'>;

/** grpc.health.v1 statuses, served on one or more servers. */
export interface HealthService {
  /** Sets the status of `service` ("" is the server as a whole); Watch streams see it at once. */
  setStatus(service: string, status: ServingStatus): void;
  /** The status set for `service`, or undefined when never set. */
  status(service: string): ServingStatus | undefined;
  /** Every service name with a status. */
  services(): string[];
  /** Serves the same statuses on another server. */
  addToServer(server: ServiceHost): void;
  /**
   * Marks every service NOT_SERVING (so watchers learn of the shutdown), then
   * ends open Watch streams so the servers can shut down gracefully.
   */
  shutdown(): void;
}

const NOT_FOUND = 5;
const RESOURCE_EXHAUSTED = 8;
/** List answers RESOURCE_EXHAUSTED beyond this many services (as grpc-health-check does). */
const LIST_LIMIT = 100;

/** Adds grpc.health.v1 to `server`, with `initial` statuses (e.g. `{ '': 'NOT_SERVING' }`). */
export function serveHealth(server: ServiceHost, initial: Record<string, ServingStatus> = {}): HealthService {
  const statuses = new Map<string, ServingStatus>(Object.entries(initial));
  /** Open Watch streams, by the service they watch. */
  const watchers = new Map<string, Set<ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>>();
  let closed = false;

  const implementation = {
    check(
      call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: sendUnaryData<HealthCheckResponse>,
    ) {
      const name = call.request.service;
      const status = statuses.get(name);
      if (status) callback(null, { status });
      else callback({ code: NOT_FOUND, details: `Health status unknown for service ${name}` });
    },
    watch(stream: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) {
      if (closed) return void stream.end();
      const name = stream.request.service;
      const set = watchers.get(name) ?? new Set();
      watchers.set(name, set);
      set.add(stream);
      const forget = (): void => void watchers.get(name)?.delete(stream);
      stream.once('cancelled', forget);
      stream.once('finish', forget);
      stream.write({ status: statuses.get(name) ?? 'SERVICE_UNKNOWN' });
    },
    list(_: ServerUnaryCall<HealthListRequest, HealthListResponse>, callback: sendUnaryData<HealthListResponse>) {
      if (statuses.size > LIST_LIMIT) {
        callback({ code: RESOURCE_EXHAUSTED, details: 'Too many services to list.' }, null);
        return;
      }
      callback(null, { statuses: Object.fromEntries([...statuses].map(([name, status]) => [name, { status }])) });
    },
  };

  const addToServer = (host: ServiceHost): void =>
    host.addService(
      HealthServiceDefinition as unknown as ServiceDefinition,
      implementation as unknown as UntypedServiceImplementation,
    );
  addToServer(server);

  const notify = (name: string, status: ServingStatus): void => {
    for (const stream of watchers.get(name) ?? []) stream.write({ status });
  };

  return {
    setStatus(name, status) {
      if (closed || statuses.get(name) === status) return;
      statuses.set(name, status);
      notify(name, status);
    },
    status: (name) => statuses.get(name),
    services: () => [...statuses.keys()],
    addToServer,
    shutdown() {
      if (closed) return;
      for (const name of statuses.keys()) {
        statuses.set(name, 'NOT_SERVING');
        notify(name, 'NOT_SERVING');
      }
      closed = true;
      for (const set of watchers.values()) for (const stream of set) stream.end();
      watchers.clear();
    },
  };
}
