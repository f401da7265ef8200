/**
 * Lookups desiredState makes once per remote endpoint against every older
 * one, in O(log n) instead of a scan (1000s of endpoints made the scans,
 * each parsing address strings, most of the engine's time for a new file).
 * Each answer is the one a scan in insertion order would give.
 */
import { blockOf, type Block } from '../endpoints/index.js';

interface Entry<T> {
  first: number;
  /** One past the last address. */
  end: number;
  /** Insertion order: ties go to the earliest, as a scan would find it. */
  seq: number;
  value: T;
}

/** The index of the first entry whose `first` is >= n (entries sorted by first, then seq). */
function lowerBound<T>(list: readonly Entry<T>[], n: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.first < n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Address ranges (CIDRs) with a value each. Searched by halving while no two
 * overlap (the usual case: desiredState grants no subnet that overlaps one
 * granted before); scanned in insertion order once two do.
 */
export class Blocks<T> {
  private readonly list: Entry<T>[] = [];
  private readonly inOrder: Entry<T>[] = [];
  private disjoint = true;

  add(block: Block, value: T): void {
    const e = { first: block.first, end: block.first + block.size, seq: this.inOrder.length, value };
    if (this.disjoint && this.firstOverlapping(block) !== undefined) this.disjoint = false;
    this.list.splice(lowerBound(this.list, e.first), 0, e);
    this.inOrder.push(e);
  }

  /** The earliest-added block holding address `n`, if any. */
  containing(n: number): T | undefined {
    if (!this.disjoint) return this.inOrder.find((e) => e.first <= n && n < e.end)?.value;
    const i = lowerBound(this.list, n + 1) - 1;
    const e = i >= 0 ? this.list[i] : undefined;
    return e && n < e.end ? e.value : undefined;
  }

  /** The earliest-added block overlapping `block`, if any. */
  firstOverlapping(block: Block): T | undefined {
    const end = block.first + block.size;
    if (!this.disjoint) return this.inOrder.find((e) => e.first < end && block.first < e.end)?.value;
    // Disjoint and sorted by start, so also sorted by end: the overlapping ones are contiguous.
    let best: Entry<T> | undefined;
    for (let i = lowerBound(this.list, end) - 1; i >= 0; i--) {
      const e = this.list[i]!;
      if (e.end <= block.first) break;
      if (!best || e.seq < best.seq) best = e;
    }
    return best?.value;
  }
}

/** Single addresses (repeats allowed), with a value each. */
export class Addresses<T> {
  private readonly list: Entry<T>[] = [];
  private readonly exact = new Map<string, T>();
  private seq = 0;

  add(ip: string, value: T): void {
    const n = blockOf(ip).first;
    const i = lowerBound(this.list, n + 1);
    this.list.splice(i, 0, { first: n, end: n + 1, seq: this.seq++, value });
    if (!this.exact.has(ip)) this.exact.set(ip, value);
  }

  /** The earliest-added value for exactly this address string. */
  get(ip: string): T | undefined {
    return this.exact.get(ip);
  }

  /** The earliest-added address inside `block`, if any. */
  firstInside(block: Block): T | undefined {
    let best: Entry<T> | undefined;
    const end = block.first + block.size;
    for (let i = lowerBound(this.list, block.first); i < this.list.length; i++) {
      const e = this.list[i]!;
      if (e.first >= end) break;
      if (!best || e.seq < best.seq) best = e;
    }
    return best?.value;
  }
}
