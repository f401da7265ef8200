/**
 * A dead peer costs nothing (issue 12, item 4): the periodic resync repairs a
 * cable the driver reports in error, but a cable that is still in error after
 * a repair (its peer does not answer: nothing the driver installs will fix
 * it) is repaired again only after a doubling delay, capped; and its reason is
 * logged when it changes, not at every resync. A periodic summary says how
 * many cables are failing and why.
 */
import type { Logger } from '../lib/logger.js';

export interface RepairBackoffOptions {
  /** Delay after the first repair that did not help. @default 30000 */
  readonly firstMs?: number;
  /** Cap of the delay. @default 600000 */
  readonly maxMs?: number;
  /** How often the summary of failing cables is logged (when there are any). @default 300000 */
  readonly summaryMs?: number;
  readonly now?: () => number;
}

interface Entry {
  /** The reason as last given (compared first: a steadily failing cable gives the same string). */
  given: string;
  /** Its key (reasonKey): two reasons with the same key are the same failure. */
  reason: string;
  attempts: number;
  nextAt: number;
}

export class RepairBackoff {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private lastSummary = 0;

  constructor(
    private readonly log: Logger,
    private readonly options: RepairBackoffOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.lastSummary = this.now();
  }

  /** Whether a repair of `cable` (in error for `reason`) may run now. Logs the reason when it is new or changed. */
  allow(cable: string, reason: string): boolean {
    const e = this.note(cable, reason);
    return this.now() >= e.nextAt;
  }

  /**
   * `cable` is in error for `reason` but needs no repair (the driver observed
   * every part of it in place: the peer does not answer). Logged like a repair
   * candidate when the reason is new or changed; no repair is scheduled, so
   * should a part go missing later, the first repair runs at once.
   */
  note(cable: string, reason: string): { nextAt: number } {
    const e = this.entries.get(cable);
    if (e?.given === reason) return e;
    const key = cachedReasonKey(reason);
    if (!e || e.reason !== key) {
      this.log.warn('cable failing', { cable, reason });
      const fresh = { given: reason, reason: key, attempts: 0, nextAt: 0 };
      this.entries.set(cable, fresh);
      return fresh;
    }
    e.given = reason;
    return e;
  }

  /** A repair of `cable` was attempted: the next one waits longer. */
  attempted(cable: string): void {
    const e = this.entries.get(cable);
    if (!e) return;
    const first = this.options.firstMs ?? 30000;
    const delay = Math.min(first * 2 ** e.attempts, this.options.maxMs ?? 600000);
    e.attempts++;
    e.nextAt = this.now() + delay;
  }

  /** The cables observed not in error (or gone): forgotten, and logged as recovered. */
  healthy(failing: { has(cable: string): boolean }): void {
    for (const cable of [...this.entries.keys()]) {
      if (failing.has(cable)) continue;
      this.entries.delete(cable);
      this.log.info('cable no longer failing', { cable });
    }
  }

  /** Logs the summary when it is due: how many cables fail, the most common reasons. */
  summarise(): void {
    const every = this.options.summaryMs ?? 300000;
    if (!this.entries.size || this.now() - this.lastSummary < every) return;
    this.lastSummary = this.now();
    const byReason = new Map<string, number>();
    for (const e of this.entries.values()) {
      const key = e.reason.replace(/submariner-cable-\S+/g, '<cable>').slice(0, 160);
      byReason.set(key, (byReason.get(key) ?? 0) + 1);
    }
    const top = [...byReason].sort((a, b) => b[1] - a[1]).slice(0, 3);
    this.log.warn('cables failing (summary)', {
      failing: this.entries.size,
      reasons: top.map(([r, n]) => `${n}x ${r}`),
    });
  }

  /** Number of cables currently known failing. */
  get size(): number {
    return this.entries.size;
  }
}

/**
 * reasonKey, remembered per reason string: a resync looks at the reason of
 * every cable in error (1000s with dead peers), and a steadily failing cable
 * keeps the same reason, so each distinct reason is normalised once. Bounded:
 * cleared when it holds too many.
 */
const keyCache = new Map<string, string>();
const KEY_CACHE_MAX = 8192;
export function cachedReasonKey(reason: string): string {
  let key = keyCache.get(reason);
  if (key === undefined) {
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    key = reasonKey(reason);
    keyCache.set(reason, key);
  }
  return key;
}

/**
 * What a failure reason says, without what varies while nothing changes: SA
 * names, addresses, counts, hints in parentheses, whether IKE is negotiating
 * or between attempts, and "nothing in the log
 * explains why" next to a reason that does explain (the two halves of a pair
 * share one IKE SA, so the log names one of them). Two reasons with the same
 * key are the same failure.
 */
export function reasonKey(reason: string): string {
  const parts = reason
    .replace(/\([^()]*\)/g, '')
    // "IKE negotiating with X; no answer" and "IKE not established with X: no answer" are one failure:
    // a peer that never answers alternates between them (an attempt, then the wait before the next).
    .replace(/\bIKE (?:negotiating|not established)\b[^;:]*[;:]?/g, '')
    .split(';')
    .map((p) =>
      p
        .replace(/^[^:]*:\s*/, (m) => (/\bSAs? established\b/.test(p) ? m : ''))
        .replace(/\b\d+(?:\.\d+){3}(?::\d+)?\b/g, 'IP')
        .replace(/\d+/g, 'N')
        .trim(),
    )
    .filter((p) => p && !/^N of N SAs established$/.test(p));
  const explained = parts.filter((p) => !p.startsWith('no SA and nothing in the log'));
  return [...new Set(explained.length ? explained : parts)].sort().join('; ');
}
