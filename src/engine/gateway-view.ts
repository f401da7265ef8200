/**
 * What the engine's API (src/engine/api/) can see of a running gateway. The
 * engine implements it; the API server only reads it, so data flows one way.
 */
import type { Connection, ConnectionEvent } from '../generated/cabled/driver/v1/driver.js';
import type { GatewayStatus } from '../generated/cabled/engine/v1/engine.js';

/** Health as grpc.health.v1 reports it. */
export type Health = 'SERVING' | 'NOT_SERVING';

export interface GatewayView {
  /** The gateway's status right now. */
  status(): GatewayStatus;
  /** Every connection the driver reported last (refreshed periodically). */
  connections(): Connection[];
  /** Overall health: the driver is up and the desired state is applied. */
  health(): Health;
  /** Health per driver, keyed by driver name ("driver/<name>" in grpc.health.v1). */
  driverHealth(): Map<string, Health>;
  /**
   * Calls `listener` with each batch of connection changes (added, updated,
   * removed), and with health changes. Returns a function that unsubscribes.
   */
  subscribe(listener: (events: ConnectionEvent[]) => void): () => void;
  subscribeHealth(listener: () => void): () => void;
}
