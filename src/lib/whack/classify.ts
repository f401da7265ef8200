/**
 * "Why is this SA not up?" (pure). Reads pluto log lines (own mode: the
 * driver's pluto log file; also whack transcripts) and optionally
 * --showstates / --trafficstatus, and returns a reason a person can act on.
 * The log strings are those of libreswan 4.10, 5.2 and 5.4 captured on this
 * machine (test/fixtures/whack/) plus older variants from upstream.
 * Besides the Child SA verdict it says what IKE did: established (and with
 * whom, see saSummary), negotiating, or not established.
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
  | 'peer-refused-child'
  | 'auth-failed'
  | 'no-proposal'
  | 'no-answer'
  | 'negotiating'
  | 'ike-only'
  | 'unknown';

/** What IKE did for a connection: its IKE SA (possibly shared with sibling connections) is up or not. */
export type IkeState = 'established' | 'negotiating' | 'down';

/** A diagnosis for one connection. */
export interface SaDiagnosis {
  connection: string;
  verdict: SaVerdict;
  /** The IKE SA this connection's Child SA needs (its own or a sibling's). */
  ike: IkeState;
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
  /**
   * Connections that share this one's IKE SA (same peer and IDs: the other
   * halves of a cable). pluto names an IKE SA after the connection that
   * started it, so "tun" may ride on the IKE SA "vx-in" #1.
   */
  ikeSiblings?: readonly string[];
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
  'child-payloads-missing',
  'ts-unacceptable',
  'ts-no-match',
  'temporary-failure',
  'no-proposal-child',
];

/** Classifies one connection. */
export function classifySa(input: ClassifyInput): SaDiagnosis {
  const d = classifyChild(input);
  return { ...d, ike: ikeState(input, d) };
}

type ChildDiagnosis = Omit<SaDiagnosis, 'ike'>;

const IKE_DOWN_VERDICTS: ReadonlySet<SaVerdict> = new Set(['auth-failed', 'no-answer']);
const IKE_UP_VERDICTS: ReadonlySet<SaVerdict> = new Set([
  'established',
  'ike-only',
  'ts-unacceptable',
  'peer-temporary-failure',
  'peer-refused-child',
  'kernel-refused',
]);

/** The IKE SA's state: --showstates when given (what is true now), else the log and the Child verdict. */
function ikeState(input: ClassifyInput, d: ChildDiagnosis): IkeState {
  const names = new Set([input.connection, ...(input.ikeSiblings ?? [])]);
  const states = input.states;
  if (states) {
    const own = states.states.filter((s) => names.has(s.connection));
    const parents = new Set(own.filter((s) => s.kind === 'child' && s.parent !== undefined).map((s) => s.parent));
    const ike = states.states.filter((s) => s.kind === 'ike' && (names.has(s.connection) || parents.has(s.serial)));
    if (ike.some((s) => s.established) || d.verdict === 'established') return 'established';
    if (ike.length || own.length || states.pending.some((p) => names.has(p.connection))) return 'negotiating';
    return 'down';
  }
  if (IKE_DOWN_VERDICTS.has(d.verdict)) return 'down';
  if (IKE_UP_VERDICTS.has(d.verdict)) return 'established';
  return d.verdict === 'negotiating' ? 'negotiating' : 'down';
}

const PEER_REFUSED_HINT = "see the peer's status";

/**
 * One line a network engineer acts on: what IKE did with the peer, then
 * what became of the Child SA and why, e.g. "IKE established with
 * 172.30.0.2; the peer refused the Child SA (TEMPORARY_FAILURE): its kernel
 * could not install it -- see the peer's status".
 */
export function saSummary(d: SaDiagnosis, peer?: string): string {
  const withPeer = peer ? ` with ${peer}` : '';
  const hint = d.hint ? ` (${d.hint})` : '';
  switch (d.ike) {
    case 'established':
      if (d.verdict === 'established') return `IKE established${withPeer}; ${d.reason}`;
      return `IKE established${withPeer}; ${d.reason}${hint}`;
    case 'negotiating':
      return `IKE negotiating${withPeer}${d.verdict === 'negotiating' ? '' : `; ${d.reason}${hint}`}`;
    default:
      return `IKE not established${withPeer}: ${d.reason}${hint}`;
  }
}

function classifyChild(input: ClassifyInput): ChildDiagnosis {
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
      reason: 'no Child SA yet',
      hint: "wait, or initiate the connection; if it persists see the peer's status",
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

function kernelRefusal(connection: string, e: LogEvent): ChildDiagnosis {
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

function childFailure(connection: string, e: LogEvent): ChildDiagnosis {
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
        reason: 'the peer refused the Child SA (TEMPORARY_FAILURE): its kernel could not install it',
        hint: `${PEER_REFUSED_HINT}; libreswan 5 answers this when its kernel refuses the SA`,
      };
    case 'child-payloads-missing':
      return {
        ...d,
        verdict: 'peer-refused-child',
        reason: 'the peer refused the Child SA (its IKE_AUTH answer carried none): its kernel could not install it',
        hint: `${PEER_REFUSED_HINT}; libreswan 5.2 answers so when its kernel refuses the SA, and the driver clears the stuck Child SA and retries`,
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
        reason:
          'the peer refused the Child SA (TS_UNACCEPTABLE): its kernel could not install it, or our selectors do not mirror its own',
        hint: `${PEER_REFUSED_HINT}; libreswan 4.x answers TS_UNACCEPTABLE when its kernel cannot install the SA ("netlink response for Add SA" in its log), otherwise the subnets or protocol/ports differ`,
      };
  }
}

function ikeFailure(
  connection: string,
  e: LogEvent,
  events: readonly LogEvent[],
  input: ClassifyInput,
): ChildDiagnosis {
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
