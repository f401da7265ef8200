/**
 * grpc.health.v1 on the client side: a Health client (Check, List, Watch) and
 * promise-returning `checkHealth` / `listHealth` with a deadline.
 */
import {
  credentials as grpcCredentials,
  makeGenericClientConstructor,
  type CallOptions as GrpcCallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientReadableStream,
  type ClientUnaryCall,
  type Metadata,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { HealthServiceDefinition, type ServingStatus } from './health-proto.js';
import { call, type CallOptions } from './call.js';

/** A grpc.health.v1 client. */
export interface HealthClient extends Client {
  check(
    request: { service: string },
    metadata: Metadata,
    options: Partial<GrpcCallOptions>,
    callback: (err: ServiceError | null, response: { status: string }) => void,
  ): ClientUnaryCall;
  list(
    request: Record<string, never>,
    metadata: Metadata,
    options: Partial<GrpcCallOptions>,
    callback: (err: ServiceError | null, response: { statuses: Record<string, { status: string }> }) => void,
  ): ClientUnaryCall;
  watch(request: { service: string }, options?: Partial<GrpcCallOptions>): ClientReadableStream<{ status: string }>;
}

const HealthClientConstructor = makeGenericClientConstructor(
  HealthServiceDefinition as unknown as ServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (
  target: string,
  credentials: ChannelCredentials,
  options?: ChannelOptions,
) => HealthClient;

/** A Health client for a grpc-js target (`unix:///path` or `host:port`), insecure by default. */
export function createHealthClient(
  target: string,
  credentials: ChannelCredentials = grpcCredentials.createInsecure(),
  options?: ChannelOptions,
): HealthClient {
  return new HealthClientConstructor(target, credentials, options);
}

/**
 * grpc.health.v1 Check: "SERVING", "NOT_SERVING" or "UNKNOWN". Rejects with
 * the ServiceError (NOT_FOUND for a service the server does not know).
 */
export async function checkHealth(
  client: HealthClient,
  service = '',
  options: CallOptions = {},
): Promise<ServingStatus> {
  const response = await call(client.check.bind(client), { service }, options);
  return response.status as ServingStatus;
}

/** grpc.health.v1 List: every service the server reports, with its status. */
export async function listHealth(client: HealthClient, options: CallOptions = {}): Promise<Map<string, string>> {
  const response = await call(client.list.bind(client), {}, options);
  return new Map(Object.entries(response.statuses ?? {}).map(([name, s]) => [name, s.status]));
}
