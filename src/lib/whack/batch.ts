/**
 * Bounded concurrency for many whack calls: at most N in flight, results in
 * input order, one failure does not stop the others. pluto serialises whack
 * requests itself, so the gain comes from overlapping process start-up and
 * I/O; 4-8 in flight is plenty (see the timings in the README of this folder).
 */

/** The outcome of one item. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Runs `fn` over `items` with at most `concurrency` calls in flight. */
export async function mapBounded<T, R>(
  items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>,
): Promise<Settled<R>[]> {
  const limit = Math.max(1, Math.floor(concurrency));
  const results: Settled<R>[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { ok: true, value: await fn(items[i]!, i) };
      } catch (error) {
        results[i] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The errors of a batch, with the item each belongs to. */
export function failuresOf<T, R>(items: readonly T[], results: readonly Settled<R>[]): { item: T; error: unknown }[] {
  const out: { item: T; error: unknown }[] = [];
  results.forEach((r, i) => {
    if (!r.ok) out.push({ item: items[i]!, error: r.error });
  });
  return out;
}
