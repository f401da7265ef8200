/**
 * Wire captures for the guest: `tcpdump -Q out -s 128` on a veth end (egress
 * only, so each packet on the wire is counted once across both ends, and
 * decrypted tunnel-mode packets re-injected on receive are not), and packet
 * counts per class read back from the pcap (one `tcpdump -n -r` per pcap, classified here).
 */
import type { ChildProcess } from 'node:child_process';
import type { WireCounts } from '../harness/types.js';
import { sh, sleep, startInNs, stopChild, until } from './sh.js';

/**
 * Classes, matched on the first line tcpdump prints for a packet (`tcpdump -n -r`; VXLAN adds an
 * indented line for the inner packet, which is not counted). One tcpdump run per pcap: under TCG
 * every process start costs about a second, so one filter run per class is too slow.
 */
export const CLASSES: Record<keyof WireCounts, RegExp> = {
  clearVxlan: / IP [\d.]+\.(4789 > [\d.]+\.\d+|\d+ > [\d.]+\.4789): /,
  esp: / IP [\d.]+ > [\d.]+: ESP\(/,
  espInUdp: / IP [\d.]+\.\d+ > [\d.]+\.\d+: UDP-encap: ESP\(/,
  ike: /: (NONESP-encap: )?isakmp/,
  clearUdp5555: / IP [\d.]+\.\d+ > [\d.]+\.5555: /,
  clearIcmpSubnets: / IP (10\.1\.[\d.]+ > 10\.2\.[\d.]+|10\.2\.[\d.]+ > 10\.1\.[\d.]+): ICMP/,
  icmp: / IP [\d.]+ > [\d.]+: ICMP/,
  total: /./,
};

/** A running capture. */
export interface Capture {
  file: string;
  child: ChildProcess;
}

/** Starts capturing egress on `dev` in `ns` into `file`; resolves once tcpdump listens. */
export async function startCapture(ns: string, dev: string, file: string): Promise<Capture> {
  const { child, output } = startInNs(ns, 'tcpdump', ['-Q', 'out', '-s', '128', '-n', '-U', '-i', dev, '-w', file]);
  await until(
    `tcpdump listening on ${dev} in ${ns}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`tcpdump exited: ${output()}`);
      return output().includes('listening on');
    },
    30000,
    100,
  );
  return { file, child };
}

/** Stops captures (after a moment for the last packets to reach the buffer). */
export async function stopCaptures(captures: Capture[]): Promise<void> {
  await sleep(500);
  await Promise.all(captures.map((c) => stopChild(c.child)));
}

/** Counts the packets of each class in a pcap. */
export async function countPcap(file: string): Promise<WireCounts> {
  const o = await sh('tcpdump', ['-n', '-r', file], 120000);
  if (o.code !== 0) throw new Error(`tcpdump -r ${file}: exit ${o.code}: ${o.stderr}`);
  return classify(o.stdout);
}

/** Counts the packets of each class in `tcpdump -n -r` output (lines that start with a timestamp). */
export function classify(text: string): WireCounts {
  const packets = text.split('\n').filter((l) => /^\d/.test(l));
  const counts = {} as WireCounts;
  for (const [cls, re] of Object.entries(CLASSES) as [keyof WireCounts, RegExp][])
    counts[cls] = packets.filter((l) => re.test(l)).length;
  return counts;
}

/** Adds counts class by class. */
export function sumCounts(all: WireCounts[]): WireCounts {
  const sum = {} as WireCounts;
  for (const k of Object.keys(CLASSES) as (keyof WireCounts)[]) sum[k] = all.reduce((n, c) => n + c[k], 0);
  return sum;
}
