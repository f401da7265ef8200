/**
 * Recognizes the pluto log lines that matter for "is the SA up, and if not
 * why" (pure). Accepts log-file lines (with or without the
 * "Nov 22 21:58:06.267685: " timestamp, or a syslog "pluto[123]: " prefix)
 * and whack transcript lines (4.x RC prefix). Strings verified on 4.10:
 *   ERROR: "t1" #5: netlink response for Add SA esp.d5e00c7d@10.99.0.1: Function not implemented (errno 38)
 *   "t1" #8: IKE_AUTH response rejected Child SA with TS_UNACCEPTABLE
 *   "t1" #1: IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED
 *   "t1" #1: authentication failed: computed hash does not match hash received from peer ID_FQDN '@left'
 *   "dead" #10: STATE_V2_PARENT_I1: 3 second timeout exceeded after 4 retransmits.  No response ...
 * and on real 5.2 / 5.4 (test/fixtures/whack/5.2, 5.4):
 *   ERROR: "vx-in" #2: netlink response for XFRM_MSG_UPDSA esp.bb317c76@10.231.7.2: Function not implemented (errno 38)   (5.4)
 *   "tun" #2: IKE_AUTH response missing v2SA, v2TSi or v2TSr: not attempting to setup CHILD SA                          (5.2)
 *   "vx-in" #2: IKE_AUTH response rejected Child SA with TEMPORARY_FAILURE                                              (5.4)
 *   "dead" #18: sent IKE_SA_INIT request to 10.231.7.9:UDP/500                                                          (5.x)
 *   "dead" #20: retransmitting IKE_SA_INIT request; will wait 0.1 seconds for response                                  (5.4)
 */

/** Kinds of events. */
export type LogEventKind =
  | 'ike-established'
  | 'child-established'
  | 'kernel-refused'
  | 'ts-unacceptable'
  | 'ts-no-match'
  | 'ts-sent'
  | 'temporary-failure'
  | 'child-payloads-missing'
  | 'auth-failed'
  | 'no-proposal-ike'
  | 'no-proposal-child'
  | 'retransmit'
  | 'no-answer'
  | 'network-error';

/** One recognized line. */
export interface LogEvent {
  kind: LogEventKind;
  connection: string;
  serial?: number;
  /** The line as given. */
  line: string;
  errno?: number;
  /** strerror text or other detail. */
  detail?: string;
  /** Peer address, when the line names it. */
  peer?: string;
  /**
   * How many times the event was logged in a row, when a follower of the
   * log keeps a run of it as one event (its first line and latest serial).
   */
  repeats?: number;
}

const PREFIXES = /^(?:\d{3} )?(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?:? )?(?:\S+ pluto\[\d+\]: )?/;
const SUBJECT = /^(?:ERROR: )?"([^"]*)"(?:\[\d+\])?(?: [^#"]*?)?(?: #(\d+))?: (?:ERROR: )?(.*)$/;

interface Rule {
  re: RegExp;
  kind: LogEventKind;
  fill?: (m: RegExpExecArray, e: LogEvent) => void;
}

const RULES: Rule[] = [
  // 4.10+: "...: Function not implemented (errno 38)"; up to 4.6: "... included errno 38: Function not implemented";
  // 5.4 names the netlink message instead: "netlink response for XFRM_MSG_UPDSA esp....: ... (errno 38)".
  {
    re: /netlink response for (?:Add SA|XFRM_MSG_UPDSA|XFRM_MSG_NEWSA) (\S+): (.*) \(errno (\d+)\)/,
    kind: 'kernel-refused',
    fill: (m, e) => {
      e.detail = m[2];
      e.errno = Number(m[3]);
    },
  },
  {
    re: /netlink response for Add SA (\S+) included errno (\d+): (.*)/,
    kind: 'kernel-refused',
    fill: (m, e) => {
      e.errno = Number(m[2]);
      e.detail = m[3];
    },
  },
  {
    re: /(?:Add SA|XFRM_MSG_NEWSA)\b.*?(?:errno[ =](\d+)|\(errno (\d+)\))/,
    kind: 'kernel-refused',
    fill: (m, e) => {
      e.errno = Number(m[1] ?? m[2]);
    },
  },
  { re: /established Child SA|IPsec SA established/, kind: 'child-established' },
  { re: /established IKE SA|ISAKMP SA established/, kind: 'ike-established' },
  { re: /No IKEv2 connection found with compatible Traffic Selectors/, kind: 'ts-no-match' },
  { re: /responding to .* with (?:\w+ )?notification TS_UNACCEPTABLE/, kind: 'ts-sent' },
  { re: /TS_UNACCEPTABLE/, kind: 'ts-unacceptable' },
  { re: /TEMPORARY_FAILURE/, kind: 'temporary-failure' },
  // 5.2: the responder's IKE_AUTH answer carries no Child SA (its kernel refused it) and no notify.
  { re: /IKE_AUTH response missing v2SA, v2TSi or v2TSr/, kind: 'child-payloads-missing' },
  { re: /AUTHENTICATION_FAILED|authentication failed|authentication request rejected/i, kind: 'auth-failed' },
  {
    re: /(?:IKE_AUTH|CREATE_CHILD_SA).*NO_PROPOSAL_CHOSEN|no local ESP\/AH proposal|no local proposal matches remote proposals \d+:(?:ESP|AH)/i,
    kind: 'no-proposal-child',
  },
  { re: /NO_PROPOSAL_CHOSEN|no acceptable proposal|no local proposal matches/i, kind: 'no-proposal-ike' },
  { re: /timeout exceeded after \d+ retransmits|No response \(or no acceptable response\)/, kind: 'no-answer' },
  { re: /: retransmission; will wait|^retransmitting \S+ request; will wait/, kind: 'retransmit' },
  {
    re: /asynchronous network error report .*?: (.+?) \[errno (\d+)/,
    kind: 'network-error',
    fill: (m, e) => {
      e.detail = m[1];
      e.errno = Number(m[2]);
    },
  },
];

/**
 * A word every rule's match contains (a necessary condition, case-insensitive
 * to be safe): a line with none of them is none of the events, and costs one
 * scan instead of the prefix, the subject and 16 rules. With dead peers most
 * of pluto's log is such lines (attempts started, states deleted) or
 * retransmissions (RETRANSMIT_ONLY below). Keep in step with RULES.
 */
const ANY_RULE =
  /netlink response|Add SA|XFRM_MSG_NEWSA|established|Traffic Selectors|TS_UNACCEPTABLE|TEMPORARY_FAILURE|IKE_AUTH response missing|authentication|NO_PROPOSAL_CHOSEN|no acceptable proposal|no local|timeout exceeded|No response|retransmi|asynchronous network error/i;
/** The same words but the retransmit rule's: a retransmission line with none of them is only that. */
const ANY_RULE_BUT_RETRANSMIT =
  /netlink response|Add SA|XFRM_MSG_NEWSA|established|Traffic Selectors|TS_UNACCEPTABLE|TEMPORARY_FAILURE|IKE_AUTH response missing|authentication|NO_PROPOSAL_CHOSEN|no acceptable proposal|no local|timeout exceeded|No response|asynchronous network error/i;
const RETRANSMIT_RULE = RULES.find((r) => r.kind === 'retransmit')!;

/** Recognizes one line; undefined when it says nothing useful or names no connection. */
export function parseLogEvent(line: string): LogEvent | undefined {
  if (!ANY_RULE.test(line)) return undefined;
  return parseWith(line, ANY_RULE_BUT_RETRANSMIT.test(line) ? RULES : [RETRANSMIT_RULE]);
}

/** parseLogEvent without the prefilters (what they must agree with; for tests). */
export function parseLogEventUnfiltered(line: string): LogEvent | undefined {
  return parseWith(line, RULES);
}

function parseWith(line: string, rules: readonly Rule[]): LogEvent | undefined {
  const body = line.replace(PREFIXES, '');
  const subject = SUBJECT.exec(body);
  if (!subject) return undefined;
  const text = subject[3] ?? '';
  for (const rule of rules) {
    const m = rule.re.exec(text);
    if (!m) continue;
    const e: LogEvent = { kind: rule.kind, connection: subject[1] ?? '', line };
    if (subject[2] !== undefined) e.serial = Number(subject[2]);
    rule.fill?.(m, e);
    return e;
  }
  return undefined;
}

/** All recognized events, in order. */
export function parseLogEvents(lines: readonly string[]): LogEvent[] {
  const out: LogEvent[] = [];
  for (const l of lines) {
    const e = parseLogEvent(l);
    if (e) out.push(e);
  }
  return out;
}

/**
 * The connection and peer address of a "sent IKE_SA_INIT request to <ip>:<port>" line, else undefined
 * (4.x "10.99.0.2:500", 5.x "10.231.7.9:UDP/500" or ":TCP/4500").
 */
export function sentInitRequest(line: string): { connection: string; peer: string } | undefined {
  if (!line.includes('sent IKE_SA_INIT request to')) return undefined;
  const body = line.replace(PREFIXES, '');
  const m =
    /^"([^"]*)"(?:\[\d+\])?[^#]*#\d+: sent IKE_SA_INIT request to ([0-9a-fA-F.:]+?):(?:(?:UDP|TCP)\/)?\d+$/.exec(body);
  return m ? { connection: m[1] ?? '', peer: m[2] ?? '' } : undefined;
}

/** The peer address of the latest "sent IKE_SA_INIT request to <ip>:<port>" of a connection. */
export function lastPeerOf(lines: readonly string[], connection: string): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = sentInitRequest(lines[i] ?? '');
    if (m && m.connection === connection) return m.peer;
  }
  return undefined;
}
