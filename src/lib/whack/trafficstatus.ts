/**
 * Parser of `whack --trafficstatus` (pure): one record per established
 * Child SA. Same fields in 4.x and 5.x, after the RC prefix is stripped:
 *   #2: "conn"[1] 192.1.2.45, type=ESP, add_time=1234567890, inBytes=84, outBytes=84, maxBytes=2^63B, id='@east'
 * 4.x prints inBytes with %u: it WRAPS at 2^32 (see counter.ts); outBytes and
 * all 5.x counters are 64-bit. IKE SAs are not listed. No Child SA = no lines.
 */
import { parseWhackOutput } from './output.js';

/** One established Child SA. */
export interface TrafficRecord {
  /** Child SA serial (#n). Higher = newer. */
  serial: number;
  /** Connection name (without the instance suffix). */
  connection: string;
  /** Instance number of a template instance ("conn"[2]). */
  instance?: number;
  /** Peer address printed after an instance name. */
  instancePeer?: string;
  /** ESP, AH, IPCOMP, UNKNOWN. */
  type: string;
  /** 5.x: "packet" / "crypto" from "type=ESP(nic-offload=packet)". */
  nicOffload?: string;
  /** Kernel SA add time, epoch seconds. */
  addTime?: number;
  /** Absent when the kernel query failed. 4.x: 32-bit, wraps. */
  inBytes?: bigint;
  outBytes?: bigint;
  /** "2^63" (without the B). */
  maxBytes?: string;
  /** Peer IKE identity. */
  peerId?: string;
  username?: string;
  lease?: string;
}

const HEAD = /^#(\d+): "([^"]*)"(?:\[(\d+)\])?(?: ([^,]+))?, (.*)$/;

/** Parses the output (4.x with RC prefixes, or 5.x). Lines that are not records are skipped. */
export function parseTrafficStatus(stdout: string): TrafficRecord[] {
  const out: TrafficRecord[] = [];
  for (const { text } of parseWhackOutput(stdout)) {
    const m = HEAD.exec(text.trim());
    if (!m) continue;
    const rest = m[5] ?? '';
    const type = /(?:^|, )type=([A-Za-z0-9_]+)(?:\(nic-offload=([^)]*)\))?/.exec(rest);
    if (!type) continue;
    const rec: TrafficRecord = { serial: Number(m[1]), connection: m[2] ?? '', type: type[1] ?? 'UNKNOWN' };
    if (m[3] !== undefined) rec.instance = Number(m[3]);
    if (m[4] !== undefined) rec.instancePeer = m[4].trim();
    if (type[2] !== undefined) rec.nicOffload = type[2];
    const num = (key: string): string | undefined => new RegExp(`(?:^|, )${key}=(\\d+)(?:,|$)`).exec(rest)?.[1];
    const addTime = num('add_time');
    if (addTime !== undefined) rec.addTime = Number(addTime);
    const inBytes = num('inBytes');
    if (inBytes !== undefined) rec.inBytes = BigInt(inBytes);
    const outBytes = num('outBytes');
    if (outBytes !== undefined) rec.outBytes = BigInt(outBytes);
    const max = /(?:^|, )maxBytes=([^,]+?)B(?:,|$)/.exec(rest);
    if (max) rec.maxBytes = max[1];
    const user = /(?:^|, )username=([^,]*)/.exec(rest);
    if (user) rec.username = user[1];
    const id = /(?:^|, )id='(.*?)'(?:, lease=|$)/.exec(rest);
    if (id) rec.peerId = id[1];
    const lease = /(?:^|, )lease=(\S+)$/.exec(rest);
    if (lease) rec.lease = lease[1];
    out.push(rec);
  }
  return out;
}

/** The key a record is grouped by: the name, with "[n]" for a template instance. */
export function connectionKey(rec: Pick<TrafficRecord, 'connection' | 'instance'>): string {
  return rec.instance === undefined ? rec.connection : `${rec.connection}[${rec.instance}]`;
}

/**
 * The newest Child SA (highest serial) per connection key. During a rekey
 * overlap, or with duplicate Child SAs from both sides initiating, a
 * connection has several records; only the newest carries new traffic.
 */
export function newestByConnection(records: readonly TrafficRecord[]): Map<string, TrafficRecord> {
  const out = new Map<string, TrafficRecord>();
  for (const r of records) {
    const key = connectionKey(r);
    const seen = out.get(key);
    if (!seen || r.serial > seen.serial) out.set(key, r);
  }
  return out;
}
