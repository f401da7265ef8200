/**
 * Creation times for endpoints that carry none. Submariner picks the newest
 * Endpoint of a cluster by its creationTimestamp; an entry in a file without
 * one gets the time the source first saw it. The time is kept for as long as
 * the entry stays in the file, so "newest wins" does not flip on re-reads.
 * Entries are keyed by cable name (cluster + private IP): editing an entry's
 * subnets keeps its time, as a Kubernetes update keeps creationTimestamp,
 * while a new private IP is a new endpoint with a new time.
 */

/** RFC 3339 date-time (what Kubernetes writes in metadata.creationTimestamp). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 string, or undefined if it is not one. */
export function parseRfc3339(value: string): number | undefined {
  if (!RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Remembers when each key was first seen. */
export class FirstSeen {
  private readonly seen = new Map<string, number>();

  /** @param now the clock (tests inject one). */
  constructor(private readonly now: () => number = Date.now) {}

  /** Starts a read: keys stamped in it share one time. Returns the functions for that read. */
  begin(): { stamp: (key: string) => number; end: () => void } {
    const at = this.now();
    const used = new Set<string>();
    return {
      stamp: (key) => {
        used.add(key);
        let t = this.seen.get(key);
        if (t === undefined) {
          t = at;
          this.seen.set(key, t);
        }
        return t;
      },
      // Forget keys the read did not mention: if they come back, they are new.
      end: () => {
        for (const key of this.seen.keys()) if (!used.has(key)) this.seen.delete(key);
      },
    };
  }
}
