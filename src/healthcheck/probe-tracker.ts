/**
 * The state of one remote endpoint's probes, fed with parsed ping lines
 * (pure, no timers or processes). Submariner's pinger rules: every answer
 * makes the endpoint connected and resets the loss count; once
 * `maxPacketLossCount` probes in a row are lost it is in error with
 * Submariner's message.
 */
import type { PingLine } from './ping-output.js';
import type { ProbeResult, ProbeState } from './probe-result.js';
import { RttStats } from './rtt-stats.js';

export class ProbeTracker {
  private state: ProbeState = 'unknown';
  private message: string;
  private lost = 0;
  private lastLossReason = '';
  private readonly rtt: RttStats;

  constructor(
    readonly ip: string,
    private readonly maxPacketLossCount: number,
    rttWindow?: number,
  ) {
    this.message = `no answer from ${ip} yet`;
    this.rtt = new RttStats(rttWindow);
  }

  /** Takes one parsed ping line; returns true when the state changed. */
  observe(line: PingLine): boolean {
    if (line.kind === 'reply') {
      this.lost = 0;
      this.rtt.add(line.rttNs);
      return this.set('connected', '');
    }
    this.lost += 1;
    this.lastLossReason = line.reason;
    // The message is written once, when the limit is reached, so a lasting outage is one change.
    if (this.lost !== this.maxPacketLossCount) return false;
    return this.set(
      'error',
      `Failed to successfully ping the remote endpoint IP "${this.ip}": ${this.lost} probes in a row unanswered (last: ${this.lastLossReason})`,
    );
  }

  /** Ping could not run (or stopped); the endpoint's reachability is unknown until it runs again. */
  failed(why: string): boolean {
    this.lost = 0;
    return this.set('unknown', `cannot probe ${this.ip}: ${why}`);
  }

  result(): ProbeResult {
    return { ip: this.ip, state: this.state, message: this.message, rtt: this.rtt.snapshot(), lostInARow: this.lost };
  }

  private set(state: ProbeState, message: string): boolean {
    const changed = state !== this.state || message !== this.message;
    this.state = state;
    this.message = message;
    return changed;
  }
}
