/**
 * When the libreswan driver asks pluto for status again (issue 12, item 4: a
 * dead peer costs nothing). The engine asks for the connections every couple
 * of seconds; each answer from pluto costs whack processes and a
 * classification of every connection. While nothing moves (every cable
 * steadily down or steadily waiting, none connecting, none carrying traffic
 * whose counters matter) the driver answers from its last reading and polls
 * pluto only after a doubling interval, capped. Anything the driver did
 * (install, removal, Init, pluto restart) or any change seen in a poll brings
 * it back to polling at every request.
 */

export interface RefreshScheduleOptions {
  /** The first interval once status is steady. @default 4000 */
  readonly firstMs?: number;
  /** Cap of the interval. @default 30000 */
  readonly maxMs?: number;
  readonly now?: () => number;
}

export class RefreshSchedule {
  private intervalMs = 0;
  private nextAt = 0;
  private dirty = true;
  private gen = 0;
  private readonly now: () => number;

  private maxMs: number;

  constructor(private readonly options: RefreshScheduleOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxMs = options.maxMs ?? 30_000;
  }

  /** A new cap (the libreswan driver's depends on whether it follows pluto's log). */
  setMaxMs(ms: number): void {
    this.maxMs = ms;
  }

  /** Something the status must show soon happened (an install, a removal, an Init, a pluto restart). */
  invalidate(): void {
    this.dirty = true;
    this.intervalMs = 0;
    this.gen++;
  }

  /** Counts invalidations: a reading started at one generation says nothing of what came after. */
  get generation(): number {
    return this.gen;
  }

  /** Whether pluto should be polled now. */
  due(): boolean {
    return this.dirty || this.now() >= this.nextAt;
  }

  /**
   * A poll was made: `steady` when it found nothing moving (see the file comment). `startedAt` is the
   * generation when the poll began: if something was invalidated meanwhile, the poll may predate it and
   * the next request polls again.
   */
  polled(steady: boolean, startedAt = this.gen): void {
    if (startedAt !== this.gen) return;
    this.dirty = false;
    const first = this.options.firstMs ?? 4000;
    const max = this.maxMs;
    this.intervalMs = steady ? Math.min(max, this.intervalMs ? this.intervalMs * 2 : first) : 0;
    this.nextAt = this.now() + this.intervalMs;
  }

  /** The current interval (0: every request polls). */
  get currentMs(): number {
    return this.intervalMs;
  }
}
