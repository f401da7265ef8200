/**
 * Exponential backoff with a ceiling, reset once things have stayed healthy
 * for a while. Used for driver restarts and Kubernetes watch retries.
 */
export interface BackoffOptions {
  /** First delay. @default 250 */
  initialMs?: number;
  /** Ceiling. @default 30000 */
  maxMs?: number;
  /** Healthy this long resets the delay. @default 60000 */
  resetAfterMs?: number;
}

export class Backoff {
  private attempt = 0;
  private healthySince: number | undefined;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 30000;
    this.resetAfterMs = options.resetAfterMs ?? 60000;
  }

  /** The delay before the next attempt. */
  next(now = Date.now()): number {
    if (this.healthySince !== undefined && now - this.healthySince >= this.resetAfterMs) this.attempt = 0;
    this.healthySince = undefined;
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt++;
    return delay;
  }

  /** Marks the start of a healthy period. */
  healthy(now = Date.now()): void {
    this.healthySince ??= now;
  }
}
