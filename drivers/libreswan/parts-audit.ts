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
 *   - at every status reading, from the `--showstates` the reading runs
 *     anyway: pluto must be negotiating for the cable. 4.10 lists one IKE
 *     state and one pending Child SA per dead cable, named after one of its
 *     two connections (the other half's Child SA is not listed), so in
 *     transport mode one of them listed counts; in tunnel mode (no audit of
 *     its own, below) every connection must be listed, which a dead peer's
 *     cable rarely shows: it keeps the engine's backed-off repair.
 *   - the audit, at most every `everyMs`, for the cables in error only
 *     (transport mode): one XFRM policy dump (pluto's trap policy of every
 *     routed connection: a connection deleted or unrouted in pluto loses
 *     it; cabled's block policy) and one overlay listing (two dumps: the FDB
 *     entry, the route of every subnet). Read-only. An install or repair of
 *     a cable counts as an audit: it put every part in place.
 * Pure bookkeeping; the driver gives it the kernel check.
 */

import type { XfrmPolicy } from '../../src/lib/netlink/index.js';
import type { OverlayState } from '../../src/overlay/index.js';
import type { LibreswanCable } from './install.js';

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

/**
 * Whether pluto is negotiating for a cable with connections `names`: a state
 * or a pending Child SA for one of them (transport mode), for every one of
 * them (tunnel mode). See the file comment.
 */
export function plutoNegotiates(
  mode: 'transport' | 'tunnel',
  names: readonly string[],
  index: { byConnection: ReadonlyMap<string, unknown>; pendingByConnection: ReadonlyMap<string, unknown> },
): boolean {
  const listed = (n: string) => index.byConnection.has(n) || index.pendingByConnection.has(n);
  return mode === 'transport' ? names.some(listed) : names.every(listed);
}

/** What the transport-mode audit reads: the overlay's listing and the XFRM policies. */
export interface TransportAuditInput {
  state: OverlayState;
  policies: readonly XfrmPolicy[];
  vxlanPort: number;
  /** The remote VTEP of a cable (its overlay routes go via it). */
  vtep: (c: LibreswanCable) => string;
}

/**
 * The transport cables (of `cables`) with every part the audit reads in
 * place: pluto's trap policy (out, with a template) of each routed
 * connection, selected by its two hosts and its VXLAN port side; cabled's
 * block policy towards the gateway; the FDB entry; a route of every subnet
 * via the remote VTEP.
 */
export function transportPartsInPlace(cables: readonly LibreswanCable[], input: TransportAuditInput): string[] {
  const traps = new Set<string>();
  const blocks = new Set<string>();
  for (const p of input.policies) {
    if (p.dir !== 'out' || p.proto !== 'udp') continue;
    if (p.owned && p.action === 'block' && !p.hasTemplates) blocks.add(`${p.dst}|${p.dport ?? ''}`);
    else if (!p.owned && p.hasTemplates) traps.add(`${p.src}|${p.dst}|${p.sport ?? ''}|${p.dport ?? ''}`);
  }
  const fdb = new Set(input.state.fdbDsts);
  const routes = new Map(input.state.routes.map((r) => [r.vtep, new Set(r.subnets)]));
  const port = (protoPort: string | undefined) => /^udp\/(\d+)$/.exec(protoPort ?? '')?.[1] ?? '';
  return cables
    .filter((c) => {
      if (c.mode !== 'transport') return false;
      if (!blocks.has(`${c.usingIp}/32|${input.vxlanPort}`) || !fdb.has(c.usingIp)) return false;
      const have = routes.get(input.vtep(c));
      if (!c.endpoint.subnets.every((s) => have?.has(s))) return false;
      return c.connections.every(
        (p) =>
          !p.route ||
          traps.has(
            `${p.spec.left.host}/32|${p.spec.right.host}/32|${port(p.spec.left.protoPort)}|${port(p.spec.right.protoPort)}`,
          ),
      );
    })
    .map((c) => c.endpoint.cableName);
}
