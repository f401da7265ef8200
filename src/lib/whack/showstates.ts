/**
 * Parser of `whack --showstates` (the tail of --status), pure. Line kinds:
 *   #1: "tun1":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); REKEY in 28259s; ...; newest; idle;
 *   #2: "x":4500 STATE_V2_ESTABLISHED_CHILD_SA (established Child SA); ...; newest; eroute owner; IKE SA #1; idle;
 *   #2: "x":500 established Child SA; ...                      (5.4+: no STATE_ name)
 *   #2: "x" esp.5e237f4c@172.31.255.2 esp.16b3670a@172.31.255.1 tun.0@... Traffic: ESPin=84B ESPout=84B ESPmax=2^63B
 *   #1: pending CHILD SA for "dead"
 * A Child SA is a state line with "IKE SA #n" (or "ISAKMP SA #n"), or a
 * *_CHILD_* state name; the rest are IKE SAs.
 */
import { parseWhackOutput } from './output.js';

/** A pending timer on a state ("REKEY in 28259s"). */
export interface StateEvent {
  name: string;
  inSeconds: number;
}

/** One IKE or Child SA. */
export interface SaState {
  serial: number;
  connection: string;
  instance?: number;
  /** Text between the name and ":port" on instances (e.g. "...192.1.2.23"). */
  peer?: string;
  remotePort: number;
  tcp: boolean;
  kind: 'ike' | 'child';
  /** STATE_V2_... (absent from 5.4 on). */
  stateName?: string;
  /** "established IKE SA", "sent IKE_SA_INIT request", ... */
  story: string;
  established: boolean;
  /** Child SAs: the serial of the IKE SA. */
  parent?: number;
  newest: boolean;
  erouteOwner: boolean;
  events: StateEvent[];
  /** Other segments (lastdpd=..., idle, crypto_calculating, ...). */
  flags: string[];
  /** From the SAID line of an established Child SA. */
  saids?: string[];
  /** From "Traffic:" on the SAID line, e.g. { ESPin: "84B", ESPout: "84B", ESPmax: "2^63B" } (rounded; use trafficstatus for bytes). */
  traffic?: Record<string, string>;
}

/** An IKE SA waiting to create a Child SA for a connection. */
export interface PendingChild {
  /** The IKE SA's serial. */
  serial: number;
  connection: string;
}

/** Everything --showstates said. */
export interface ShowStates {
  states: SaState[];
  pending: PendingChild[];
}

const STATE_LINE = /^#(\d+): "([^"]*)"(?:\[(\d+)\])?(?: (\S+))?:(\d+)(\(tcp\))? (.+)$/;
const SAID_LINE = /^#(\d+): "([^"]*)"(?:\[(\d+)\])?(?: \S+)*? ((?:esp|ah|comp|tun)[.:][0-9a-fA-F]+@\S+.*)$/;
const PENDING_LINE = /^#(\d+): pending CHILD SA for "([^"]*)"/i;
const NAMED_STATE = /^([A-Z][A-Z0-9]*_[A-Z0-9_]+) \((.*)\)$/;

/** Parses --showstates (or --status) output; unrelated lines are skipped. */
export function parseShowStates(stdout: string): ShowStates {
  const states: SaState[] = [];
  const pending: PendingChild[] = [];
  for (const { text: raw } of parseWhackOutput(stdout)) {
    const text = raw.trim();
    const p = PENDING_LINE.exec(text);
    if (p) {
      pending.push({ serial: Number(p[1]), connection: p[2] ?? '' });
      continue;
    }
    const s = STATE_LINE.exec(text);
    if (s && !/^(?:esp|ah|comp|tun)[.:]/.test(s[4] ?? '')) {
      states.push(stateFrom(s));
      continue;
    }
    const d = SAID_LINE.exec(text);
    if (d) attachSaids(states, Number(d[1]), d[4] ?? '');
  }
  return { states, pending };
}

function stateFrom(m: RegExpExecArray): SaState {
  const segments = (m[7] ?? '')
    .split(';')
    .map((x) => x.trim())
    .filter(Boolean);
  const first = segments.shift() ?? '';
  const named = NAMED_STATE.exec(first);
  const st: SaState = {
    serial: Number(m[1]),
    connection: m[2] ?? '',
    remotePort: Number(m[5]),
    tcp: m[6] !== undefined,
    kind: 'ike',
    story: named ? (named[2] ?? '') : first,
    established: false,
    newest: false,
    erouteOwner: false,
    events: [],
    flags: [],
  };
  if (named) st.stateName = named[1];
  if (m[3] !== undefined) st.instance = Number(m[3]);
  if (m[4] !== undefined) st.peer = m[4];
  for (const seg of segments) {
    const ev = /^(\w+) in (-?\d+)s$/.exec(seg);
    const parent = /^(?:IKE|ISAKMP) SA #(\d+)$/.exec(seg);
    if (ev) st.events.push({ name: ev[1] ?? '', inSeconds: Number(ev[2]) });
    else if (parent) st.parent = Number(parent[1]);
    else if (seg === 'newest') st.newest = true;
    else if (seg === 'eroute owner') st.erouteOwner = true;
    else st.flags.push(seg);
  }
  const childName = /CHILD|QUICK|IPSEC/.test(st.stateName ?? '');
  st.kind = st.parent !== undefined || childName || /Child SA|IPsec SA/i.test(st.story) ? 'child' : 'ike';
  st.established = /^established\b|\bSA established\b/i.test(st.story);
  return st;
}

function attachSaids(states: SaState[], serial: number, rest: string): void {
  const st = [...states].reverse().find((s) => s.serial === serial);
  if (!st) return;
  const [saidPart = '', trafficPart] = rest.split(/\s+Traffic:\s*/);
  st.saids = saidPart.split(/\s+/).filter((x) => /^(?:esp|ah|comp|tun)[.:]/.test(x));
  if (trafficPart !== undefined) {
    st.traffic = {};
    for (const kv of trafficPart.trim().split(/\s+/)) {
      const [k, v] = kv.split('=');
      if (k && v !== undefined) st.traffic[k] = v;
    }
  }
}

/** States of one connection (by name; instances included). */
export function statesOf(show: ShowStates, connection: string): SaState[] {
  return show.states.filter((s) => s.connection === connection);
}

/** True when the connection has an established IKE SA. */
export function hasEstablishedIke(show: ShowStates, connection: string): boolean {
  return show.states.some((s) => s.connection === connection && s.kind === 'ike' && s.established);
}

/** True when the connection has an established Child SA. */
export function hasEstablishedChild(show: ShowStates, connection: string): boolean {
  return show.states.some((s) => s.connection === connection && s.kind === 'child' && s.established);
}
