/**
 * One reading of every cable's status for callers that ask at the same time.
 * After a burst of changes two callers want the status at once: the engine
 * (its GetConnections after the burst) and the connection watch (its refresh
 * after the burst, which the engine receives as events). Each reading reads
 * every cable back from the datapath (5000 VXLAN cables: ~0.25 s of the
 * driver's time), so the second caller joins the reading already under way,
 * when that reading started after the driver's last change: it then shows
 * everything the driver did. A reading that started before or during a
 * change is never joined by a caller that asks after the change.
 */
import type { Connection } from '../generated/cabled/driver/v1/driver.js';

export class SharedReading {
  /** Bumped when a change starts and when it ends. */
  private generation = 0;
  private inflight: { generation: number; reading: Promise<Connection[]> } | undefined;

  constructor(private readonly fetch: () => Promise<Connection[]>) {}

  /** The driver starts or ends a change: readings under way no longer show what it holds. */
  changed(): void {
    this.generation++;
  }

  /** Every cable's status: the reading under way when it started after the last change, else a new one. */
  read(): Promise<Connection[]> {
    const current = this.inflight;
    if (current?.generation === this.generation) return current.reading;
    const entry = {
      generation: this.generation,
      reading: this.fetch().finally(() => {
        if (this.inflight === entry) this.inflight = undefined;
      }),
    };
    this.inflight = entry;
    return entry.reading;
  }
}
