/**
 * Initiation retries that back off, with a cap (issue 12, item 4: a dead peer
 * costs nothing). libreswan 4.x with its default keyingtries=0 starts a new
 * keying attempt the moment one times out (60 s of retransmits), for ever: a
 * peer that never answers costs a steady stream of packets and log lines. So
 * on 4.x the driver gives its connections keyingtries=1 (pluto makes one
 * attempt and stops) and retries itself: a connection this gateway initiates
 * that pluto holds no state for and that is not established is initiated
 * again after 30 s, then after 60 s, 120 s, ... at most every 10 min (one
 * connection per cable while pluto holds nothing of it: that one brings the
 * IKE SA); it starts over once it is established.
 * Traffic towards the peer still starts an attempt at once (pluto's trap
 * policy). Driven from the status readings: each `consider()` gets what
 * --showstates says right now. The whack calls run in the background, one
 * burst at a time.
 */
import { errorMessage } from '../../src/lib/errors.js';
import type { Logger } from '../../src/lib/logger.js';

export interface InitiateBackoffDeps {
  initiate: (connections: string[]) => Promise<void>;
  logger: Logger;
  /** Delay before the first retry of a connection found idle. @default 30000 */
  firstMs?: number;
  /** @default 600000 */
  maxMs?: number;
  /** @default Date.now */
  now?: () => number;
}

interface Entry {
  attempts: number;
  nextAt: number;
}

export class InitiateBackoff {
  private readonly entries = new Map<string, Entry>();
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: InitiateBackoffDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * `idle`: connections this gateway initiates that pluto holds no state for
   * and that are not established, now. Every other connection's backoff
   * starts over. Returns the connections initiated now.
   */
  consider(idle: readonly string[]): string[] {
    const now = this.now();
    const idleSet = new Set(idle);
    for (const name of this.entries.keys()) if (!idleSet.has(name)) this.entries.delete(name);
    const first = this.deps.firstMs ?? 30_000;
    const max = this.deps.maxMs ?? 600_000;
    const due: string[] = [];
    for (const name of idle) {
      const e = this.entries.get(name);
      if (!e) {
        this.entries.set(name, { attempts: 0, nextAt: now + first });
        continue;
      }
      if (now < e.nextAt || this.running !== undefined) continue;
      e.attempts++;
      e.nextAt = now + Math.min(max, first * 2 ** e.attempts);
      due.push(name);
    }
    if (due.length) {
      this.deps.logger.info('initiating connections whose peer did not answer again (backing off)', {
        connections: due.length,
        first: due[0],
        attempt: this.entries.get(due[0]!)?.attempts,
      });
      this.running = this.deps
        .initiate(due)
        .catch((err: unknown) => {
          this.deps.logger.warn('initiating connections again failed; will retry', { error: errorMessage(err) });
        })
        .finally(() => {
          this.running = undefined;
        });
    }
    return due;
  }

  /** The retries made so far of a connection in its current idle spell (tests). */
  attempts(connection: string): number {
    return this.entries.get(connection)?.attempts ?? 0;
  }
}
