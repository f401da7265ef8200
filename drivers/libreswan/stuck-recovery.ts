/**
 * Recovers the Child SAs libreswan 5.2 leaves stuck (src/lib/whack/stuck.ts):
 * deletes the IKE SA the stuck state hangs off (deleting the Child state
 * alone does not work on 5.2), which clears it; pluto revives the connection
 * (it must stay up), and if after a moment it has no state at all the driver
 * initiates it. With a backoff
 * per connection (first at once, then 5 s doubling to 5 min) so a peer whose
 * kernel keeps refusing is not hammered. Driven from status reads: each
 * `consider()` gets what --showstates and the log say right now.
 */
import { errorMessage } from '../../src/lib/errors.js';
import type { Logger } from '../../src/lib/logger.js';
import type { StuckChild } from '../../src/lib/whack/index.js';

export interface StuckRecoveryDeps {
  deleteState: (serial: number) => Promise<void>;
  initiate: (connection: string) => Promise<unknown>;
  /** True when pluto holds any state for the connection (after the delete: did it revive?). */
  hasState: (connection: string) => Promise<boolean>;
  logger: Logger;
  /** Wait after the delete before checking for a revival. @default 2000 */
  reviveWaitMs?: number;
  /** @default Date.now */
  now?: () => number;
  /** Delay before the second recovery of a connection. @default 5000 */
  initialMs?: number;
  /** @default 300000 */
  maxMs?: number;
}

interface Attempts {
  count: number;
  notBefore: number;
}

export class StuckChildRecovery {
  private readonly attempts = new Map<string, Attempts>();
  private readonly done = new Set<string>();
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly deps: StuckRecoveryDeps) {}

  /** How many times a connection was recovered (tests, status). */
  recoveries(connection: string): number {
    return this.attempts.get(connection)?.count ?? 0;
  }

  /**
   * Starts recovering the stuck states that are due; returns at once (the
   * whack calls run in the background, one recovery at a time). `settled`
   * names connections now established: their backoff starts over.
   */
  consider(stuck: readonly StuckChild[], settled: Iterable<string> = []): Promise<void> {
    for (const name of settled) this.attempts.delete(name);
    const now = (this.deps.now ?? Date.now)();
    const due = stuck.filter((s) => {
      const key = `${s.connection}#${s.serial}`;
      if (this.done.has(key)) return false;
      const a = this.attempts.get(s.connection);
      return !a || now >= a.notBefore;
    });
    for (const s of due) {
      const a = this.attempts.get(s.connection) ?? { count: 0, notBefore: 0 };
      const delay = Math.min(this.deps.maxMs ?? 300_000, (this.deps.initialMs ?? 5000) * 2 ** a.count);
      this.attempts.set(s.connection, { count: a.count + 1, notBefore: now + delay });
      this.done.add(`${s.connection}#${s.serial}`);
    }
    if (!due.length) return this.running;
    this.running = this.running.then(() => this.recover(due));
    return this.running;
  }

  private async recover(due: readonly StuckChild[]): Promise<void> {
    for (const s of due) {
      try {
        await this.deps.deleteState(s.ikeSerial ?? s.serial);
        await new Promise((r) => setTimeout(r, this.deps.reviveWaitMs ?? 2000));
        const revived = await this.deps.hasState(s.connection);
        if (!revived) await this.deps.initiate(s.connection);
        this.deps.logger.warn(
          'cleared a Child SA pluto left stuck after the peer refused it (libreswan 5.2): deleted its IKE SA to retry',
          {
            connection: s.connection,
            serial: s.serial,
            ikeSerial: s.ikeSerial,
            retry: revived ? 'pluto revived it' : 'initiated',
            attempt: this.recoveries(s.connection),
          },
        );
      } catch (err) {
        this.deps.logger.warn('could not clear a stuck Child SA; will retry', {
          connection: s.connection,
          serial: s.serial,
          error: errorMessage(err),
        });
        this.done.delete(`${s.connection}#${s.serial}`);
      }
    }
  }
}
