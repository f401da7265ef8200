/**
 * The engine's view of one driver socket: promise-returning calls with a
 * deadline each, health checks, and the connection watch stream.
 */
import { credentials, type ServiceError } from '@grpc/grpc-js';
import {
  CableDriverServiceClient,
  type CableResult,
  type Connection,
  type ConnectionEvent,
  type Endpoint,
  type GetDriverInfoResponse,
  type InitRequest,
  type InitResponse,
  type NatEndpointInfo,
  type WatchConnectionsResponse,
} from '../../generated/cabled/driver/v1/driver.js';
import { call } from '../../lib/grpc/call.js';
import { checkHealth, createHealthClient, type HealthClient } from '../../lib/grpc/health-client.js';

export interface CallTimeouts {
  /** Quick calls: info, health, listing. @default 5000 */
  shortMs: number;
  /** Calls that change the datapath: Init, Connect, Disconnect, Cleanup. @default 60000 */
  longMs: number;
}

/** How often the driver connection is pinged while a call is open. */
const KEEPALIVE_MS = 2000;

export class DriverClient {
  private readonly client: CableDriverServiceClient;
  private readonly health: HealthClient;
  /** Watch streams open now. */
  private openWatches = 0;
  /** Called when a watch stream ends with an error (the driver went away or stopped answering pings). */
  watchLost: (() => void) | undefined;

  constructor(
    readonly socketPath: string,
    private readonly timeouts: CallTimeouts = { shortMs: 5000, longMs: 60000 },
  ) {
    const target = `unix://${socketPath}`;
    // The driver is a local, trusted process; its GetConnections answer grows with the cables.
    this.client = new CableDriverServiceClient(target, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // An HTTP/2 PING every 2 s while a call (the watch stream) is open: a driver whose event loop hangs
      // does not answer it, the connection drops and the watch ends (watchLost), which costs a frame where a
      // health check costs a call.
      'grpc.keepalive_time_ms': KEEPALIVE_MS,
      'grpc.keepalive_timeout_ms': this.timeouts.shortMs,
    });
    this.health = createHealthClient(target);
  }

  info(): Promise<GetDriverInfoResponse> {
    return call(this.client.getDriverInfo.bind(this.client), {}, { timeoutMs: this.timeouts.shortMs });
  }

  init(req: InitRequest): Promise<InitResponse> {
    return call(this.client.init.bind(this.client), req, { timeoutMs: this.timeouts.longMs });
  }

  async connect(remote: NatEndpointInfo): Promise<string> {
    return (
      await call(this.client.connectToEndpoint.bind(this.client), { remote }, { timeoutMs: this.timeouts.longMs })
    ).usingIp;
  }

  async disconnect(remote: Endpoint): Promise<void> {
    await call(this.client.disconnectFromEndpoint.bind(this.client), { remote }, { timeoutMs: this.timeouts.longMs });
  }

  /**
   * Many disconnects then connects in one call (drivers with CAPABILITY_BATCH).
   * `more`: another call of the same burst follows at once.
   */
  async applyCables(disconnect: Endpoint[], connect: NatEndpointInfo[], more = false): Promise<CableResult[]> {
    const res = await call(
      this.client.applyCables.bind(this.client),
      { disconnect, connect, more },
      { timeoutMs: this.timeouts.longMs * 4 },
    );
    return res.results;
  }

  async activeConnections(): Promise<Connection[]> {
    return (await call(this.client.getActiveConnections.bind(this.client), {}, { timeoutMs: this.timeouts.shortMs }))
      .connections;
  }

  async connections(): Promise<Connection[]> {
    return (await call(this.client.getConnections.bind(this.client), {}, { timeoutMs: this.timeouts.longMs }))
      .connections;
  }

  async cleanup(): Promise<void> {
    await call(this.client.cleanup.bind(this.client), {}, { timeoutMs: this.timeouts.longMs });
  }

  /** True when the driver answers grpc.health.v1 Check with SERVING. */
  async healthy(): Promise<boolean> {
    try {
      return (await checkHealth(this.health, '', { timeoutMs: this.timeouts.shortMs })) === 'SERVING';
    } catch {
      return false;
    }
  }

  /** Streams connection events until cancelled or the stream ends. */
  watch(onEvent: (event: ConnectionEvent) => void, onEnd: (err?: Error) => void): () => void {
    const stream = this.client.watchConnections({});
    this.openWatches++;
    let open = true;
    const ended = (err?: Error): void => {
      if (!open) return;
      open = false;
      this.openWatches--;
      onEnd(err);
      if (err) this.watchLost?.();
    };
    stream.on('data', (msg: WatchConnectionsResponse) => msg.event && onEvent(msg.event));
    stream.on('error', (err: ServiceError) => ended(err.code === 1 /* CANCELLED */ ? undefined : err));
    stream.on('end', () => ended());
    return () => stream.cancel();
  }

  /** Whether a watch stream is open (its connection is kept alive by pings). */
  get watching(): boolean {
    return this.openWatches > 0;
  }

  close(): void {
    this.client.close();
    this.health.close();
  }
}
