/**
 * grpc.health.v1 on the server side, with the `grpc-health-check` package
 * (Check, Watch and List). One HealthService can serve the same statuses on
 * several servers (e.g. the API socket and a TCP port for kubelet probes).
 * The client side is in health-client.ts.
 */
import type {
  Server,
  ServerWritableStream,
  ServiceDefinition,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

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

/** Adds grpc.health.v1 to `server`, with `initial` statuses (e.g. `{ '': 'NOT_SERVING' }`). */
export function serveHealth(server: ServiceHost, initial: Record<string, ServingStatus> = {}): HealthService {
  const impl = new HealthImplementation(initial);
  const statuses = new Map<string, ServingStatus>(Object.entries(initial));
  const watches = new Set<ServerWritableStream<unknown, unknown>>();
  let closed = false;

  const addToServer = (host: ServiceHost): void => {
    // Wrap Watch so open streams can be ended on shutdown; the rest is untouched.
    impl.addToServer({
      addService: (definition, handlers) => {
        const wrapped = { ...handlers } as unknown as UntypedServiceImplementation;
        const watch = wrapped.watch as ((call: ServerWritableStream<unknown, unknown>) => void) | undefined;
        if (watch) {
          wrapped.watch = ((stream: ServerWritableStream<unknown, unknown>) => {
            watches.add(stream);
            const forget = (): void => void watches.delete(stream);
            stream.once('cancelled', forget);
            stream.once('finish', forget);
            if (closed) stream.end();
            else watch(stream);
          }) as UntypedHandleCall;
        }
        host.addService(definition as unknown as ServiceDefinition, wrapped);
      },
    });
  };
  addToServer(server);

  return {
    setStatus(name, status) {
      if (closed || statuses.get(name) === status) return;
      statuses.set(name, status);
      impl.setStatus(name, status);
    },
    status: (name) => statuses.get(name),
    services: () => [...statuses.keys()],
    addToServer,
    shutdown() {
      if (closed) return;
      for (const name of statuses.keys()) {
        statuses.set(name, 'NOT_SERVING');
        impl.setStatus(name, 'NOT_SERVING');
      }
      closed = true;
      for (const stream of watches) stream.end();
      watches.clear();
    },
  };
}
