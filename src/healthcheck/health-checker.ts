/**
 * The connection health checker (Submariner's healthchecker + pinger): one
 * prober per remote endpoint that has a health-check IP, started and stopped
 * as the engine's desired endpoints come and go, restarted when an
 * endpoint's IP changes. The engine reads results through ConnectionHealth.
 */
import type { Endpoint } from '../generated/cabled/driver/v1/driver.js';
import type { Logger } from '../lib/logger.js';
import { PingProcess, type Pinger, type PingerOptions } from './pinger.js';
import type { ConnectionHealth, ProbeResult, ProbeTarget } from './probe-result.js';

export interface HealthCheckerOptions {
  /** Time between probes. @default 1000 (SUBMARINER_HEALTHCHECKINTERVAL: 1 s) */
  intervalMs: number;
  /** Lost probes in a row that make a connection `error`. @default 5 (SUBMARINER_HEALTHCHECKMAXPACKETLOSSCOUNT) */
  maxPacketLossCount: number;
  /** Source of the probes: the local endpoint's health-check IP, "" = routing chooses. */
  sourceIp: string;
  logger: Logger;
  /**
   * How often new RTT samples are passed on (a state change is passed on at
   * once). Latency is a figure, not an event: one update per cable every few
   * seconds keeps metrics and status current without a change event per
   * probe. @default 5000 (Submariner refreshes its Gateway status every 5 s)
   */
  latencyRefreshMs?: number;
  /** Starts a prober; tests inject fakes. @default a `ping` child process */
  createPinger?: (options: PingerOptions) => Pinger;
}

/** The endpoints worth probing: those with a health-check IP. */
export function probeTargets(endpoints: Iterable<Endpoint>): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const e of endpoints) if (e.healthCheckIp) out.push({ cableName: e.cableName, ip: e.healthCheckIp });
  return out;
}

export class HealthChecker implements ConnectionHealth {
  /** One prober per cable, with the IP it probes. */
  private readonly pingers = new Map<string, { ip: string; pinger: Pinger }>();
  private readonly listeners = new Set<() => void>();
  private readonly log: Logger;
  /** The RTT statistics last passed on, per cable (compared by identity: RttStats makes a new object per sample). */
  private readonly passedOn = new Map<string, ProbeResult['rtt']>();
  private latencyTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: HealthCheckerOptions) {
    this.log = options.logger.child({ component: 'healthcheck' });
  }

  setTargets(targets: readonly ProbeTarget[]): void {
    const wanted = new Map(targets.map((t) => [t.cableName, t.ip]));
    let changed = false;
    for (const [cable, { ip, pinger }] of this.pingers) {
      if (wanted.get(cable) === ip) continue;
      pinger.stop();
      this.pingers.delete(cable);
      this.log.info('stopped probing', { cable, ip });
      changed = true;
    }
    for (const [cable, ip] of wanted) {
      if (this.pingers.has(cable)) continue;
      this.pingers.set(cable, { ip, pinger: this.start(cable, ip) });
      this.log.info('probing', {
        cable,
        ip,
        intervalMs: this.options.intervalMs,
        maxPacketLossCount: this.options.maxPacketLossCount,
      });
      changed = true;
    }
    if (changed) this.notify();
    this.armLatencyRefresh();
  }

  result(cableName: string): ProbeResult | undefined {
    return this.pingers.get(cableName)?.pinger.result();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  stop(): void {
    for (const { pinger } of this.pingers.values()) pinger.stop();
    this.pingers.clear();
    this.armLatencyRefresh();
  }

  /** A timer while anything is probed: passes on new RTT samples that no state change carried. */
  private armLatencyRefresh(): void {
    if (this.pingers.size === 0) {
      clearInterval(this.latencyTimer);
      this.latencyTimer = undefined;
      this.passedOn.clear();
      return;
    }
    if (this.latencyTimer) return;
    this.latencyTimer = setInterval(() => {
      if (this.latencySampled()) this.notify();
    }, this.options.latencyRefreshMs ?? 5000);
    this.latencyTimer.unref?.();
  }

  /** Whether any cable has RTT samples not passed on yet (and remembers them as passed on). */
  private latencySampled(): boolean {
    let sampled = false;
    for (const [cable, { pinger }] of this.pingers) {
      const rtt = pinger.result().rtt;
      if (rtt === this.passedOn.get(cable)) continue;
      this.passedOn.set(cable, rtt);
      sampled = true;
    }
    for (const cable of this.passedOn.keys()) if (!this.pingers.has(cable)) this.passedOn.delete(cable);
    return sampled;
  }

  private start(cable: string, ip: string): Pinger {
    const options: PingerOptions = {
      ip,
      intervalMs: this.options.intervalMs,
      maxPacketLossCount: this.options.maxPacketLossCount,
      sourceIp: this.options.sourceIp,
      onChange: () => {
        const r = this.pingers.get(cable)?.pinger.result();
        if (r) this.log.info('health check changed', { cable, ip, state: r.state, message: r.message });
        this.notify();
      },
    };
    return this.options.createPinger ? this.options.createPinger(options) : new PingProcess(options).start();
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
