/**
 * WatchConnections for any driver built on the SDK: polls the driver's
 * getConnections() while someone watches (and right after each change the
 * SDK makes), and fans the differences out to the watchers. While a batch of
 * changes is under way (`hold()`: the engine sends a burst as ApplyCables
 * calls of 500 cables, back to back) refreshes wait, and one runs when
 * `settleMs` passed without another: a refresh reads and compares every
 * cable, so one per batch made a 5000-cable burst quadratic (issue 15, P2);
 * the wait grows with what the last refresh cost (see SETTLE_FACTOR).
 */
import { type Connection, type ConnectionEvent, ConnectionStatus } from '../generated/cabled/driver/v1/driver.js';
import { diffConnections } from '../lib/connection-diff.js';
import type { Logger } from '../lib/logger.js';
import { errorMessage } from '../lib/errors.js';

type Listener = (events: ConnectionEvent[]) => void;

/**
 * After a hold, the refresh waits `settleMs`, or this many times as long as
 * the last refresh took if that is longer (at most MAX_SETTLE_MS): the gap
 * between two ApplyCables calls of one burst can exceed 50 ms on a busy
 * machine, and a refresh between them (every cable read back from the
 * kernel, in the overlay's queue ahead of the next batch) cost 5000 cables'
 * burst ~1.5 s of the driver's time (issue 15, P2).
 */
const SETTLE_FACTOR = 2;
const MAX_SETTLE_MS = 2000;

export class ConnectionWatch {
  private last: Connection[] = [];
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private holds = 0;
  private settleTimer: NodeJS.Timeout | undefined;
  /** How long the last refresh took, ms. */
  private lastRefreshMs = 0;
  /** The wait before the next periodic refresh: intervalMs after a change, doubling up to maxIntervalMs. */
  private delayMs: number;

  /**
   * `intervalMs`: how soon a refresh follows one that found a change (or
   * failed); each that finds nothing doubles the wait, up to `maxIntervalMs`
   * (the same as intervalMs unless given: a fixed period).
   */
  constructor(
    private readonly fetch: () => Promise<Connection[]>,
    private readonly logger: Logger,
    private readonly intervalMs = 2000,
    private readonly settleMs = 50,
    private readonly maxIntervalMs = intervalMs,
  ) {
    this.delayMs = intervalMs;
  }

  /**
   * A batch of changes starts: refreshes wait until every hold is released
   * and `settleMs` passed without a new one, then one runs. Returns "release";
   * release(true) says the burst is over (its caller said so): the refresh
   * runs at once instead of after the settle time.
   */
  hold(): (over?: boolean) => void {
    this.holds++;
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    let released = false;
    return (over = false) => {
      if (released) return;
      released = true;
      if (--this.holds > 0) return;
      if (over) {
        void this.poke();
        return;
      }
      this.settleTimer = setTimeout(
        () => {
          this.settleTimer = undefined;
          void this.poke();
        },
        Math.max(this.settleMs, Math.min(this.lastRefreshMs * SETTLE_FACTOR, MAX_SETTLE_MS)),
      );
    };
  }

  /** Adds a watcher; it gets the current list first. Returns "unsubscribe". */
  async subscribe(listener: Listener): Promise<{ snapshot: Connection[]; unsubscribe: () => void }> {
    this.listeners.add(listener);
    await this.poke();
    return {
      snapshot: this.last,
      unsubscribe: () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) {
          clearTimeout(this.timer);
          this.timer = undefined;
          this.delayMs = this.intervalMs;
        }
      },
    };
  }

  /** Refreshes now (coalesced) when anyone is watching; during a hold, once it is over. */
  poke(): Promise<void> {
    if (this.listeners.size === 0) return Promise.resolve();
    if (this.holds > 0 || this.settleTimer !== undefined) return Promise.resolve(); // the refresh after the hold covers it
    if (this.refreshing !== undefined) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = this.refresh().finally(() => {
      this.refreshing = undefined;
      if (this.again) {
        this.again = false;
        void this.poke();
      }
    });
    return this.refreshing;
  }

  close(): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private async refresh(): Promise<void> {
    const started = performance.now();
    let changed = true;
    try {
      changed = await this.read();
    } finally {
      this.lastRefreshMs = performance.now() - started;
      // The next periodic refresh counts from this one, whatever started it (the timer, a change, a watcher).
      this.delayMs = changed ? this.intervalMs : Math.min(this.delayMs * 2, this.maxIntervalMs);
      clearTimeout(this.timer);
      this.timer =
        this.listeners.size > 0
          ? setTimeout(() => {
              this.timer = undefined;
              void this.poke();
            }, this.delayMs).unref()
          : undefined;
    }
  }

  /** One refresh; true when it found a change or could not read. */
  private async read(): Promise<boolean> {
    try {
      const now = await this.fetch();
      // The same list object: a driver answering from its last reading (nothing read since), so nothing changed.
      if (now === this.last) return false;
      const events = diffConnections(this.last, now);
      this.last = now;
      if (events.length) for (const l of this.listeners) l(events);
      return events.length > 0;
    } catch (err) {
      const why = errorMessage(err);
      this.logger.warn('refreshing connections for watchers failed', { error: why });
      // Watchers (the engine) no longer poll: what was observed before is no longer known, say so.
      const unknown = this.last.map((c) => ({
        ...c,
        status: ConnectionStatus.CONNECTION_STATUS_ERROR,
        statusMessage: `status unknown: the driver could not read it (${why})`,
        establishedUnixMs: 0,
      }));
      const events = diffConnections(this.last, unknown);
      this.last = unknown;
      if (events.length) for (const l of this.listeners) l(events);
      return true;
    }
  }
}
