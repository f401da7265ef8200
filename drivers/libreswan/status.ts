/**
 * The status of one libreswan cable, from what pluto says right now
 * (--showstates, --trafficstatus) and, in own mode, its log. A cable is
 * `connected` only when every SA it needs is established: both halves of the
 * VXLAN pair, every subnet pair in tunnel mode. Otherwise the message names
 * the SA that is missing and why, in words a person can act on.
 */
import {
  ConnectionStatus,
  IkeState,
  SaState,
  type SecurityAssociation,
} from '../../src/generated/cabled/driver/v1/driver.js';
import {
  classifySa,
  saSummary,
  type IkeState as IkeWord,
  parseLogEvents,
  type LogEvent,
  type ShowStates,
  type TrafficRecord,
} from '../../src/lib/whack/index.js';

export interface PlutoView {
  states: ShowStates;
  traffic: TrafficRecord[];
  /** pluto's recent log lines (own mode), oldest first; empty in host mode. */
  logLines: readonly string[];
  /** The same lines parsed once and grouped by connection (see indexLog). */
  logEvents: ReadonlyMap<string, LogEvent[]>;
  /** The peer of each connection's latest IKE_SA_INIT request (LogFollower), when known. */
  peers?: ReadonlyMap<string, string>;
  /** --trafficstatus records grouped by connection. */
  trafficByConnection: ReadonlyMap<string, TrafficRecord[]>;
  /** `states` grouped by connection and serial (indexStates), so a cable looks up its own instead of scanning all. */
  statesIndex?: StatesIndex;
}

export interface StatesIndex {
  byConnection: ReadonlyMap<string, ShowStates['states']>;
  bySerial: ReadonlyMap<number, ShowStates['states'][number]>;
  pendingByConnection: ReadonlyMap<string, ShowStates['pending']>;
}

/** Groups --showstates by connection and serial, once per status refresh. */
export function indexStates(states: ShowStates): StatesIndex {
  const byConnection = new Map<string, ShowStates['states']>();
  const bySerial = new Map<number, ShowStates['states'][number]>();
  for (const st of states.states) {
    (byConnection.get(st.connection) ?? byConnection.set(st.connection, []).get(st.connection)!).push(st);
    if (!bySerial.has(st.serial)) bySerial.set(st.serial, st);
  }
  const pendingByConnection = new Map<string, ShowStates['pending']>();
  for (const p of states.pending)
    (pendingByConnection.get(p.connection) ?? pendingByConnection.set(p.connection, []).get(p.connection)!).push(p);
  return { byConnection, bySerial, pendingByConnection };
}

/**
 * The states the classifier looks at for connections `names`: their own, and
 * the IKE SAs their Child SAs belong to (whatever connection started them).
 */
function statesFor(index: StatesIndex, names: readonly string[]): ShowStates {
  const states: ShowStates['states'] = [];
  const pending: ShowStates['pending'] = [];
  const seen = new Set<number>();
  for (const n of names) {
    for (const st of index.byConnection.get(n) ?? []) {
      states.push(st);
      seen.add(st.serial);
    }
    pending.push(...(index.pendingByConnection.get(n) ?? []));
  }
  for (const st of [...states]) {
    if (st.kind !== 'child' || st.parent === undefined || seen.has(st.parent)) continue;
    const parent = index.bySerial.get(st.parent);
    if (parent) {
      states.push(parent);
      seen.add(parent.serial);
    }
  }
  return { states, pending };
}

/** Parses pluto's log once and groups the events by connection name. */
export function indexLog(lines: readonly string[]): Map<string, LogEvent[]> {
  const byConnection = new Map<string, LogEvent[]>();
  for (const e of parseLogEvents(lines)) {
    let list = byConnection.get(e.connection);
    if (!list) byConnection.set(e.connection, (list = []));
    list.push(e);
  }
  return byConnection;
}

export interface CableSaSpec {
  name: string;
  kind: 'esp-tunnel' | 'esp-transport';
  carries: string;
}

export interface CableStatus {
  status: ConnectionStatus;
  message: string;
  sas: SecurityAssociation[];
  rxBytes: number;
  txBytes: number;
}

const FAILED_VERDICTS = new Set([
  'kernel-refused',
  'ts-unacceptable',
  'peer-temporary-failure',
  'peer-refused-child',
  'auth-failed',
  'no-proposal',
  'no-answer',
]);

const IKE_STATE: Record<IkeWord, IkeState> = {
  established: IkeState.IKE_STATE_ESTABLISHED,
  negotiating: IkeState.IKE_STATE_NEGOTIATING,
  down: IkeState.IKE_STATE_DOWN,
};

/**
 * `peer` is the remote gateway's IKE address; every connection of one cable
 * goes to it with the same IDs, so they share one IKE SA (named after
 * whichever of them started it).
 */
export function cableStatus(
  conns: readonly CableSaSpec[],
  view: PlutoView,
  counters: (name: string, rec: TrafficRecord[]) => { rx: number; tx: number },
  peer?: string,
): CableStatus {
  const sas: SecurityAssociation[] = [];
  let rxBytes = 0;
  let txBytes = 0;
  // Every connection of the cable (they share one IKE SA) sees the same states.
  const states = view.statesIndex
    ? statesFor(
        view.statesIndex,
        conns.map((c) => c.name),
      )
    : view.states;
  for (const c of conns) {
    const records = view.trafficByConnection.get(c.name) ?? [];
    const diag = classifySa({
      connection: c.name,
      logLines: view.logLines,
      logEvents: view.logEvents.get(c.name) ?? [],
      lastPeer: view.peers?.get(c.name),
      states,
      traffic: records,
      ikeSiblings: conns.filter((x) => x.name !== c.name).map((x) => x.name),
    });
    const bytes = counters(c.name, records);
    rxBytes += bytes.rx;
    txBytes += bytes.tx;
    const state =
      diag.verdict === 'established'
        ? SaState.SA_STATE_ESTABLISHED
        : FAILED_VERDICTS.has(diag.verdict)
          ? SaState.SA_STATE_FAILED
          : SaState.SA_STATE_PENDING;
    const message = diag.verdict === 'established' ? c.carries : saSummary(diag, peer);
    sas.push({
      name: c.name,
      kind: c.kind,
      state,
      message,
      rxBytes: bytes.rx,
      txBytes: bytes.tx,
      ikeState: IKE_STATE[diag.ike],
      ikePeer: peer ?? '',
    });
  }
  const failed = sas.filter((s) => s.state === SaState.SA_STATE_FAILED);
  const pending = sas.filter((s) => s.state === SaState.SA_STATE_PENDING);
  if (failed.length === 0 && pending.length === 0) {
    return {
      status: ConnectionStatus.CONNECTION_STATUS_CONNECTED,
      message: `all ${sas.length} SAs established`,
      sas,
      rxBytes,
      txBytes,
    };
  }
  const missing = [...failed, ...pending].map((s) => `${s.name}: ${s.message}`).join('; ');
  const up = sas.length - failed.length - pending.length;
  return {
    status: failed.length ? ConnectionStatus.CONNECTION_STATUS_ERROR : ConnectionStatus.CONNECTION_STATUS_CONNECTING,
    message: `${up} of ${sas.length} SAs established; ${missing}`,
    sas,
    rxBytes,
    txBytes,
  };
}
