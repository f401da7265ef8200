/**
 * Probes one remote health-check IP with iputils `ping` as a long-running
 * child (Node has no raw ICMP sockets): `ping -n -O -i <interval> -W <wait>
 * [-I <source>] <ip>`, started through src/lib/exec with an argument array.
 * Each output line goes to a ProbeTracker. If ping exits (e.g. "Network is
 * unreachable"), the state becomes unknown and ping is started again after
 * `retryMs`, as Submariner retries a failed pinger.
 */
import { createInterface } from 'node:readline';
import { spawn, type ChildProcess } from '../lib/exec/index.js';
import { errorMessage } from '../lib/errors.js';
import { parsePingLine } from './ping-output.js';
import type { ProbeResult } from './probe-result.js';
import { ProbeTracker } from './probe-tracker.js';

export interface PingerOptions {
  ip: string;
  /** Time between probes. @default 1000 */
  intervalMs: number;
  /** Lost probes in a row that make the endpoint `error`. @default 5 */
  maxPacketLossCount: number;
  /** Source address of the probes (the local endpoint's health-check IP); "" lets routing choose. */
  sourceIp: string;
  /** Delay before ping is started again after it exited. @default 5000 */
  retryMs?: number;
  /** Called when the state (or its message) changes. */
  onChange: () => void;
}

/** One remote IP's prober. The seam the health checker uses, so tests can inject fakes. */
export interface Pinger {
  result(): ProbeResult;
  stop(): void;
}

/** ping's arguments for these options (exported for tests). */
export function pingArgs(o: Pick<PingerOptions, 'ip' | 'intervalMs' | 'sourceIp'>): string[] {
  const seconds = (ms: number): string => String(Math.round(ms) / 1000);
  return [
    '-n',
    '-O',
    '-i',
    seconds(o.intervalMs),
    '-W',
    seconds(Math.max(1000, o.intervalMs)),
    ...(o.sourceIp ? ['-I', o.sourceIp] : []),
    o.ip,
  ];
}

export class PingProcess implements Pinger {
  private readonly tracker: ProbeTracker;
  private child: ChildProcess | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private launches = 0;

  constructor(private readonly options: PingerOptions) {
    this.tracker = new ProbeTracker(options.ip, options.maxPacketLossCount);
  }

  start(): this {
    this.launch();
    return this;
  }

  result(): ProbeResult {
    return this.tracker.result();
  }

  /** How many times ping was started (more than once after it exited). */
  get starts(): number {
    return this.launches;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }

  private launch(): void {
    if (this.stopped) return;
    this.launches += 1;
    let child: ChildProcess;
    try {
      child = spawn('ping', pingArgs(this.options));
    } catch (err) {
      this.exited(`ping could not be started: ${errorMessage(err)}`);
      return;
    }
    this.child = child;
    child.stdin.end();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = parsePingLine(line);
      if (parsed && !this.stopped && this.tracker.observe(parsed)) this.options.onChange();
    });
    void child.then((r) => {
      if (this.child !== child || this.stopped) return;
      this.child = undefined;
      const failure = r.exitCode === undefined && 'shortMessage' in r ? String(r.shortMessage) : '';
      const detail =
        stderr
          .trim()
          .split('\n')
          .pop()
          ?.replace(/^ping: /, '') || failure;
      this.exited(
        `ping exited${r.exitCode !== undefined ? ` with code ${r.exitCode}` : ''}${detail ? `: ${detail}` : ''}`,
      );
    });
  }

  private exited(why: string): void {
    if (this.tracker.failed(`${why}; retrying`)) this.options.onChange();
    this.retry = setTimeout(() => this.launch(), this.options.retryMs ?? 5000);
  }
}
