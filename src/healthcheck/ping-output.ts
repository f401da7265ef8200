/**
 * Parses iputils `ping -n -O` output, one line at a time (pure). A reply
 * carries its RTT; "no answer yet for icmp_seq=N" (printed because of -O) and
 * an ICMP error ("From X icmp_seq=N Destination Host Unreachable") each mark
 * one lost probe. Anything else (the PING banner, statistics) is ignored.
 */

export type PingLine = { kind: 'reply'; seq: number; rttNs: number } | { kind: 'lost'; seq: number; reason: string };

const REPLY = /^\d+ bytes from [^:]+: icmp_seq=(\d+) .*time=([\d.]+) ms/;
const NO_ANSWER = /^no answer yet for icmp_seq=(\d+)/;
const ICMP_ERROR = /^From \S+ icmp_seq=(\d+) (.+)$/;

/** The meaning of one line of ping's output, or undefined for lines that carry none. */
export function parsePingLine(line: string): PingLine | undefined {
  const text = line.trim();
  const reply = REPLY.exec(text);
  if (reply) return { kind: 'reply', seq: Number(reply[1]), rttNs: Math.round(Number(reply[2]) * 1e6) };
  const none = NO_ANSWER.exec(text);
  if (none) return { kind: 'lost', seq: Number(none[1]), reason: 'no answer' };
  const icmp = ICMP_ERROR.exec(text);
  if (icmp) return { kind: 'lost', seq: Number(icmp[1]), reason: icmp[2]!.trim() };
  return undefined;
}
