/**
 * Benchmark (issue 12, item 4): what N remote endpoints whose gateways never
 * answer cost while idle. One engine with the libreswan driver (transport
 * mode, or with --mode tunnel tunnel mode with two remote subnets per
 * endpoint: two connections per cable either way; own pluto) in a namespace; the remote addresses are not there at all
 * (no ARP answer, no IKE answer). After every cable is installed and a warm-up,
 * it idles for the given time and prints engine and driver CPU (share of one
 * core), pluto's CPU, and the bytes per minute written to the engine's and
 * pluto's logs. Printed, not asserted. Run as root:
 *   node dist/bench/dead-peers.js [--count 1000] [--minutes 5] [--warmup 60] [--census 65] [--mode tunnel]
 * (CI runs a short smoke: --count 100 --minutes 0.5 --warmup 10 --census 0.)
 * After the idle window, --census seconds (default 65: two 30 s resyncs) of
 * the driver's process starts are traced (strace, execve only) and counted by
 * whack/addconn action: what a resync costs in whack calls. The trace runs
 * after the CPU window, so its overhead is not in the CPU figures.
 */
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EngineProcess } from '../lab/engine-process.js';
import { writeKubeletVolume } from '../lab/fs-helpers.js';
import { connectVeth, createNetns, deleteNetns, run, waitFor } from '../lab/netns.js';
import { loadavg } from 'node:os';
import { nowUs, profileEnv, summariseProfiles } from './profile-summary.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    minutes: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '60' },
    census: { type: 'string', default: '65' },
    'install-timeout': { type: 'string', default: '900' },
    'on-link': { type: 'boolean', default: false },
    profile: { type: 'string' },
    mode: { type: 'string', default: 'transport' },
  },
});
if (values.mode !== 'transport' && values.mode !== 'tunnel') throw new Error('--mode: transport or tunnel');
const MODE = values.mode;
const COUNT = Number(values.count);
const MINUTES = Number(values.minutes);
const WARMUP_S = Number(values.warmup);
const CENSUS_S = Number(values.census);
const INSTALL_TIMEOUT_S = Number(values['install-timeout']);
const tag = process.pid % 100000;
const NS = `cbb-d12c-${tag}-dp`;
const PEER = `cbb-d12c-${tag}-dq`;
/** --profile DIR: CPU profiles of the engine and driver (node inspector), summarised over the idle window. */
const PROFILE = values.profile ? join(values.profile, `dead-peers-${process.pid}`) : undefined;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
/**
 * Where the dead peers are. Default: behind a router (the peer namespace) that answers ARP and silently
 * drops everything towards them (a blackhole route), as for gateways across a network. --on-link: on the
 * gateway's own subnet with nobody answering ARP, so every IKE packet to them waits about 3 s in the
 * kernel's neighbour queue, holding pluto's socket send buffer (see docs/reliability.md: pluto 4.10 stalls).
 */
const ON_LINK = values['on-link'];
const LOCAL_IP = ON_LINK ? '10.202.255.254' : '10.201.0.2';
const PSK = 'bench-psk-dead-peers-0123456789abcdef012345';
const TICKS = 100; // USER_HZ

/** utime + stime of `pid`, or with `children` the CPU of its reaped children (the whack processes it ran). */
async function cpuTicks(pid: number, children = false): Promise<number> {
  if (!pid) return 0;
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return children ? Number(fields[13]) + Number(fields[14]) : Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}
const size = async (path: string) => (await stat(path).catch(() => ({ size: 0 }))).size;

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'cbb-dp-'));
  await createNetns(NS);
  await createNetns(PEER);
  const endpointsPath = join(work, 'endpoints.json');
  const configDir = join(work, 'config');
  writeKubeletVolume(configDir, {
    ceCustomConfig:
      MODE === 'transport'
        ? `ceIPSecMode: transport\nceIPSecOverlay: vxlan\nceIPSecPSK: "${PSK}"\n`
        : `ceIPSecPSK: "${PSK}"\n`,
  });
  const list = Array.from({ length: COUNT }, (_, i) => ({
    // "c..." sorts after "a-local": this side initiates every pair.
    cluster_id: `c${String(i).padStart(4, '0')}`,
    private_ip: `10.202.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`,
    // Tunnel mode: two subnets, so two connections per cable (one per subnet pair), as in transport mode.
    subnets: [
      `10.${100 + (i >> 8)}.${i & 255}.0/24`,
      ...(MODE === 'tunnel' ? [`10.${140 + (i >> 8)}.${i & 255}.0/24`] : []),
    ],
    backend: 'libreswan',
  }));
  await writeFile(endpointsPath, '[]');
  const runDir = join(work, 'run');
  const engine = new EngineProcess({
    ns: NS,
    clusterId: 'a-local',
    privateIp: LOCAL_IP,
    subnets: ['10.99.0.0/24'],
    endpointsPath,
    runDir,
    extraArgs: ['--driver', 'libreswan', '--config', configDir, '--no-health-check', '--status-interval', '2'],
    ...(PROFILE ? { env: profileEnv(PROFILE) } : {}),
  });
  let window: [number, number] | undefined;
  try {
    if (ON_LINK) {
      await connectVeth({ ns: NS, name: 'eth-dp', cidr: `${LOCAL_IP}/16` }, { ns: PEER, name: 'eth-dq' });
    } else {
      await connectVeth(
        { ns: NS, name: 'eth-dp', cidr: `${LOCAL_IP}/24` },
        { ns: PEER, name: 'eth-dq', cidr: '10.201.0.1/24' },
      );
      await run('ip', ['-n', NS, 'route', 'add', '10.202.0.0/16', 'via', '10.201.0.1']);
      await run('ip', ['netns', 'exec', PEER, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      await run('ip', ['-n', PEER, 'route', 'add', 'blackhole', '10.202.0.0/16']);
    }
    console.log(`peers: ${ON_LINK ? 'on-link, ARP unanswered' : 'behind a router that drops their traffic'}`);
    engine.start();
    await waitFor('engine SERVING', () => engine.serving(), 60000, 200);
    await writeFile(`${endpointsPath}.new`, JSON.stringify(list));
    const t0 = Date.now();
    console.log(`load average at start: ${load()}`);
    await rename(`${endpointsPath}.new`, endpointsPath);
    let lastReport = 0;
    let lastCount = -1;
    await waitFor(
      'every cable installed',
      async () => {
        const conns = await engine.connections();
        const n = conns.length;
        if (Date.now() - lastReport > 30000 || (n !== lastCount && Date.now() - lastReport > 5000)) {
          console.log(`  install: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${conns.length} listed, load ${load()}`);
          lastReport = Date.now();
          lastCount = n;
        }
        return conns.length === COUNT;
      },
      INSTALL_TIMEOUT_S * 1000,
      1000,
    );
    const installS = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const st = await engine.status();
    const enginePid = engine.pid;
    const driverPid = st.driver?.pid ?? 0;
    const plutoPid = Number((await readFile(join(runDir, 'drivers', 'pluto', 'run', 'pluto.pid'), 'utf8')).trim());
    const plutoLog = join(runDir, 'drivers', 'pluto', 'pluto.log');
    const before = {
      engine: await cpuTicks(enginePid),
      driver: await cpuTicks(driverPid),
      pluto: await cpuTicks(plutoPid),
      whack: await cpuTicks(driverPid, true),
      engineLog: await size(engine.logPath),
      plutoLog: await size(plutoLog),
      at: Date.now(),
    };
    const windowStart = nowUs();
    await new Promise((r) => setTimeout(r, MINUTES * 60000));
    window = [windowStart, nowUs()];
    const after = {
      engine: await cpuTicks(enginePid),
      driver: await cpuTicks(driverPid),
      pluto: await cpuTicks(plutoPid),
      whack: await cpuTicks(driverPid, true),
      engineLog: await size(engine.logPath),
      plutoLog: await size(plutoLog),
      at: Date.now(),
    };
    const seconds = (after.at - before.at) / 1000;
    const pct = (a: number, b: number) => `${(((b - a) / TICKS / seconds) * 100).toFixed(2)} % of one core`;
    const perMin = (a: number, b: number) => `${((b - a) / 1024 / (seconds / 60)).toFixed(1)} KB/min`;
    const conns = await engine.connections();
    const byStatus = new Map<string, number>();
    for (const c of conns) byStatus.set(String(c.status), (byStatus.get(String(c.status)) ?? 0) + 1);
    const failing = conns.find((c) => c.status === 3);
    console.log(`load average at end of window: ${load()}`);
    console.log(
      `dead peers: ${COUNT} endpoints (${2 * COUNT} connections, ${MODE} mode), installed in ${installS.toFixed(1)} s`,
    );
    console.log(`idle window: ${seconds.toFixed(0)} s after a ${WARMUP_S} s warm-up (resync every 30 s)`);
    console.log(`engine CPU:        ${pct(before.engine, after.engine)}`);
    console.log(`driver CPU:        ${pct(before.driver, after.driver)}`);
    console.log(`engine + driver:   ${pct(before.engine + before.driver, after.engine + after.driver)} (target < 1 %)`);
    console.log(`driver children:   ${pct(before.whack, after.whack)} (whack and other processes the driver ran)`);
    console.log(`pluto CPU:         ${pct(before.pluto, after.pluto)}`);
    console.log(`engine log:        ${perMin(before.engineLog, after.engineLog)} (target < 10 KB/min)`);
    console.log(`pluto log:         ${perMin(before.plutoLog, after.plutoLog)}`);
    console.log(`connection status: ${[...byStatus].map(([s, n]) => `${n} x status ${s}`).join(', ')}`);
    if (failing) console.log(`a failing cable says: ${failing.statusMessage.slice(0, 200)}`);
    const inError = conns.filter((c) => c.status === 3);
    console.log(
      `parts in place:    ${inError.filter((c) => c.partsInPlace).length} of the ${inError.length} cables in error (not repaired)`,
    );
    // What the engine log's bytes in the window were spent on.
    const text = (await readFile(engine.logPath, 'utf8')).slice(before.engineLog, after.engineLog);
    const rounds = text.split('\n').filter((l) => l.includes('"reconciling"')).length;
    console.log(`repair rounds:     ${rounds} in the window (engine "reconciling" lines)`);
    const byMessage = new Map<string, number>();
    const samples = new Map<string, string>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      let key = line.slice(0, 60);
      try {
        const j = JSON.parse(line) as { message?: string; component?: string; level?: string };
        key = `${j.component ?? ''}: ${j.message ?? ''}`;
        if (j.level === 'warn' || j.level === 'error') samples.set(key, line.slice(0, 400));
      } catch {
        /* not JSON */
      }
      byMessage.set(key, (byMessage.get(key) ?? 0) + line.length + 1);
    }
    for (const line of samples.values()) console.log(`  e.g. ${line}`);
    const top = [...byMessage].sort((a, b) => b[1] - a[1]).slice(0, 6);
    console.log(
      `engine log, by message: ${top.map(([m, b]) => `${m} ${(b / 1024).toFixed(1)} KB`).join('; ') || 'nothing'}`,
    );
    if (CENSUS_S > 0) await census(driverPid, join(work, 'census.trace'));
  } finally {
    await engine.stop('SIGTERM');
    await engine.stopPluto();
    await deleteNetns(NS);
    await deleteNetns(PEER);
    await rm(work, { recursive: true, force: true });
  }
  if (PROFILE && window) {
    console.log(`CPU profile of the idle window (${PROFILE}), self time:`);
    for (const line of summariseProfiles(PROFILE, window[0], window[1], 25)) console.log(line);
  }
}

/**
 * Traces the driver's process starts for CENSUS_S seconds and prints them by action (whack's first
 * option after --ctlsocket, or addconn), with the resyncs the engine logged meanwhile.
 */
async function census(driverPid: number, file: string): Promise<void> {
  const r = await run(
    'timeout',
    [
      String(CENSUS_S),
      'strace',
      '-f',
      '-qq',
      '--seccomp-bpf',
      '-e',
      'trace=execve',
      '-e',
      'signal=none',
      '-s',
      '64',
      '-o',
      file,
      '-p',
      String(driverPid),
    ],
    (CENSUS_S + 30) * 1000,
  ).catch((err: unknown) => ({ code: -1, stdout: '', stderr: String(err) }));
  const text = await readFile(file, 'utf8').catch(() => '');
  const byAction = new Map<string, number>();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /execve\("([^"]+)", \[(.*?)\]/.exec(line);
    if (!m || / = -1 /.test(line)) continue;
    const bin = m[1]!.split('/').pop()!;
    const args = [...m[2]!.matchAll(/"([^"]*)"/g)].map((a) => a[1]!);
    const at = args.indexOf('--ctlsocket');
    // A whack call is named by its action (the option after --ctlsocket's value).
    const action = at >= 0 ? (args[at + 2] ?? '?') : '';
    const key = `${bin} ${action}`.trim();
    byAction.set(key, (byAction.get(key) ?? 0) + 1);
    total++;
  }
  console.log(
    `driver process starts in ${CENSUS_S} s (about ${(CENSUS_S / 30).toFixed(1)} resyncs): ${total}` +
      (total ? ` (${[...byAction].map(([k, n]) => `${n} x ${k}`).join(', ')})` : '') +
      (text ? '' : ` [trace failed: ${r.stderr.slice(0, 200)}]`),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
