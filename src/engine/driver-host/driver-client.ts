/**
 * The engine's view of one driver socket: promise-returning calls with a
 * deadline each, health checks, and the connection watch stream.
 */
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  CableDriverServiceClient,
  type Connection,
  type ConnectionEvent,
  type Endpoint,
  type GetDriverInfoResponse,
  type InitRequest,
  type InitResponse,
  type NatEndpointInfo,
  type WatchConnectionsResponse,
} from '../../generated/cabled/driver/v1/driver.js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../../generated/grpc/health/v1/health.js';

export interface CallTimeouts {
  /** Quick calls: info, health, listing. @default 5000 */
  shortMs: number;
  /** Calls that change the datapath: Init, Connect, Disconnect, Cleanup. @default 60000 */
  longMs: number;
}

type Unary<Req, Res> = (
  req: Req,
  md: Metadata,
  opts: { deadline: Date },
  cb: (err: ServiceError | null, res: Res) => void,
) => unknown;

export class DriverClient {
  private readonly client: CableDriverServiceClient;
  private readonly health: HealthClient;

  constructor(readonly socketPath: string, private readonly timeouts: CallTimeouts = { shortMs: 5000, longMs: 60000 }) {
    const target = `unix://${socketPath}`;
    this.client = new CableDriverServiceClient(target, credentials.createInsecure());
    this.health = new HealthClient(target, credentials.createInsecure());
  }

  info(): Promise<GetDriverInfoResponse> {
    return this.call(this.client, this.client.getDriverInfo, {}, this.timeouts.shortMs);
  }

  init(req: InitRequest): Promise<InitResponse> {
    return this.call(this.client, this.client.init, req, this.timeouts.longMs);
  }

  async connect(remote: NatEndpointInfo): Promise<string> {
    return (await this.call(this.client, this.client.connectToEndpoint, { remote }, this.timeouts.longMs)).usingIp;
  }

  async disconnect(remote: Endpoint): Promise<void> {
    await this.call(this.client, this.client.disconnectFromEndpoint, { remote }, this.timeouts.longMs);
  }

  async activeConnections(): Promise<Connection[]> {
    return (await this.call(this.client, this.client.getActiveConnections, {}, this.timeouts.shortMs)).connections;
  }

  async connections(): Promise<Connection[]> {
    return (await this.call(this.client, this.client.getConnections, {}, this.timeouts.longMs)).connections;
  }

  async cleanup(): Promise<void> {
    await this.call(this.client, this.client.cleanup, {}, this.timeouts.longMs);
  }

  /** True when the driver answers grpc.health.v1 Check with SERVING. */
  async healthy(): Promise<boolean> {
    try {
      const res = await this.call(this.health, this.health.check, { service: '' }, this.timeouts.shortMs);
      return res.status === HealthCheckResponse_ServingStatus.SERVING;
    } catch {
      return false;
    }
  }

  /** Streams connection events until cancelled or the stream ends. */
  watch(onEvent: (event: ConnectionEvent) => void, onEnd: (err?: Error) => void): () => void {
    const stream = this.client.watchConnections({});
    stream.on('data', (msg: WatchConnectionsResponse) => msg.event && onEvent(msg.event));
    stream.on('error', (err: ServiceError) => onEnd(err.code === 1 /* CANCELLED */ ? undefined : err));
    stream.on('end', () => onEnd());
    return () => stream.cancel();
  }

  close(): void {
    this.client.close();
    this.health.close();
  }

  private call<Req, Res>(target: object, method: Unary<Req, Res>, req: Req, timeoutMs: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(target, req, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
  }
}
