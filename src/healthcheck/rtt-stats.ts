/**
 * Round-trip time statistics over a sliding window of samples (Submariner's
 * pinger keeps 1000): last, min, average, max and population standard
 * deviation, in nanoseconds, as the Connection's LatencyRtt carries them.
 */
import type { LatencyRtt } from '../generated/cabled/driver/v1/driver.js';

export class RttStats {
  private readonly samples: number[] = [];
  private next = 0;
  private last = 0;
  /** The statistics of the current samples, made once per new sample (undefined: not made yet). */
  private cached: LatencyRtt | undefined;

  /** @param windowSize how many recent samples the statistics cover. @default 1000 */
  constructor(private readonly windowSize = 1000) {
    if (!Number.isInteger(windowSize) || windowSize < 1)
      throw new RangeError(`RTT window must be a positive integer, got ${windowSize}`);
  }

  add(rttNs: number): void {
    this.cached = undefined;
    this.last = rttNs;
    if (this.samples.length < this.windowSize) this.samples.push(rttNs);
    else this.samples[this.next] = rttNs;
    this.next = (this.next + 1) % this.windowSize;
  }

  /**
   * The statistics so far; undefined before the first sample. The same object
   * until the next sample (readers may compare by identity, and reading many
   * cables often costs nothing while no sample arrived).
   */
  snapshot(): LatencyRtt | undefined {
    const n = this.samples.length;
    if (n === 0) return undefined;
    if (this.cached) return this.cached;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const s of this.samples) {
      sum += s;
      if (s < min) min = s;
      if (s > max) max = s;
    }
    const mean = sum / n;
    let squares = 0;
    for (const s of this.samples) squares += (s - mean) ** 2;
    this.cached = {
      lastNs: this.last,
      minNs: min,
      averageNs: Math.round(mean),
      maxNs: max,
      stddevNs: Math.round(Math.sqrt(squares / n)),
    };
    return this.cached;
  }
}
