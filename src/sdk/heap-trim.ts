/**
 * Gives memory back after a burst (issue 15, P4). Installing 1000 cables
 * makes V8 grow a driver's old generation well ahead of what stays live
 * (~22 MB of heap for ~12-16 MB live), and it keeps that size while the
 * driver sits idle. One full collection once the driver has been quiet for a
 * moment lets V8 shrink the heap to what is live. Only when the process was
 * started with --expose-gc (the engine starts its drivers so); otherwise
 * nothing happens.
 *
 * A status reading of every cable counts as work too: a watched VXLAN driver
 * reads its 1000 cables back every 2-16 s, and what a reading promoted kept
 * its old generation at 12.5-12.7 MB for 9.6 MB live, 59.3-59.8 MB of RSS at
 * P4's point (target 60); trimmed after its readings as well, 9.0-9.5 MB and
 * 56.1-57.9 MB (four rounds each, interleaved, 2026-12-02 10:52 UTC). The
 * cost: an idle driver with 1000 cables used 0.57 % of a core against 0.38 %
 * (40 s each), one collection per reading.
 */
const exposedGc = (globalThis as { gc?: () => void }).gc;

export class HeapTrim {
  private timer: NodeJS.Timeout | undefined;

  /** `collect`: the full collection to run (tests pass their own); by default V8's, when exposed. */
  constructor(
    private readonly quietMs = 1000,
    private readonly collect: (() => void) | undefined = exposedGc,
  ) {}

  /** Work happened: trim once nothing else did for `quietMs`. */
  afterWork(): void {
    const collect = this.collect;
    if (!collect) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => collect(), this.quietMs);
    this.timer.unref();
  }

  /** `work` as a function that counts as work when it ends, whether it resolves or rejects. */
  around<T>(work: () => Promise<T>): () => Promise<T> {
    return async () => {
      try {
        return await work();
      } finally {
        this.afterWork();
      }
    };
  }
}
