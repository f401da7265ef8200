/**
 * Parser of `whack --briefstatus` (pure): the SA totals pluto keeps.
 *   State Information: DDoS cookies not required, Accepting new IKE connections
 *   IKE SAs: total(1), half-open(0), open(0), authenticated(1), anonymous(0)
 *   IPsec SAs: total(0), authenticated(0), anonymous(0)
 * Counting IPsec SAs this way is cheap (no per-SA output).
 */
import { parseWhackOutput } from './output.js';

/** Totals from --briefstatus. Missing numbers read as 0. */
export interface BriefStatus {
  ike: { total: number; halfOpen: number; open: number; authenticated: number; anonymous: number };
  ipsec: { total: number; authenticated: number; anonymous: number };
  /** "DDoS cookies not required" etc., when printed. */
  ddos?: string;
  /** False when pluto says it is refusing new IKE connections. */
  acceptingNewIke?: boolean;
}

/** Parses --briefstatus (or --status, which contains the same lines). */
export function parseBriefStatus(stdout: string): BriefStatus {
  const out: BriefStatus = {
    ike: { total: 0, halfOpen: 0, open: 0, authenticated: 0, anonymous: 0 },
    ipsec: { total: 0, authenticated: 0, anonymous: 0 },
  };
  for (const { text } of parseWhackOutput(stdout)) {
    const line = text.trim();
    const info = /^State Information: ([^,]*), (.*)$/.exec(line);
    if (info) {
      out.ddos = info[1];
      out.acceptingNewIke = !/not accepting|refusing/i.test(info[2] ?? '');
      continue;
    }
    const counts = /^(IKE|IPsec) SAs: (.*)$/.exec(line);
    if (!counts) continue;
    const n: Record<string, number> = {};
    for (const m of (counts[2] ?? '').matchAll(/([A-Za-z-]+)\((\d+)\)/g)) n[m[1] ?? ''] = Number(m[2]);
    if (counts[1] === 'IKE') {
      out.ike = {
        total: n.total ?? 0,
        halfOpen: n['half-open'] ?? 0,
        open: n.open ?? 0,
        authenticated: n.authenticated ?? 0,
        anonymous: n.anonymous ?? 0,
      };
    } else {
      out.ipsec = { total: n.total ?? 0, authenticated: n.authenticated ?? 0, anonymous: n.anonymous ?? 0 };
    }
  }
  return out;
}
