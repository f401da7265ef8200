/**
 * P1: N remote endpoints (2N VXLAN-over-transport connections) into a real
 * pluto, cabled (engine + libreswan driver) against Submariner's own sequence
 * per connection (whack add, whack --route, whack --initiate --asynchronous:
 * a bash loop of 3 x 2N whack calls, the same arguments the driver's
 * builders produce). Each measurement gets a fresh engine and its own fresh
 * pluto (the loop runs against an engine's pluto with no endpoints); rounds
 * alternate which side goes first. Both clocks stop when pluto's log shows an
 * IKE_SA_INIT request sent for every connection; the engine's periodic
 * resync is set to an hour, so none falls inside the window. The remote
 * gateways' addresses answer from a peer namespace where no IKE daemon
 * listens: negotiations start, none completes.
 */
import { open, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineProcess } from '../lab/engine-process.js';
import { writeKubeletVolume } from '../lab/fs-helpers.js';
import { connectVeth, createNetns, deleteNetns, run, waitFor } from '../lab/netns.js';
import { planConnections } from '../drivers/libreswan/connection-plan.js';
import { readSettings } from '../drivers/libreswan/settings.js';
import { addConnectionArgs, flagsFor, parseVersion, WHACK_PATH } from '../src/lib/whack/index.js';
import { sentInitRequest } from '../src/lib/whack/log-events.js';
import { LOCAL_IP, localEndpoint, PSK, remote } from './libreswan-remotes.js';
import { type BenchOptions, median, type Row, spread } from './common.js';
import { nowUs, profileEnv, summariseProfiles } from './profile-summary.js';

/**
 * Follows pluto's log from where it ends now; counts the remote gateways an
 * IKE_SA_INIT request was sent to (the pair's second connection waits for the
 * first one's IKE SA, so there is one per remote).
 */
class InitCounter {
  private offset = 0;
  private rest = '';
  readonly seen = new Set<string>();
  constructor(private readonly path: string) {}
  async start(): Promise<void> {
    const fh = await open(this.path, 'r').catch(() => undefined);
    this.offset = fh ? (await fh.stat()).size : 0;
    await fh?.close();
  }
  async poll(): Promise<number> {
    const fh = await open(this.path, 'r').catch(() => undefined);
    if (!fh) return this.seen.size;
    try {
      const { size } = await fh.stat();
      if (size > this.offset) {
        const buf = Buffer.alloc(size - this.offset);
        await fh.read(buf, 0, buf.length, this.offset);
        this.offset = size;
        const lines = (this.rest + buf.toString('utf8')).split('\n');
        this.rest = lines.pop() ?? '';
        for (const l of lines) {
          const m = sentInitRequest(l);
          if (m) this.seen.add(m.peer);
        }
      }
    } finally {
      await fh.close();
    }
    return this.seen.size;
  }
}

export async function runP1(opts: BenchOptions): Promise<Row[]> {
  const count = opts.smoke ? 5 : 1000;
  const NS = `cbb-${opts.tag}-ls`;
  const PEER = `cbb-${opts.tag}-lp`;
  const work = await mkdtemp(join(tmpdir(), `cbb-${opts.tag}-p1-`));
  const remotes = Array.from({ length: count }, (_, i) => remote(i));
  const local = localEndpoint();
  const configDir = join(work, 'config');
  writeKubeletVolume(configDir, {
    ceCustomConfig: `ceIPSecMode: transport\nceIPSecOverlay: vxlan\nceIPSecPSK: "${PSK}"\n`,
  });
  const settings = readSettings({ ceIPSecMode: 'transport', ceIPSecOverlay: 'vxlan' }, { ceIPSecPSK: PSK });
  const planned = remotes.flatMap((r) =>
    planConnections(local, { endpoint: r, useIp: r.privateIp, useNat: false }, settings),
  );
  const expected = count;
  let serial = 0;

  const withEngine = async <T>(
    fn: (engine: EngineProcess, endpointsPath: string, plutoLog: string) => Promise<T>,
    env = opts.engineEnv,
  ) => {
    const dir = join(work, `m${serial++}`);
    const endpointsPath = join(dir, 'endpoints.json');
    const engine = new EngineProcess({
      ns: NS,
      clusterId: local.clusterId,
      privateIp: LOCAL_IP,
      subnets: local.subnets,
      endpointsPath,
      runDir: join(dir, 'run'),
      extraArgs: [
        ...['--driver', 'libreswan', '--config', configDir],
        ...['--status-interval', '2', '--resync-interval', '3600', '--endpoints-settle', '0'],
      ],
      main: opts.engineMain,
      env,
    });
    await run('mkdir', ['-p', dir]);
    await writeFile(endpointsPath, '[]');
    engine.start();
    try {
      await waitFor('engine SERVING', () => engine.serving(), 120000, 100);
      engine.closeClients();
      return await fn(engine, endpointsPath, join(dir, 'run', 'drivers', 'pluto', 'pluto.log'));
    } finally {
      await engine.stop('SIGTERM');
      await engine.stopPluto();
      if (opts.keep) opts.say(`  kept: ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    }
  };

  const untilAllSent = async (counter: InitCounter, what: string) =>
    waitFor(
      `${what}: IKE_SA_INIT sent to ${expected} remote gateways`,
      async () => (await counter.poll()) >= expected,
      900000,
      20,
    );

  const loopRound = () =>
    withEngine(async (engine, _ep, plutoLog) => {
      const socket = join(engine.spec.runDir, 'drivers', 'pluto', 'run', 'pluto.ctl');
      const version = parseVersion((await run(WHACK_PATH, ['--ctlsocket', socket, '--version'])).stdout)!;
      const q = (args: readonly string[]) => args.map((a) => `'${a}'`).join(' ');
      const lines: string[] = [];
      for (const p of planned) {
        const spec = { ...p.spec, name: `loop-${p.spec.name}` };
        const w = `${WHACK_PATH} --ctlsocket '${socket}'`;
        lines.push(`${w} ${q(addConnectionArgs(flagsFor(version), spec).args)} >/dev/null`);
        lines.push(`${w} --route --name '${spec.name}' >/dev/null`);
        if (p.initiate) lines.push(`${w} --initiate --asynchronous --name '${spec.name}' >/dev/null`);
      }
      const script = join(engine.spec.runDir, '..', 'loop.sh');
      await writeFile(script, `set -e\n${lines.join('\n')}\n`);
      const counter = new InitCounter(plutoLog);
      await counter.start();
      const t = performance.now();
      const loop = run('ip', ['netns', 'exec', NS, 'bash', script], 900000);
      await untilAllSent(counter, 'the whack loop');
      const ms = performance.now() - t;
      await loop;
      return { ms, calls: lines.length };
    });

  const engineRound = (profDir?: string) =>
    withEngine(
      async (engine, endpointsPath, plutoLog) => {
        const list = [local, ...remotes].map((e) => ({
          cluster_id: e.clusterId,
          private_ip: e.privateIp,
          subnets: e.subnets,
          backend: 'libreswan',
        }));
        await writeFile(`${endpointsPath}.new`, JSON.stringify(list));
        const counter = new InitCounter(plutoLog);
        await counter.start();
        const t = performance.now();
        await rename(`${endpointsPath}.new`, endpointsPath);
        const from = nowUs();
        await untilAllSent(counter, 'the engine');
        const ms = performance.now() - t;
        window = [from, nowUs()];
        const log = await engine.log();
        const resyncs = (log.match(/periodic resync/g) ?? []).length;
        if (resyncs) opts.say(`  note: ${resyncs} periodic resync(s) in the engine's log`);
        return { ms };
      },
      profDir ? profileEnv(profDir) : opts.engineEnv,
    );
  let window: [number, number] = [0, 0];

  const loopMs: number[] = [];
  const engineMs: number[] = [];
  const speedups: number[] = [];
  let calls = 0;
  try {
    await createNetns(NS);
    await createNetns(PEER);
    await connectVeth(
      { ns: NS, name: 'eth-ls', cidr: `${LOCAL_IP}/16` },
      { ns: PEER, name: 'eth-lp', cidr: '10.201.254.1/16' },
    );
    // Every remote gateway address answers ARP (and ICMP port unreachable) from the peer namespace.
    const addrs = join(work, 'addrs.batch');
    await writeFile(addrs, `${remotes.map((r) => `addr add ${r.privateIp}/32 dev eth-lp`).join('\n')}\n`);
    await run('ip', ['-n', PEER, '-batch', addrs]);
    for (let round = 0; round < opts.runs; round++) {
      let l: { ms: number; calls: number };
      let e: { ms: number };
      const profDir = opts.profile && round === 0 ? join(opts.profile, `p1-${Date.now()}`) : undefined;
      if (round % 2 === 0) {
        l = await loopRound();
        e = await engineRound(profDir);
      } else {
        e = await engineRound(profDir);
        l = await loopRound();
      }
      if (profDir) {
        opts.say(`  CPU profile, P1 cabled window (${((window[1] - window[0]) / 1000).toFixed(0)} ms):`);
        for (const line of summariseProfiles(profDir, window[0], window[1])) opts.say(`  ${line}`);
      }
      calls = l.calls;
      loopMs.push(l.ms);
      engineMs.push(e.ms);
      speedups.push(l.ms / e.ms);
      opts.say(
        `  P1 round ${round + 1}/${opts.runs}, ${count} endpoints (IKE_SA_INIT to each): whack loop ${(l.ms / 1000).toFixed(2)} s, cabled ${(e.ms / 1000).toFixed(2)} s (${(l.ms / e.ms).toFixed(1)}x)`,
      );
    }
  } finally {
    await deleteNetns(NS);
    await deleteNetns(PEER);
    if (!opts.keep) await rm(work, { recursive: true, force: true });
  }
  return [
    {
      id: 'P1',
      what: `${count} endpoints (${planned.length} transport connections) into real pluto, until every IKE_SA_INIT is sent: whack loop (${calls} calls) / cabled`,
      target: '>= 10x',
      measured: `${spread(speedups, 1, 'x')}; loop ${spread(
        loopMs.map((m) => m / 1000),
        2,
        ' s',
      )}, cabled ${spread(
        engineMs.map((m) => m / 1000),
        2,
        ' s',
      )}`,
      met: median(speedups) >= 10,
      command: `npm run bench -- --only P1 --runs ${opts.runs}`,
    },
  ];
}
