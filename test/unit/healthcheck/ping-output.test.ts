/**
 * The ping output parser on lines captured from iputils 20221126
 * (`ping -n -O -i 1 -W 1`), answered, dropped and unreachable.
 */
import assert from 'node:assert/strict';
import { parsePingLine } from '../../../src/healthcheck/ping-output.js';

describe('parsePingLine', () => {
  it('should read the sequence and the RTT of a reply, in nanoseconds', () => {
    assert.deepEqual(parsePingLine('64 bytes from 10.2.0.1: icmp_seq=1 ttl=64 time=0.052 ms'), {
      kind: 'reply',
      seq: 1,
      rttNs: 52_000,
    });
    assert.deepEqual(parsePingLine('64 bytes from 10.2.0.1: icmp_seq=12 ttl=63 time=12.5 ms\n'), {
      kind: 'reply',
      seq: 12,
      rttNs: 12_500_000,
    });
  });

  it('should count "no answer yet" (printed with -O) as a lost probe', () => {
    assert.deepEqual(parsePingLine('no answer yet for icmp_seq=3'), { kind: 'lost', seq: 3, reason: 'no answer' });
  });

  it('should count an ICMP error as a lost probe, with its reason', () => {
    assert.deepEqual(parsePingLine('From 10.1.0.1 icmp_seq=4 Destination Host Unreachable'), {
      kind: 'lost',
      seq: 4,
      reason: 'Destination Host Unreachable',
    });
  });

  it('should ignore the banner, the statistics and blank lines', () => {
    for (const line of [
      'PING 10.2.0.1 (10.2.0.1) 56(84) bytes of data.',
      '--- 10.2.0.1 ping statistics ---',
      '3 packets transmitted, 3 received, 0% packet loss, time 2003ms',
      'rtt min/avg/max/mdev = 0.038/0.059/0.102/0.030 ms',
      '',
    ])
      assert.equal(parsePingLine(line), undefined, line);
  });
});
