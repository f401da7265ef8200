/**
 * Test scaffolding: a steady ping (20/s by default) in a namespace, running in
 * the background, and the longest gap in its replies. The gap is measured
 * from the sequence numbers that got no reply: the longest run of lost
 * packets times the interval.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface PingFigures {
  sent: number;
  received: number;
  lost: number;
  /** Longest run of consecutive lost packets times the interval, in seconds. */
  gapSeconds: number;
}

export class SteadyPing {
  private child: ChildProcess | undefined;
  private out = '';
  private readonly intervalSeconds: number;

  constructor(
    readonly ns: string,
    readonly src: string,
    readonly dst: string,
    perSecond = 20,
  ) {
    this.intervalSeconds = 1 / perSecond;
  }

  start(): void {
    this.child = spawn(
      'ip',
      ['netns', 'exec', this.ns, 'ping', '-n', '-i', String(this.intervalSeconds), '-W', '1', '-I', this.src, this.dst],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    this.child.stderr?.on('data', () => undefined);
  }

  /** Seconds since start up to the last reply seen (for "the ping runs" checks). */
  replies(): number {
    return seqs(this.out).size;
  }

  /** Stops the ping (SIGINT, as ^C) and returns its figures. */
  async stop(): Promise<PingFigures> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    return figures(this.out, this.intervalSeconds);
  }
}

function seqs(out: string): Set<number> {
  return new Set([...out.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1])));
}

/** The figures of a ping's output (exported for unit tests). */
export function figures(out: string, intervalSeconds: number): PingFigures {
  const got = seqs(out);
  const sentMatch = /(\d+) packets transmitted/.exec(out);
  const maxSeq = got.size ? Math.max(...got) : 0;
  const sent = sentMatch ? Number(sentMatch[1]) : maxSeq;
  let run = 0;
  let longest = 0;
  for (let seq = 1; seq <= sent; seq++) {
    if (got.has(seq)) run = 0;
    else longest = Math.max(longest, ++run);
  }
  return {
    sent,
    received: got.size,
    lost: Math.max(0, sent - got.size),
    gapSeconds: Number((longest * intervalSeconds).toFixed(2)),
  };
}
