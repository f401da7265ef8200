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
 *     anyway: pluto must be negotiating for the cable, i.e. a state or a
 *     pending Child SA named after one of its connections. 4.10 lists one
 *     IKE state and its pending Child SAs per dead cable, all named after
 *     the connection that started the IKE SA (transport mode: one of the
 *     two halves; tunnel mode: the first subnet pair, the other pairs'
 *     Child SAs are listed under its name too), so one listed counts in
 *     both modes.
 *   - the audit, for the cables in error only, 1 min after the last install,
 *     then doubling up to 10 min while it finds every part in place (the
 *     same bound as the engine's repair backoff it replaces). Read-only.
 *     Transport mode: one XFRM policy dump (pluto's trap policy of every
 *     routed connection: a connection deleted or unrouted in pluto loses it;
 *     cabled's block policy) and one overlay listing (two dumps: the FDB
 *     entry, the route of every subnet). Tunnel mode: one XFRM policy dump
 *     (pluto's trap policy, out with a template, on the selector local
 *     subnet -> remote subnet of every routed connection) and one connection
 *     list of pluto (`whack --status`: every connection of the cable loaded,
 *     oriented, and routed where it routes). Tunnel mode installs no route,
 *     FDB entry or block policy (a guard policy only lives while a connection
 *     is replaced, or for a cable whose install failed, which is never in
 *     place). An install or repair counts as an audit of the cables it
 *     installed: it put every part in place.
 * A routed connection whose trap policy alone was deleted (pluto still calls
 * it routed) is routed again by the repair (trapsMissing): `whack
 * --route` puts the policy back (checked on 4.10).
 * Pure bookkeeping; the driver gives it the kernel and pluto reads.
 */

import type { XfrmPolicy } from '../../src/lib/netlink/index.js';
import type { LoadedConnection } from '../../src/lib/whack/index.js';
import type { OverlayState } from '../../src/overlay/index.js';
import type { LibreswanCable } from './install.js';

export interface KernelPartsAuditOptions {
  /** The first interval between two audits. @default 60000 */
  readonly firstMs?: number;
  /** Cap of the interval, which doubles after each audit that found every part in place. @default 600000 */
  readonly maxMs?: number;
  readonly now?: () => number;
}

export class KernelPartsAudit {
  /** Cables whose kernel parts were in place at their last check (or install). */
  private readonly inPlaceSet = new Set<string>();
  private lastAt = Number.NEGATIVE_INFINITY;
  private intervalMs: number;
  private readonly now: () => number;

  constructor(
    /** Reads the kernel: which of `cables` have every kernel part in place. */
    private readonly check: (cables: readonly string[]) => Promise<ReadonlySet<string>>,
    private readonly options: KernelPartsAuditOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.firstMs ?? 60_000;
  }

  /** An install or repair put every part of these cables in place. The next audits come sooner again. */
  installed(cables: Iterable<string>): void {
    let any = false;
    for (const c of cables) {
      this.inPlaceSet.add(c);
      any = true;
    }
    if (!any) return;
    this.intervalMs = this.options.firstMs ?? 60_000;
    this.lastAt = this.now();
  }

  /** The cable is gone, or failed to install: nothing is known of its parts. */
  forget(cable: string): void {
    this.inPlaceSet.delete(cable);
  }

  /** The interval until the next audit (for tests and the docs' figures). */
  get currentMs(): number {
    return this.intervalMs;
  }

  /** Whether every kernel part of `cable` was in place at its last check. */
  inPlace(cable: string): boolean {
    return this.inPlaceSet.has(cable);
  }

  /** Whether an audit is due (the last one was the current interval ago or more). */
  due(): boolean {
    return this.now() - this.lastAt >= this.intervalMs;
  }

  /**
   * Reads the parts of `cables` again when due. A failed read counts none of
   * them in place (fail-safe: they are repaired). An audit that found every
   * part in place doubles the interval (capped); one that did not, or an
   * install (installed()), brings it back to the first.
   */
  async refresh(cables: readonly string[]): Promise<void> {
    if (!cables.length || !this.due()) return;
    this.lastAt = this.now();
    const ok = await this.check(cables).catch(() => new Set<string>());
    let all = true;
    for (const c of cables) {
      if (ok.has(c)) this.inPlaceSet.add(c);
      else {
        this.inPlaceSet.delete(c);
        all = false;
      }
    }
    const first = this.options.firstMs ?? 60_000;
    this.intervalMs = all ? Math.min(this.intervalMs * 2, this.options.maxMs ?? 600_000) : first;
  }
}

/**
 * Whether pluto is negotiating for a cable with connections `names`: a state
 * or a pending Child SA named after one of them (both modes; see the file
 * comment for why one is enough, and which audit checks the rest).
 */
export function plutoNegotiates(
  names: readonly string[],
  index: { byConnection: ReadonlyMap<string, unknown>; pendingByConnection: ReadonlyMap<string, unknown> },
): boolean {
  return names.some((n) => index.byConnection.has(n) || index.pendingByConnection.has(n));
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
  const traps = transportTraps(input.policies);
  const blocks = new Set<string>();
  for (const p of input.policies)
    if (p.dir === 'out' && p.proto === 'udp' && p.owned && p.action === 'block' && !p.hasTemplates)
      blocks.add(`${p.dst}|${p.dport ?? ''}`);
  const fdb = new Set(input.state.fdbDsts);
  const routes = new Map(input.state.routes.map((r) => [r.vtep, new Set(r.subnets)]));
  return cables
    .filter((c) => {
      if (c.mode !== 'transport') return false;
      if (!blocks.has(`${c.usingIp}/32|${input.vxlanPort}`) || !fdb.has(c.usingIp)) return false;
      const have = routes.get(input.vtep(c));
      if (!c.endpoint.subnets.every((s) => have?.has(s))) return false;
      return c.connections.every((p) => !p.route || traps.has(transportTrapKey(p)));
    })
    .map((c) => c.endpoint.cableName);
}

/** pluto's trap policies of transport connections in `policies` (outbound UDP, with a template, not cabled's). */
function transportTraps(policies: readonly XfrmPolicy[]): Set<string> {
  const traps = new Set<string>();
  for (const p of policies)
    if (p.dir === 'out' && p.proto === 'udp' && !p.owned && p.hasTemplates)
      traps.add(`${p.src}|${p.dst}|${p.sport ?? ''}|${p.dport ?? ''}`);
  return traps;
}

/** The selector key of a transport connection's trap policy: its two hosts and its VXLAN port side. */
function transportTrapKey(p: LibreswanCable['connections'][number]): string {
  const port = (protoPort: string | undefined) => /^udp\/(\d+)$/.exec(protoPort ?? '')?.[1] ?? '';
  const { left, right } = p.spec;
  return `${left.host}/32|${right.host}/32|${port(left.protoPort)}|${port(right.protoPort)}`;
}

/** The selector key of a tunnel-mode trap policy: local subnet -> remote subnet. */
const tunnelKey = (src: string, dst: string) => `${src}|${dst}`;

/** pluto's trap policies in `policies` (outbound, with a template, not cabled's, any protocol), by selector. */
function tunnelTraps(policies: readonly XfrmPolicy[]): Set<string> {
  const traps = new Set<string>();
  for (const p of policies)
    if (p.dir === 'out' && !p.owned && p.hasTemplates && p.proto === undefined) traps.add(tunnelKey(p.src, p.dst));
  return traps;
}

/** The selector a routed tunnel-mode connection's trap policy has (undefined: it has none to check). */
function trapSelector(p: LibreswanCable['connections'][number]): string | undefined {
  const { left, right } = p.spec;
  return p.route && left.client && right.client ? tunnelKey(left.client, right.client) : undefined;
}

/** What the tunnel-mode audit reads: the XFRM policies and pluto's connection list. */
export interface TunnelAuditInput {
  policies: readonly XfrmPolicy[];
  /** pluto's loaded connections (`whack --status`), by name. */
  loaded: ReadonlyMap<string, LoadedConnection>;
}

/**
 * The tunnel cables (of `cables`) with every part in place: each connection
 * loaded in pluto and oriented; each routed one routed in pluto (not
 * "unrouted") with its trap policy in the kernel on local subnet -> remote
 * subnet.
 */
export function tunnelPartsInPlace(cables: readonly LibreswanCable[], input: TunnelAuditInput): string[] {
  const traps = tunnelTraps(input.policies);
  return cables
    .filter(
      (c) =>
        c.mode === 'tunnel' &&
        c.connections.length > 0 &&
        c.connections.every((p) => {
          const l = input.loaded.get(p.spec.name);
          if (!l?.oriented) return false;
          if (!p.route) return true;
          const sel = trapSelector(p);
          return l.routing !== 'unrouted' && sel !== undefined && traps.has(sel);
        }),
    )
    .map((c) => c.endpoint.cableName);
}

/**
 * The routed connections (of `cables`, either mode) whose trap policy is not
 * in `policies`: a repair routes them again (pluto may still call them
 * routed, so it would not otherwise).
 */
export function trapsMissing(cables: readonly LibreswanCable[], policies: readonly XfrmPolicy[]): Set<string> {
  const tunnel = tunnelTraps(policies);
  const transport = transportTraps(policies);
  const out = new Set<string>();
  for (const c of cables) {
    for (const p of c.connections) {
      if (!p.route) continue;
      if (c.mode === 'transport') {
        if (!transport.has(transportTrapKey(p))) out.add(p.spec.name);
        continue;
      }
      const sel = trapSelector(p);
      if (sel && !tunnel.has(sel)) out.add(p.spec.name);
    }
  }
  return out;
}
