/**
 * Reads the end of pluto's log file (own mode) as lines, for the SA
 * classifier and for error messages when pluto fails to start.
 */
import { open } from 'node:fs/promises';
import { type LogEvent, mayBeLogEvent, parseLogEvent, sentInitRequest } from '../../../src/lib/whack/index.js';

/** The last `maxBytes` of `file` as complete lines (oldest first); [] when the file is missing. */
export async function readLogTail(file: string, maxBytes = 256 * 1024): Promise<string[]> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n');
    if (start > 0) lines.shift();
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines;
  } finally {
    await fh.close();
  }
}

/** What the follower knows of one connection: its latest events, and its peer. */
export interface FollowedConnection {
  events: LogEvent[];
  lastPeer?: string;
}

/**
 * Follows pluto's log for the status refresh (issue 12, item 4): each
 * refresh reads only the bytes written since the last one (the first reads
 * the last `initialBytes`), parses each new line once, and keeps per
 * connection its latest `perConnection` events and its last IKE peer. A
 * refresh therefore costs time linear in the new lines, not in the log tail
 * times the failing connections. A log that shrank (rotated, truncated) is
 * read afresh.
 */
export class LogFollower {
  private offset = -1;
  private partial = '';
  private readonly byConnection = new Map<string, FollowedConnection>();
  /** When each indexed connection was first seen not wanted (retain). */
  private readonly unwantedSince = new Map<string, number>();
  /** Whether an SA was logged established since the last takeEstablished(). */
  private established = false;
  /** Whether anything but a dead peer's routine (retransmissions, timeouts) was logged since takeNews(). */
  private news = false;
  /** Lines parsed since the follower was made (each line once: the cost is linear in what is new). */
  private parsed = 0;

  constructor(
    readonly file: string,
    private readonly options: {
      initialBytes?: number;
      maxReadBytes?: number;
      perConnection?: number;
      /** How long retain() keeps a connection no longer wanted. @default 60000 */
      graceMs?: number;
    } = {},
  ) {}

  /** Reads what is new; returns the index (the same Map object every time). */
  async refresh(): Promise<ReadonlyMap<string, FollowedConnection>> {
    let fh;
    try {
      fh = await open(this.file, 'r');
    } catch {
      return this.byConnection;
    }
    try {
      const { size } = await fh.stat();
      if (this.offset < 0 || size < this.offset) {
        // First read, or the log was truncated/rotated: start from its tail.
        this.byConnection.clear();
        this.unwantedSince.clear();
        this.partial = '';
        this.offset = Math.max(0, size - (this.options.initialBytes ?? 256 * 1024));
        if (this.offset > 0) this.partial = SKIP_FIRST;
      }
      // A burst bigger than maxReadBytes: skip to its end (older lines matter less than newer ones).
      const max = this.options.maxReadBytes ?? 4 * 1024 * 1024;
      if (size - this.offset > max) {
        this.offset = size - max;
        this.partial = SKIP_FIRST;
      }
      if (size === this.offset) return this.byConnection;
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      const text = buf.toString('utf8', 0, bytesRead);
      const lines = (this.partial === SKIP_FIRST ? text : this.partial + text).split('\n');
      if (this.partial === SKIP_FIRST) lines.shift();
      this.partial = lines.pop() ?? '';
      this.index(lines);
      return this.byConnection;
    } finally {
      await fh.close();
    }
  }

  /** How many log lines this follower has parsed in all. */
  get linesParsed(): number {
    return this.parsed;
  }

  private index(lines: readonly string[]): void {
    this.parsed += lines.length;
    const keep = this.options.perConnection ?? 24;
    for (const raw of lines) {
      if (!mayBeLogEvent(raw)) continue;
      // Each line is a slice of this read's whole text: what an event or a peer keeps of it (as long as the
      // connection's events are kept) must be a copy, or it keeps the whole read alive.
      const line = detach(raw);
      const e = parseLogEvent(line);
      const peer = sentInitRequest(line);
      const name = e?.connection ?? peer?.connection;
      if (!name) continue;
      let c = this.byConnection.get(name);
      if (!c) this.byConnection.set(name, (c = { events: [] }));
      if (e) {
        if (e.kind === 'ike-established' || e.kind === 'child-established') this.established = true;
        const routine = ROUTINE.has(e.kind);
        if (!routine) this.news = true;
        const last = c.events.length - 1;
        // A dead peer repeats the same routine event for ever: the latest of a run stands for the run, so
        // the kept events are not churned (and promoted, then collected) at the rate pluto retransmits.
        if (routine && c.events[last]?.kind === e.kind) c.events[last] = e;
        else c.events.push(e);
        if (c.events.length > keep * 2) c.events.splice(0, c.events.length - keep);
      }
      if (peer) c.lastPeer = peer.peer;
    }
  }

  /**
   * Whether pluto logged an IKE or Child SA established in the lines read
   * since the last call (a reason to read pluto's status now rather than at
   * the next scheduled poll).
   */
  takeEstablished(): boolean {
    const seen = this.established;
    this.established = false;
    return seen;
  }

  /**
   * Whether pluto logged anything since the last call that may change a
   * cable's status (an SA established, a refusal, an authentication or
   * proposal failure, a kernel error), as opposed to what a peer that does
   * not answer keeps logging (retransmissions, timeouts): a reason to read
   * pluto's status now rather than at the next scheduled poll.
   */
  takeNews(): boolean {
    const seen = this.news;
    this.news = false;
    return seen;
  }

  /**
   * Forgets connections not wanted for `graceMs` (bounded memory). Not at
   * once: pluto logs a connection's first events while the driver is still
   * installing it (before the connection counts as wanted), and the follower
   * reads each line only once, so an event dropped then would be lost for
   * good (seen on 5.2 under load: the payload-less IKE_AUTH answer of a stuck
   * Child SA, read and dropped during the install, left it unexplained and
   * never recovered).
   */
  retain(names: ReadonlySet<string>, now = Date.now()): void {
    for (const name of this.byConnection.keys()) {
      if (names.has(name)) {
        this.unwantedSince.delete(name);
        continue;
      }
      const since = this.unwantedSince.get(name);
      if (since === undefined) this.unwantedSince.set(name, now);
      else if (now - since > (this.options.graceMs ?? 60_000)) {
        this.byConnection.delete(name);
        this.unwantedSince.delete(name);
      }
    }
  }
}

const SKIP_FIRST = '\u0000skip-first-partial-line';
/** What a peer that does not answer logs over and over: no news for the status (takeNews). */
/** A copy of `line` that does not share the memory of the text it was split from. */
function detach(line: string): string {
  return Buffer.from(line, 'utf8').toString('utf8');
}

const ROUTINE: ReadonlySet<string> = new Set(['retransmit', 'no-answer', 'network-error']);
