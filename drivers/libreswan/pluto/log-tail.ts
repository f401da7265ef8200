/**
 * Reads the end of pluto's log file (own mode) as lines, for the SA
 * classifier and for error messages when pluto fails to start.
 */
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { type LogEvent, parseLogEvent, sentInitRequest } from '../../../src/lib/whack/index.js';

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
  private readBuf: Buffer | undefined;
  private readonly decoder = new StringDecoder('utf8');
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
        this.decoder.end();
        this.offset = Math.max(0, size - (this.options.initialBytes ?? 256 * 1024));
        if (this.offset > 0) this.partial = SKIP_FIRST;
      }
      // A burst bigger than maxReadBytes: skip to its end (older lines matter less than newer ones).
      const max = this.options.maxReadBytes ?? 4 * 1024 * 1024;
      if (size - this.offset > max) {
        this.offset = size - max;
        this.partial = SKIP_FIRST;
        this.decoder.end();
      }
      // Read in chunks through one buffer kept for the follower's life: a buffer per refresh (about 70 KB
      // every 2 s with 1000 dead peers) was allocated, zeroed and collected at that rate.
      while (this.offset < size) {
        const buf = (this.readBuf ??= Buffer.allocUnsafeSlow(READ_CHUNK));
        const { bytesRead } = await fh.read(buf, 0, Math.min(READ_CHUNK, size - this.offset), this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.take(this.decoder.write(buf.subarray(0, bytesRead)));
      }
      return this.byConnection;
    } finally {
      await fh.close();
    }
  }

  /** How many log lines this follower has parsed in all. */
  get linesParsed(): number {
    return this.parsed;
  }

  /** Indexes the complete lines of `text` (what was read next); keeps the incomplete last one for the next read. */
  private take(text: string): void {
    if (this.partial === SKIP_FIRST) {
      // The read began inside a line: drop up to its end (which may be in a later read).
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      text = text.slice(nl + 1);
      this.partial = '';
    }
    // The line the last read ended in is completed here, not by prepending it to the whole text (which
    // would copy each 64 KiB read once more to split it).
    const lines = text.split('\n');
    if (this.partial) lines[0] = this.partial + lines[0];
    // Kept as a copy: a slice would keep this whole read alive until the next one.
    this.partial = detach(lines.pop() ?? '');
    this.index(lines);
  }

  /**
   * Each line is a slice of a whole read's text: whatever is kept of it (a
   * connection's name, event, peer) must be a copy, or it keeps the read
   * alive. Most lines are a dead peer's routine (a retransmission, a
   * timeout): they are parsed in place and, when the connection's latest
   * run of routine events already holds one like it, only counted
   * (repeats), so they keep nothing and allocate nothing that lives.
   */
  private index(lines: readonly string[]): void {
    this.parsed += lines.length;
    for (const line of lines) {
      // Each begins with a one-scan prefilter: most lines cost that scan and no more.
      const e = parseLogEvent(line);
      const peer = sentInitRequest(line);
      const name = e?.connection ?? peer?.connection;
      if (!name) continue;
      let c = this.byConnection.get(name);
      if (!c) this.byConnection.set(detach(name), (c = { events: [] }));
      if (e) this.record(c, e, line);
      if (peer && peer.peer !== c.lastPeer) c.lastPeer = detach(peer.peer);
    }
  }

  /**
   * Adds event `e` (parsed from `line`, sharing its memory) to a
   * connection's events. A dead peer repeats the same few routine events
   * for ever (retransmit, no-answer, network-error): the run of routine
   * events after the last other one keeps one event of each kind (and
   * detail), the first of the run with its count, in the order of their
   * latest occurrence. What the classifier reads of a run (which routine
   * events, the last network error's detail, their order against every
   * other event) is the same, and the kept events are not churned at the
   * rate pluto retransmits.
   */
  private record(c: FollowedConnection, e: LogEvent, line: string): void {
    if (e.kind === 'ike-established' || e.kind === 'child-established') this.established = true;
    const events = c.events;
    if (ROUTINE.has(e.kind)) {
      for (let i = events.length - 1; i >= 0 && ROUTINE.has(events[i]!.kind); i--) {
        const kept = events[i]!;
        if (kept.kind !== e.kind || kept.detail !== e.detail || kept.errno !== e.errno) continue;
        kept.repeats = (kept.repeats ?? 1) + 1;
        if (e.serial !== undefined) kept.serial = e.serial;
        if (i !== events.length - 1) events.push(...events.splice(i, 1));
        return;
      }
    } else this.news = true;
    const own = parseLogEvent(detach(line));
    if (!own) return;
    events.push(own);
    const keep = this.options.perConnection ?? 24;
    if (events.length > keep * 2) events.splice(0, events.length - keep);
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
/** How much one read takes at most (the follower's buffer). */
const READ_CHUNK = 64 * 1024;
/** A copy of `line` that does not share the memory of the text it was split from. */
function detach(line: string): string {
  return Buffer.from(line, 'utf8').toString('utf8');
}

/** What a peer that does not answer logs over and over: no news for the status (takeNews). */
const ROUTINE: ReadonlySet<string> = new Set(['retransmit', 'no-answer', 'network-error']);
