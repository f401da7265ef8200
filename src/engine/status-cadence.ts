/**
 * How often the engine reads connection status from the driver (issue 12,
 * item 4: a dead peer costs nothing). Every `baseMs` while status moves; while
 * reading after reading changes nothing, the interval doubles up to `maxMs`
 * (a gateway whose cables are steadily up or steadily down does not decode
 * and diff every connection every 2 s). Any change, from a reading or from
 * elsewhere (a reconcile that did something, a probe result), brings it back
 * to `baseMs` at once.
 */
export interface StatusCadenceOptions {
  readonly baseMs: number;
  /** @default 15 x baseMs, at most 30 s (and never below baseMs) */
  readonly maxMs?: number;
}

export class StatusCadence {
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;
  private stopped = true;
  readonly maxMs: number;

  /** `read` returns whether the reading changed anything. */
  constructor(
    private readonly read: () => Promise<boolean>,
    private readonly options: StatusCadenceOptions,
  ) {
    this.delayMs = options.baseMs;
    this.maxMs = Math.max(options.baseMs, options.maxMs ?? Math.min(30_000, options.baseMs * 15));
  }

  start(): void {
    this.stopped = false;
    this.arm(this.options.baseMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Something changed: read again within `baseMs`, and every `baseMs` until steady again. */
  changed(): void {
    this.delayMs = this.options.baseMs;
    if (!this.stopped && this.dueAt - Date.now() > this.options.baseMs) this.arm(this.options.baseMs);
  }

  /** The interval the next reading waits (tests, status). */
  get currentMs(): number {
    return this.delayMs;
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.dueAt = Date.now() + ms;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    let changed = true;
    try {
      changed = await this.read();
    } catch {
      // A failed reading counts as a change: keep reading at the base interval.
    }
    if (this.stopped) return;
    this.delayMs = changed ? this.options.baseMs : Math.min(this.maxMs, this.delayMs * 2);
    this.arm(this.delayMs);
  }
}
