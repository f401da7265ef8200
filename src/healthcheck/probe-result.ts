/**
 * What the health checker knows about one remote endpoint, and the seam the
 * engine uses to read it (ConnectionHealth). The engine only reads results;
 * the health checker never touches the driver.
 */
import type { LatencyRtt } from '../generated/cabled/driver/v1/driver.js';

/**
 * unknown: not probed successfully yet, or ping cannot run (message says why);
 * connected: the last probe was answered; error: too many probes in a row were lost.
 */
export type ProbeState = 'unknown' | 'connected' | 'error';

export interface ProbeResult {
  /** The health-check IP probed. */
  ip: string;
  state: ProbeState;
  /** Why the state is what it is ("" when connected). */
  message: string;
  /** RTT statistics; undefined before the first answer. */
  rtt: LatencyRtt | undefined;
  /** Probes lost since the last answer. */
  lostInARow: number;
}

/** One remote endpoint to probe: its cable and its health-check IP. */
export interface ProbeTarget {
  cableName: string;
  ip: string;
}

/** The engine's view of the health checker. */
export interface ConnectionHealth {
  /** The endpoints to probe now; probes of endpoints no longer listed stop. */
  setTargets(targets: readonly ProbeTarget[]): void;
  /** The latest result for a cable, undefined when it is not probed. */
  result(cableName: string): ProbeResult | undefined;
  /**
   * Calls `listener` when a cable's state changes, and every few seconds while
   * new RTT samples arrived (not on every sample).
   */
  subscribe(listener: () => void): () => void;
  /** Stops every probe. */
  stop(): void;
}
