/**
 * Which cables have every part in place (issue 12, item 4: a dead peer costs
 * nothing). A cable in error whose parts are all installed fails on the
 * remote side (a peer that does not answer): installing it again cannot
 * help, and the driver says so in its status (Connection.parts_in_place), so
 * the engine does not repair it. Installing 1000 such cables again at every
 * repair round (a full `whack --status`, two overlay dumps and 1000 policy
 * reads each) was most of what dead peers cost.
 *
 * A part can still go missing behind the driver's back; it must then be
 * noticed and the cable reported for repair:
 *   - pluto's connections: at every status reading, from `--showstates`,
 *     which the reading has anyway. A connection pluto keeps trying to reach
 *     a dead peer with always has a state or a pending Child SA there; one
 *     that has neither (deleted, or between two attempts on libreswan 5.x,
 *     which waits before reviving) is not counted in place: the engine
 *     repairs the cable, and a repair that finds nothing missing writes
 *     nothing.
 *   - the kernel's (block policy, FDB entry, routes): this audit, at most
 *     every `everyMs` (one overlay listing: two netlink dumps, and one policy
 *     GET per cable in question), for the cables in error only. An install
 *     or repair of a cable counts as a check: it put every part in place.
 * Pure bookkeeping; the driver gives it the kernel check.
 */

export interface KernelPartsAuditOptions {
  /** How often the kernel parts of the cables in error are read again. @default 60000 */
  readonly everyMs?: number;
  readonly now?: () => number;
}

export class KernelPartsAudit {
  /** Cables whose kernel parts were in place at their last check (or install). */
  private readonly inPlaceSet = new Set<string>();
  private lastAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(
    /** Reads the kernel: which of `cables` have every kernel part in place. */
    private readonly check: (cables: readonly string[]) => Promise<ReadonlySet<string>>,
    private readonly options: KernelPartsAuditOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** An install or repair put every part of these cables in place. */
  installed(cables: Iterable<string>): void {
    for (const c of cables) this.inPlaceSet.add(c);
  }

  /** The cable is gone, or failed to install: nothing is known of its parts. */
  forget(cable: string): void {
    this.inPlaceSet.delete(cable);
  }

  /** Whether every kernel part of `cable` was in place at its last check. */
  inPlace(cable: string): boolean {
    return this.inPlaceSet.has(cable);
  }

  /** Whether a check is due (the last one was `everyMs` ago or more). */
  due(): boolean {
    return this.now() - this.lastAt >= (this.options.everyMs ?? 60_000);
  }

  /**
   * Reads the kernel parts of `cables` again when due. A failed read counts
   * none of them in place (fail-safe: they are repaired), and is tried again
   * at the next due time.
   */
  async refresh(cables: readonly string[]): Promise<void> {
    if (!cables.length || !this.due()) return;
    this.lastAt = this.now();
    const ok = await this.check(cables).catch(() => new Set<string>());
    for (const c of cables) {
      if (ok.has(c)) this.inPlaceSet.add(c);
      else this.inPlaceSet.delete(c);
    }
  }
}

/** Whether pluto has a state or a pending Child SA for every one of `names` (see the file comment). */
export function plutoHoldsAll(
  names: readonly string[],
  index: { byConnection: ReadonlyMap<string, unknown>; pendingByConnection: ReadonlyMap<string, unknown> },
): boolean {
  for (const n of names) if (!index.byConnection.has(n) && !index.pendingByConnection.has(n)) return false;
  return true;
}
