/**
 * Bounded concurrency for many whack calls: at most N in flight, results in
 * input order, one failure does not stop the others. pluto handles whack
 * requests one at a time (and runs the updown script of each --route before
 * answering), so concurrency only overlaps process start-up: measured on the
 * 2-CPU CI machine (libreswan 4.10, 100 connections), adds took 748 ms with 1
 * in flight and ~420-520 ms with 4-16; routes ~2.0-4.3 s either way (about
 * 25 ms of updown each). For bulk loads use loadWithAddconn (addconn.ts): one
 * call added 100 connections in ~50-60 ms, and with updown=%disabled
 * `--autoall` added and routed 2000 in ~640 ms.
 */

/** The outcome of one item. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Runs `fn` over `items` with at most `concurrency` calls in flight. */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
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
