/**
 * Monotonic byte counters from successive --trafficstatus readings.
 *
 * libreswan 4.x prints `inBytes` with %u (state.c, v4.10-v4.15): the value
 * WRAPS at 2^32 (4 GiB). outBytes, and both counters in 5.x, are 64-bit.
 * A reading lower than the previous one for the same Child SA serial is
 * taken as one wrap (if the field wraps) or as a reset. Read more often than
 * it takes to move 4 GiB through one SA (at 10 Gbit/s: every 3 s) or wraps
 * are missed and the total undercounts.
 *
 * A new serial (rekey, re-establishment) starts a new SA whose counter starts
 * at 0: the last value of the old SA is folded into the running total, so
 * the total never goes down. Bytes the old SA carried after the last reading
 * are lost; that is the price of reading only the newest SA.
 */
import type { LibreswanVersion } from './version.js';

/** 2^32, where 4.x inBytes wraps. */
export const WRAP_32 = 1n << 32n;

/** The wrap modulus of a trafficstatus field for a version, or undefined for 64-bit fields. */
export function counterWrap(version: LibreswanVersion, field: 'inBytes' | 'outBytes'): bigint | undefined {
  return version.major < 5 && field === 'inBytes' ? WRAP_32 : undefined;
}

/** Turns readings of one connection's counter into a monotonic total. */
export class MonotonicCounter {
  private serial: number | undefined;
  private lastRaw = 0n;
  private wraps = 0n;
  private base = 0n;

  /** @param wrap modulus at which raw readings wrap (WRAP_32 for 4.x inBytes), or undefined. */
  constructor(private readonly wrap: bigint | undefined) {}

  /** Feeds one reading (the Child SA serial and its raw counter); returns the monotonic total. */
  update(serial: number, raw: bigint): bigint {
    if (this.serial !== undefined && serial !== this.serial) {
      this.base += this.current();
      this.wraps = 0n;
      this.lastRaw = 0n;
    } else if (raw < this.lastRaw) {
      if (this.wrap !== undefined) {
        this.wraps += 1n;
      } else {
        this.base += this.current();
        this.wraps = 0n;
      }
    }
    this.serial = serial;
    this.lastRaw = raw;
    return this.total;
  }

  /** Total so far (0 before the first reading). */
  get total(): bigint {
    return this.base + this.current();
  }

  private current(): bigint {
    return this.lastRaw + this.wraps * (this.wrap ?? 0n);
  }
}
