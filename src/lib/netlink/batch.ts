/**
 * Many FDB and route writes in one go (the overlay's burst of N remotes):
 * each write is encoded as its single-request twin in fdb.ts / routes.ts
 * would send it, then NetlinkSession.writeBatch packs them into few
 * `sendmsg` calls. Outcomes come back per write, with the same errors and
 * the same "already absent is fine" rules as the single requests.
 */
import { isErrno, describeErrno, NetlinkError } from './errors.js';
import { encodeFdb } from './fdb.js';
import { ZERO_MAC } from './ip.js';
import { describeRouteWrite, encodeRoute } from './routes.js';
import type { EncodedWrite, NetlinkSession, WriteOutcome } from './session.js';
import type { NetlinkWrite } from './types.js';

function encode(w: NetlinkWrite): EncodedWrite {
  switch (w.op) {
    case 'appendFdb':
      return encodeFdb(w.linkIndex, w.dst, w.mac ?? ZERO_MAC, true);
    case 'deleteFdb':
      return encodeFdb(w.linkIndex, w.dst, w.mac ?? ZERO_MAC, false);
    case 'replaceRoute':
      return encodeRoute(w.route, true);
    case 'deleteRoute':
      return encodeRoute(w.route, false);
  }
}

async function describe(s: NetlinkSession, w: NetlinkWrite): Promise<string> {
  switch (w.op) {
    case 'appendFdb':
      return `add FDB entry ${w.mac ?? ZERO_MAC} dst ${w.dst} on ${await s.linkLabel(w.linkIndex)}`;
    case 'deleteFdb':
      return `delete FDB entry ${w.mac ?? ZERO_MAC} dst ${w.dst} on ${await s.linkLabel(w.linkIndex)}`;
    case 'replaceRoute':
      return `replace route ${await describeRouteWrite(s, w.route)}`;
    case 'deleteRoute':
      return `delete route ${await describeRouteWrite(s, w.route)}`;
  }
}

/** Errnos that mean "already done" for a write, as the single requests absorb them. */
function absorbed(w: NetlinkWrite, err: NetlinkError): boolean {
  if (w.op === 'deleteFdb') return isErrno(err, 'ENOENT');
  if (w.op === 'deleteRoute') return isErrno(err, 'ESRCH', 'ENOENT');
  return false;
}

async function toError(s: NetlinkSession, w: NetlinkWrite, o: NonNullable<WriteOutcome>): Promise<NetlinkError> {
  let what: string;
  try {
    what = await describe(s, w);
  } catch {
    what = 'netlink request';
  }
  if ('errno' in o) return new NetlinkError(what, { errno: o.errno, reason: describeErrno(o.errno) });
  if ('timedOut' in o)
    return new NetlinkError(what, { timedOut: true, reason: `no answer from the kernel within ${s.timeoutMs} ms` });
  return new NetlinkError(what, { reason: o.sendError });
}

/** Sends `writes` in order; one outcome per write: undefined when done, else the Error (invalid input or the kernel's answer). */
export async function writeBatch(s: NetlinkSession, writes: readonly NetlinkWrite[]): Promise<(Error | undefined)[]> {
  const out: (Error | undefined)[] = new Array(writes.length).fill(undefined);
  const encoded: EncodedWrite[] = [];
  const index: number[] = [];
  writes.forEach((w, i) => {
    try {
      encoded.push(encode(w));
      index.push(i);
    } catch (err) {
      out[i] = err instanceof Error ? err : new Error(String(err));
    }
  });
  const outcomes = await s.writeBatch(encoded);
  for (let k = 0; k < outcomes.length; k++) {
    const o = outcomes[k];
    if (o === undefined) continue;
    const i = index[k]!;
    const w = writes[i]!;
    const err = await toError(s, w, o);
    if (!absorbed(w, err)) out[i] = err;
  }
  return out;
}
