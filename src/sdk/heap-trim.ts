/**
 * Gives memory back after a burst (issue 15, P4). Installing 1000 cables
 * makes V8 grow a driver's old generation well ahead of what stays live
 * (~22 MB of heap for ~12-16 MB live), and it keeps that size while the
 * driver sits idle. One full collection once the driver has been quiet for a
 * moment lets V8 shrink the heap to what is live. Only when the process was
 * started with --expose-gc (the engine starts its drivers so); otherwise
 * nothing happens.
 */
const gc = (globalThis as { gc?: () => void }).gc;

export class HeapTrim {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly quietMs = 1000) {}

  /** Work happened: trim once nothing else did for `quietMs`. */
  afterWork(): void {
    if (!gc) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => gc(), this.quietMs);
    this.timer.unref();
  }
}
