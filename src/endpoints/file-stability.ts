/**
 * Only whole files count (issue 12, item 2). A writer that rewrites the
 * endpoints file in place, in chunks, exposes prefixes of it, and most
 * prefixes of a YAML list parse as a shorter valid list. Two guards, both
 * about *when* a file's content is taken, none about what an entry may say
 * (that is the validation's job):
 *
 * - settled reads: content counts only once two reads `settleMs` apart agree;
 * - the removal hold: a change that would remove more than half of the
 *   endpoints in force (when at least `minimum` are) is held until the file
 *   has stayed exactly the same for `holdMs`, then applied.
 *
 * Renaming a complete file into place (or kubelet's ..data swap) is still the
 * recommended way to write it: then every read sees a whole file.
 */
import type { EndpointsSnapshot } from './snapshot.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Reads twice, `settleMs` apart: the text when both reads agree, undefined
 * when the file is still changing. Errors of `read` propagate.
 */
export async function readSettled(read: () => Promise<string>, settleMs: number): Promise<string | undefined> {
  const first = await read();
  if (settleMs <= 0) return first;
  await sleep(settleMs);
  const second = await read();
  return first === second ? second : undefined;
}

/** Reads until the file has settled; after `maxTries` the last text read counts. */
export async function readUntilSettled(
  read: () => Promise<string>,
  settleMs: number,
  maxTries = 20,
): Promise<{ text: string; settled: boolean }> {
  let last = await read();
  for (let i = 0; i < maxTries; i++) {
    if (settleMs <= 0) return { text: last, settled: true };
    await sleep(settleMs);
    const next = await read();
    if (next === last) return { text: next, settled: true };
    last = next;
  }
  return { text: last, settled: false };
}

/** Options of RemovalHold. */
export interface RemovalHoldOptions {
  /** How long a mass removal must stay unchanged before it applies; 0 turns the hold off. */
  readonly holdMs: number;
  /** The hold applies only when at least this many endpoints are in force. */
  readonly minimum: number;
  readonly now?: () => number;
}

export type HoldDecision =
  | { readonly apply: true; readonly released?: string }
  | { readonly apply: false; readonly retryInMs: number; readonly message: string; readonly started: boolean };

/** Decides whether a new snapshot that removes most endpoints applies now or waits. */
export class RemovalHold {
  private held: { key: string; since: number; removed: number; total: number } | undefined;
  private readonly now: () => number;

  constructor(private readonly options: RemovalHoldOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether a hold is in force, with its message. */
  get message(): string | undefined {
    return this.held && describe(this.held.removed, this.held.total, this.options.holdMs);
  }

  /**
   * `key` identifies the candidate content (the file's text): the hold's clock
   * restarts whenever it changes.
   */
  decide(current: EndpointsSnapshot | undefined, next: EndpointsSnapshot, key: string): HoldDecision {
    const { holdMs, minimum } = this.options;
    const total = current?.endpoints.length ?? 0;
    const removed = current ? countRemoved(current, next) : 0;
    if (holdMs <= 0 || total < minimum || removed * 2 <= total) {
      const released = this.held ? 'the held change was replaced by one that removes fewer endpoints' : undefined;
      this.held = undefined;
      return released ? { apply: true, released } : { apply: true };
    }
    const now = this.now();
    const started = this.held?.key !== key;
    if (started) this.held = { key, since: now, removed, total };
    const held = this.held!;
    const waited = now - held.since;
    if (waited >= holdMs) {
      this.held = undefined;
      return { apply: true, released: `the file stayed unchanged for ${Math.round(waited / 1000)} s` };
    }
    return { apply: false, retryInMs: holdMs - waited, message: describe(removed, total, holdMs), started };
  }
}

function countRemoved(current: EndpointsSnapshot, next: EndpointsSnapshot): number {
  const kept = new Set(next.endpoints.map((e) => e.spec.cableName));
  return current.endpoints.filter((e) => !kept.has(e.spec.cableName)).length;
}

function describe(removed: number, total: number, holdMs: number): string {
  return (
    `a change that removes ${removed} of ${total} endpoints is held until the file stays unchanged for ` +
    `${holdMs / 1000} s (--endpoints-removal-hold); if it is intended, it applies then by itself. ` +
    'Write the file by renaming a complete file into place so a half-written file is never read'
  );
}
