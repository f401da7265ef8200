/**
 * "Why is this SA not up?" (pure). Reads pluto log lines (own mode: the
 * driver's pluto log file; also whack transcripts) and optionally
 * --showstates / --trafficstatus, and returns a reason a person can act on.
 * The log strings are those of libreswan 4.10 captured on this project's CI
 * (test/fixtures/whack/*.log) plus older/newer variants from upstream.
 */
import { lastPeerOf, type LogEvent, parseLogEvents } from './log-events.js';
import type { LogEventKind } from './log-events.js';
import type { ShowStates } from './showstates.js';
import type { TrafficRecord } from './trafficstatus.js';

/** The verdict kinds. */
export type SaVerdict =
  | 'established'
  | 'kernel-refused'
  | 'ts-unacceptable'
  | 'peer-temporary-failure'
  | 'auth-failed'
  | 'no-proposal'
  | 'no-answer'
  | 'negotiating'
  | 'ike-only'
  | 'unknown';

/** A diagnosis for one connection. */
export interface SaDiagnosis {
  connection: string;
  verdict: SaVerdict;
  /** One line for status output, e.g. "Child SA refused by the kernel: no ESP support (errno 38)". */
  reason: string;
  /** What to do about it. */
  hint?: string;
  /** The log line the verdict rests on. */
  evidence?: string;
  errno?: number;
}

/** What the classifier looks at; every part is optional. */
export interface ClassifyInput {
  connection: string;
  /** pluto log lines (timestamps allowed) or whack output, oldest first. */
  logLines?: readonly string[];
  /**
   * The same lines already parsed (parseLogEvents), e.g. once for many
   * connections: classifying N connections then costs one parse, not N.
   * Events of other connections are ignored.
   */
  logEvents?: readonly LogEvent[];
  /**
   * The peer of this connection's latest IKE_SA_INIT request, when the caller
   * indexed the log once (LogFollower); else it is looked up in logLines.
   */
  lastPeer?: string;
  states?: ShowStates;
  traffic?: readonly TrafficRecord[];
}

const KERNEL_ERRNO: Record<number, { reason: string; hint: string }> = {
  38: {
    reason: 'no ESP support',
    hint: 'the kernel lacks ESP or the negotiated algorithm (CONFIG_INET_ESP, CONFIG_CRYPTO_GCM...): load esp4/esp6 and the crypto modules, or run on a kernel that has them',
  },
  93: {
    reason: 'no ESP support',
    hint: 'the esp4/esp6 module is missing (CONFIG_INET_ESP); modprobe esp4 esp6, or use a kernel/container host that provides ESP',
  },
  2: {
    reason: 'crypto module missing',
    hint: 'the kernel could not set up the cipher; often the default RNG (modprobe drbg jitterentropy_rng sha512_generic) or the cipher module itself is not loaded',
  },
  22: {
    reason: 'invalid SA parameters',
    hint: 'often nic-offload on a NIC without ESP offload: set ceIPSecNicOffload=no',
  },
  17: {
    reason: 'SA already exists',
    hint: 'a duplicate SPI, usually from both sides initiating at once; it normally clears on retry',
  },
  12: {
    reason: 'out of memory',
    hint: 'the kernel ran out of memory for SAs; reduce the number of SAs or raise limits',
  },
};

const IKE_KINDS: readonly LogEventKind[] = [
  'ike-established',
  'auth-failed',
  'no-proposal-ike',
  'no-answer',
  'retransmit',
  'network-error',
];
const CHILD_KINDS: readonly LogEventKind[] = [
  'kernel-refused',
  'ts-unacceptable',
  'ts-no-match',
  'temporary-failure',
  'no-proposal-child',
];

/** Classifies one connection. */
export function classifySa(input: ClassifyInput): SaDiagnosis {
  const { connection } = input;
  const base = { connection };
  if (
    input.traffic?.some((t) => t.connection === connection) ||
    input.states?.states.some((s) => s.connection === connection && s.kind === 'child' && s.established)
  ) {
    return { ...base, verdict: 'established', reason: 'Child SA established' };
  }
  const events = (input.logEvents ?? parseLogEvents(input.logLines ?? [])).filter((e) => e.connection === connection);
  const lastUp = lastIndex(events, (e) => e.kind === 'child-established');
  const since = events.slice(lastUp + 1);
  if (lastUp >= 0 && !input.states && since.every((e) => e.kind === 'ike-established' || e.kind === 'retransmit')) {
    return {
      ...base,
      verdict: 'established',
      reason: 'Child SA established (per log)',
      evidence: events[lastUp]?.line,
    };
  }
  const ikeIdx = lastIndex(since, (e) => IKE_KINDS.includes(e.kind));
  // "responding ... with notification TS_UNACCEPTABLE" follows the line that says why; use it only alone.
  const explained = lastIndex(since, (e) => CHILD_KINDS.includes(e.kind));
  const childIdx = explained >= 0 ? explained : lastIndex(since, (e) => e.kind === 'ts-sent');
  const ike = since[ikeIdx];
  const kernel = [...since].reverse().find((e) => e.kind === 'kernel-refused');
  // A kernel that cannot install the SA explains the negotiation noise that follows it (crossing
  // initiations, revivals, NO_PROPOSAL_CHOSEN on a half-torn IKE SA); only a later authentication
  // failure or a silent peer is news a person must see instead.
  const ikeNews =
    ike &&
    ike.kind !== 'ike-established' &&
    ikeIdx > childIdx &&
    (!kernel || ike.kind === 'auth-failed' || ike.kind === 'no-answer');
  if (ikeNews) return ikeFailure(connection, ike, since, input);
  if (kernel) return kernelRefusal(connection, kernel);
  const child = since[childIdx];
  if (child) return childFailure(connection, child);
  if (ike && ike.kind !== 'ike-established') return ikeFailure(connection, ike, since, input);
  const ikeUp =
    input.states?.states.some((s) => s.connection === connection && s.kind === 'ike' && s.established) ||
    ike?.kind === 'ike-established';
  if (ikeUp) {
    return {
      ...base,
      verdict: 'ike-only',
      reason: 'IKE SA established, no Child SA yet',
      hint: "wait, or initiate the connection; if it persists read the peer's log",
      ...(ike ? { evidence: ike.line } : {}),
    };
  }
  if (
    input.states?.pending.some((p) => p.connection === connection) ||
    input.states?.states.some((s) => s.connection === connection)
  ) {
    return { ...base, verdict: 'negotiating', reason: 'IKE negotiation in progress' };
  }
  return {
    ...base,
    verdict: 'unknown',
    reason: 'no SA and nothing in the log explains why',
    hint: 'is the connection added, routed and initiated on at least one side?',
  };
}

function kernelRefusal(connection: string, e: LogEvent): SaDiagnosis {
  const errno = e.errno ?? 0;
  const known = KERNEL_ERRNO[errno];
  return {
    connection,
    verdict: 'kernel-refused',
    errno,
    evidence: e.line,
    reason: `Child SA refused by the kernel: ${known?.reason ?? e.detail ?? 'error'} (errno ${errno})`,
    hint: known?.hint ?? `the kernel refused to add the ESP SA: ${e.detail ?? ''}`.trim(),
  };
}

function childFailure(connection: string, e: LogEvent): SaDiagnosis {
  const d = { connection, evidence: e.line };
  switch (e.kind) {
    case 'ts-sent':
      return {
        ...d,
        verdict: 'ts-unacceptable',
        reason: "refused the peer's Child SA (sent TS_UNACCEPTABLE)",
        hint: 'the lines before this one in the pluto log say why (selectors, or a kernel install failure)',
      };
    case 'ts-no-match':
      return {
        ...d,
        verdict: 'ts-unacceptable',
        reason: "rejected the peer's traffic selectors (no local connection matches)",
        hint: "the peer's subnets or protocol/ports are not the mirror image of ours",
      };
    case 'temporary-failure':
      return {
        ...d,
        verdict: 'peer-temporary-failure',
        reason: 'peer could not create the Child SA (TEMPORARY_FAILURE)',
        hint: 'libreswan 5 answers this when its kernel refuses the SA: read the peer\'s log for "Add SA"',
      };
    case 'no-proposal-child':
      return {
        ...d,
        verdict: 'no-proposal',
        reason: 'no common ESP proposal (NO_PROPOSAL_CHOSEN)',
        hint: 'ceIPSecEsp / PFS differ between the gateways, or between connections sharing one IKE SA (libreswan 4.10 refuses a non-PFS Child SA on the IKE SA of a PFS connection)',
      };
    default:
      return {
        ...d,
        verdict: 'ts-unacceptable',
        reason: 'peer rejected traffic selectors (TS_UNACCEPTABLE)',
        hint: 'libreswan 4.x also answers TS_UNACCEPTABLE when its kernel cannot install the SA: read the peer\'s log for "netlink response for Add SA"; otherwise the subnets or protocol/ports do not mirror each other',
      };
  }
}

function ikeFailure(connection: string, e: LogEvent, events: readonly LogEvent[], input: ClassifyInput): SaDiagnosis {
  const d = { connection, evidence: e.line };
  if (e.kind === 'auth-failed') {
    return {
      ...d,
      verdict: 'auth-failed',
      reason: 'authentication failed (PSK mismatch?)',
      hint: 'both gateways must hold the same PSK for this pair of IDs (ceIPSecPSK), and the IDs must match the secrets file',
    };
  }
  if (e.kind === 'no-proposal-ike') {
    return {
      ...d,
      verdict: 'no-proposal',
      reason: 'peer found no matching connection or IKE proposal (NO_PROPOSAL_CHOSEN)',
      hint: 'the peer has not added this connection (yet: pluto retries), or ceIPSecIke differs between the gateways',
    };
  }
  const peer = input.lastPeer ?? lastPeerOf(input.logLines ?? [], connection);
  const net = [...events].reverse().find((x) => x.kind === 'network-error');
  const why = net?.detail ? ` (${net.detail})` : '';
  const hint = /refused/i.test(net?.detail ?? '')
    ? 'the peer host answers but nothing listens on its IKE port: is pluto running there, on that port?'
    : 'check that the peer is up, reachable on UDP 500/4500 (or ceIPSecIKEPort) and has this connection loaded';
  return { ...d, verdict: 'no-answer', reason: `no answer from peer${peer ? ` ${peer}` : ''}${why}`, hint };
}

function lastIndex<T>(items: readonly T[], pred: (t: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i]!)) return i;
  return -1;
}
