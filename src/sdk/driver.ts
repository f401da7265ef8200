/**
 * The cable driver contract as a TypeScript interface. A driver is a class
 * implementing it; `serveDriver()` (serve.ts) turns it into a process that
 * serves cabled.driver.v1 on a unix socket. Methods mirror the proto calls,
 * with the idempotency rules written there.
 */
import type {
  CableResult,
  Capability,
  Connection,
  Endpoint,
  InitRequest,
  InitResponse,
  NatEndpointInfo,
} from '../generated/cabled/driver/v1/driver.js';

export interface DriverInfo {
  /** DNS-label form, what Endpoint.backend names, e.g. "vxlan". */
  name: string;
  version: string;
  capabilities: Capability[];
  manifest?: Record<string, string>;
}

export interface CableDriver {
  info(): DriverInfo;
  /** Prepare the datapath; adopt what an earlier instance left. Idempotent. */
  init(request: InitRequest): Promise<InitResponse>;
  /** Install one remote's cable; returns the remote IP used. Idempotent. */
  connectToEndpoint(remote: NatEndpointInfo): Promise<string>;
  /** Remove one remote's cable and only it. Unknown cable: no error. */
  disconnectFromEndpoint(remote: Endpoint): Promise<void>;
  /**
   * Optional: many disconnects, then connects, in one burst; one result per
   * cable (disconnects first), failures reported per cable. When present the
   * SDK advertises CAPABILITY_BATCH; when absent ApplyCables falls back to the
   * single-cable methods.
   */
  applyCables?(disconnect: Endpoint[], connect: NatEndpointInfo[]): Promise<CableResult[]>;
  /** Installed cables, status not refreshed. */
  getActiveConnections(): Promise<Connection[]>;
  /** Installed cables, status and counters refreshed. */
  getConnections(): Promise<Connection[]>;
  /** Remove everything the driver made, and nothing else. Re-runnable. */
  cleanup(): Promise<void>;
  /** Release resources when the process stops (no datapath teardown). */
  close?(): Promise<void>;
}
