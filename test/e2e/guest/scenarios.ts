/**
 * The guest's scenarios: two gateways (namespaces `e2e-a`, `e2e-b`) joined by a
 * veth pair (172.31.255.1/.2), a cluster-subnet address on lo in each
 * (10.1.0.1, 10.2.0.1), egress captures on both veth ends started before the
 * engines, one real cabled engine per namespace (plain VXLAN driver, or the
 * libreswan driver with its own pluto, or in `transport-host` on a pluto the
 * test starts per namespace, standing in for the host's), pings and a clear
 * UDP probe, two cablectl readings, the kernel's XFRM state, packet counts per
 * class, then the phases the job asks for (engine restart, pluto killed, peer
 * restart, fail closed, iperf3). Each scenario cleans its namespaces and
 * processes up.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConnectionStatus } from '../../../src/generated/cabled/driver/v1/driver.js';
import { CABLECTL_MAIN, EngineProcess } from '../../../lab/engine-process.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { HostPluto } from '../../helpers/host-pluto.js';
import { runHaTransport } from './ha.js';
import { startBreakdown } from './timeline.js';
import type {
  ConnectionReading,
  EspChangeResult,
  GuestJob,
  IperfResult,
  PingResult,
  RestartResult,
  ScenarioName,
  ScenarioResult,
  WaitRecord,
} from '../harness/types.js';
import { inNs, must, sh, sleep, startInNs, stopChild, until, withoutKeys } from './sh.js';
import { countPcap, startCapture, stopCaptures, sumCounts, type Capture } from './wire.js';

export const PSK = 'cabled-e2e-psk-0123456789abcdef0123456789';
const A = { ns: 'e2e-a', dev: 'ea', ip: '172.31.255.1', sub: '10.1.0.0/16', host: '10.1.0.1', cluster: 'cluster1' };
const B = { ns: 'e2e-b', dev: 'eb', ip: '172.31.255.2', sub: '10.2.0.0/16', host: '10.2.0.1', cluster: 'cluster2' };
type Side = typeof A;

/** Logs a progress line on the console (the host shows it). */
export function say(msg: string): void {
  process.stdout.write(`E2E: ${msg}\n`);
}

/** Polls `check` until true or `ceilingMs`; resolves with the seconds it took. */
type Wait = (what: string, check: () => Promise<boolean>, ceilingMs: number, intervalMs: number) => Promise<number>;

/** A Wait that records each wait (time taken beside its ceiling) in `waits` and prints it. */
function recordingWait(scenarioName: string, waits: WaitRecord[]): Wait {
  return async (what, check, ceilingMs, intervalMs) => {
    const started = Date.now();
    let ok = false;
    try {
      await until(what, check, ceilingMs, intervalMs);
      ok = true;
    } finally {
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      waits.push({ what, seconds, ceilingS: ceilingMs / 1000 });
      say(`${scenarioName}: ${what}: ${ok ? '' : 'NOT within '}${seconds} s of ${ceilingMs / 1000} s`);
    }
    return (Date.now() - started) / 1000;
  };
}

async function topology(): Promise<void> {
  for (const s of [A, B]) {
    await sh('ip', ['netns', 'del', s.ns]);
    await must('ip', ['netns', 'add', s.ns]);
    await must('ip', ['-n', s.ns, 'link', 'set', 'lo', 'up']);
    await must('ip', ['-n', s.ns, 'addr', 'add', `${s.host}/32`, 'dev', 'lo']);
  }
  await must('ip', ['-n', A.ns, 'link', 'add', A.dev, 'type', 'veth', 'peer', 'name', B.dev, 'netns', B.ns]);
  for (const s of [A, B]) {
    await must('ip', ['-n', s.ns, 'addr', 'add', `${s.ip}/24`, 'dev', s.dev]);
    await must('ip', ['-n', s.ns, 'link', 'set', s.dev, 'up']);
  }
}

/** `ping -c count` from `from` to `to` in `side`'s namespace. */
export async function ping(side: Side, from: string, to: string, count = 5, waitS = 2): Promise<PingResult> {
  const o = await inNs(
    side.ns,
    'ping',
    ['-n', '-c', String(count), '-i', '0.2', '-W', String(waitS), '-I', from, to],
    60000,
  );
  return pingCounts(from, to, o.stdout);
}

/** Reads side A's cable towards B with the real cablectl. */
async function cablectl(runDir: string, t0: number): Promise<ConnectionReading> {
  const out = await must(
    process.execPath,
    // cablectl's own 5 s default is a ceiling too: a guest on a busy host (issue 9) needs the same margin as the waits.
    [CABLECTL_MAIN, '--socket', join(runDir, 'engine.sock'), '--timeout', '50', 'connections', '-o', 'json'],
    60000,
  );
  type Json = {
    status?: string;
    statusMessage?: string;
    rxBytes?: string | number;
    txBytes?: string | number;
    endpoint?: { clusterId?: string };
    sas?: { name?: string; kind?: string; state?: string; rxBytes?: string | number; txBytes?: string | number }[];
  };
  const conns = (JSON.parse(out) as { connections: Json[] }).connections;
  const c = conns.find((x) => x.endpoint?.clusterId === B.cluster);
  if (!c) throw new Error(`cablectl lists no connection to ${B.cluster}: ${out}`);
  return {
    at: (Date.now() - t0) / 1000,
    status: c.status ?? '',
    statusMessage: c.statusMessage ?? '',
    rxBytes: Number(c.rxBytes ?? 0),
    txBytes: Number(c.txBytes ?? 0),
    sas: (c.sas ?? []).map((s) => ({
      name: s.name ?? '',
      kind: s.kind ?? '',
      state: s.state ?? '',
      rxBytes: Number(s.rxBytes ?? 0),
      txBytes: Number(s.txBytes ?? 0),
    })),
  };
}

/** iperf3 TCP for `seconds` from `from` (in A) to `to` (in B). */
async function iperf(wait: Wait, path: string, from: string, to: string, seconds = 5): Promise<IperfResult> {
  const server = startInNs(B.ns, 'iperf3', ['-s', '-1', '--forceflush', '-B', to]);
  try {
    await wait('iperf3 server listening', async () => server.output().includes('Server listening'), 30000, 200);
    const o = await inNs(A.ns, 'iperf3', ['-c', to, '-B', from, '-t', String(seconds), '-J'], (seconds + 20) * 1000);
    if (!o.stdout.trim()) throw new Error(`iperf3 ${path}: no output (exit ${o.code}): ${o.stderr}`);
    const j = JSON.parse(o.stdout) as {
      end?: { sum_received?: { bits_per_second?: number }; sum_sent?: { retransmits?: number } };
      error?: string;
    };
    if (j.error || !j.end?.sum_received) throw new Error(`iperf3 ${path}: ${j.error ?? o.stderr}`);
    return {
      path,
      mbps: Math.round((j.end.sum_received.bits_per_second ?? 0) / 1e5) / 10,
      retransmits: j.end.sum_sent?.retransmits ?? -1,
      seconds,
    };
  } finally {
    await stopChild(server.child, 3000);
  }
}

function endpointsFile(dir: string, backend: string): string {
  const udp = backend === 'vxlan' ? { backend_config: { 'udp-port': '4789' } } : {};
  const eps = [A, B].map((s, i) => ({
    cluster_id: s.cluster,
    hostname: `gw${i + 1}`,
    private_ip: s.ip,
    subnets: [s.sub],
    backend,
    ...udp,
  }));
  const path = join(dir, 'endpoints.yaml');
  writeFileSync(path, stringify(eps));
  return path;
}

function configFor(name: ScenarioName, host: HostPluto | undefined): string | undefined {
  const transport = `ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\nceIPSecPSK: "${PSK}"\n`;
  if (name === 'transport') return transport;
  if (name === 'transport-host' && host)
    return `${transport}ceIPSecPlutoMode: host\nceIPSecPlutoSocket: ${host.socket}\n`;
  if (name === 'tunnel') return `ceIPSecMode: "tunnel"\nceIPSecPSK: "${PSK}"\n`;
  return undefined;
}

/** The pid of the pluto the libreswan driver started in own mode (0: none). */
const plutoPid = (runDir: string): number => {
  const f = join(runDir, 'drivers', 'pluto', 'run', 'pluto.pid');
  return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0;
};

/** ESP SPIs in `side`'s namespace. spi 0x00000000 is a larval ACQUIRE state the kernel holds for a while, not an SA. */
async function espSpis(side: Side): Promise<string[]> {
  return [...(await inNs(side.ns, 'ip', ['xfrm', 'state'])).stdout.matchAll(/spi (0x[0-9a-f]+)/g)]
    .map((m) => m[1]!)
    .filter((spi) => spi !== '0x00000000')
    .sort();
}

/** Counts from ping's summary line. */
function pingCounts(from: string, to: string, output: string): PingResult {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  return { from, to, transmitted: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0) };
}

/** Issue 4, scenario 5 (and 8): a 20/s ping across the tunnel while A's engine is SIGKILLed and started again. */
async function restartUnderPing(wait: Wait, e: EngineProcess, pluto: () => number): Promise<RestartResult> {
  const spisBefore = await espSpis(A);
  const plutoPidBefore = pluto();
  // 300 probes at 20/s (15 s), then up to 60 s for their replies: with a deadline alone (-w 15) ping exits
  // even while the last probe's reply is still on its way, and counts that probe lost.
  const pinger = startInNs(A.ns, 'ping', ['-n', '-i', '0.05', '-c', '300', '-w', '60', '-I', A.host, B.host]);
  await sleep(2000);
  await e.stop('SIGKILL');
  e.start();
  const backInSyncS = await wait(
    'engine A in sync again (restarted under ping)',
    async () => {
      const st = await e.status().catch(() => undefined);
      return st?.driver?.state === 'running' && st.inSync === true;
    },
    180000,
    200,
  );
  await new Promise<void>((r) => (pinger.child.exitCode !== null ? r() : pinger.child.once('exit', () => r())));
  return {
    ping: pingCounts(A.host, B.host, pinger.output()),
    spisBefore,
    spisAfter: await espSpis(A),
    plutoPidBefore,
    plutoPidAfter: pluto(),
    backInSyncS,
  };
}

/** The ESP algorithms of the SAs in `side`'s namespace ("enc cbc(aes)", "aead rfc4106(gcm(aes))"...), never keys. */
async function espAlgorithms(side: Side): Promise<string[]> {
  const state = (await inNs(side.ns, 'ip', ['xfrm', 'state'])).stdout;
  return [
    ...new Set([...state.matchAll(/^\s*(aead|enc|auth|auth-trunc) (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`)),
  ].sort();
}

/** The longest run of unanswered probes of a ping at `intervalS`, from the icmp_seq of its replies. */
function longestGapS(output: string, intervalS: number): number {
  const seqs = [...output.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1]));
  const sent = Number(/(\d+) packets transmitted/.exec(output)?.[1] ?? 0);
  let longest = 0;
  let prev = 0;
  for (const seq of [...seqs, sent + 1]) {
    longest = Math.max(longest, seq - prev - 1);
    prev = seq;
  }
  return Math.round(longest * intervalS * 100) / 100;
}

/**
 * Issue 12, item 1: both gateways get a new ceIPSecEsp in their ConfigMap
 * (written as kubelet updates a volume) under a 20/s ping; how long the
 * traffic stops while the engines reload and the connection is replaced.
 */
async function espChangeUnderPing(
  wait: Wait,
  engines: readonly EngineProcess[],
  configDirs: readonly string[],
  config: string,
  work: string,
): Promise<EspChangeResult> {
  const esp = 'aes256-sha2_256';
  const algorithmsBefore = await espAlgorithms(A);
  // The wire during the change: a replacement must never let the subnets' traffic out in the clear.
  const captures = [
    await startCapture(A.ns, A.dev, join(work, 'wire-esp-change-a.pcap')),
    await startCapture(B.ns, B.dev, join(work, 'wire-esp-change-b.pcap')),
  ];
  const pinger = startInNs(A.ns, 'ping', ['-n', '-i', '0.05', '-I', A.host, B.host]);
  await sleep(2000);
  const writtenAt = Date.now();
  for (const dir of configDirs) writeKubeletVolume(dir, { ceCustomConfig: `${config}ceIPSecEsp: "${esp}"\n` });
  await wait(
    'both cables connected again with SAs of the new ESP proposal',
    async () => {
      const algs = await espAlgorithms(A);
      if (!algs.includes('enc cbc(aes)') || !algs.includes('auth-trunc hmac(sha256)')) return false;
      return (await Promise.all(engines.map(connected))).every(Boolean);
    },
    300000,
    200,
  );
  const reconnectedS = (Date.now() - writtenAt) / 1000;
  // A few seconds of traffic after the reconnect, so a late second outage would show.
  await sleep(3000);
  await stopChild(pinger.child);
  const output = pinger.output();
  await stopCaptures(captures);
  const wire = sumCounts([await countPcap(captures[0]!.file), await countPcap(captures[1]!.file)]);
  return {
    wire,
    esp,
    algorithmsBefore,
    algorithmsAfter: await espAlgorithms(A),
    reconnectedS,
    ping: pingCounts(A.host, B.host, output),
    longestGapS: longestGapS(output, 0.05),
  };
}

const connected = async (e: EngineProcess): Promise<boolean> =>
  (await e.connections().catch(() => []))[0]?.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED;

/** A connection of "the host's own" in a host pluto (north-south, seed 000): cabled must leave it alone. */
const FOREIGN_CONN = 'host-north-south';

/** Runs one scenario; never throws (a failure is recorded in the result). */
export async function runScenario(name: ScenarioName, job: GuestJob, outDir: string): Promise<ScenarioResult> {
  const res: ScenarioResult = {
    name,
    completed: false,
    timings: {},
    waits: [],
    pings: [],
    connections: [],
    notes: [],
    iperf: [],
  };
  const wait = recordingWait(name, res.waits);
  const t0 = Date.now();
  const mark = (what: string) => {
    res.timings[what] = Math.round((Date.now() - t0) / 100) / 10;
    say(`${name}: ${what} at ${res.timings[what]} s`);
  };
  const work = join(process.env.TMPDIR ?? '/run/tmp', `e2e-${name}`);
  const out = join(outDir, name);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  mkdirSync(out, { recursive: true });
  if (name === 'ha-transport') {
    await runHaTransport({ res, wait, mark, say, work, out });
    return res;
  }
  const engines: EngineProcess[] = [];
  const configDirs: string[] = [];
  const hostPlutos: HostPluto[] = [];
  let enginesStartedAt = 0;
  /** Where the time since the engines started went, per side (also when they never connected). */
  const breakdown = (): void => {
    if (!enginesStartedAt || res.breakdown) return;
    res.breakdown = engines.map((e, i) =>
      startBreakdown(
        i ? 'b' : 'a',
        e.logPath,
        name === 'vxlan'
          ? undefined
          : hostPlutos[i]
            ? { log: hostPlutos[i].logFile, own: false }
            : { log: join(e.spec.runDir, 'drivers', 'pluto', 'pluto.log'), own: true },
        enginesStartedAt,
      ),
    );
    say(`${name}: where the time went: ${JSON.stringify(res.breakdown)}`);
  };
  let captures: Capture[] = [];
  try {
    await topology();
    captures = [
      await startCapture(A.ns, A.dev, join(work, 'wire-a.pcap')),
      await startCapture(B.ns, B.dev, join(work, 'wire-b.pcap')),
    ];
    mark('captures listening');

    const backend = name === 'vxlan' ? 'vxlan' : 'libreswan';
    const endpointsPath = endpointsFile(work, backend);
    if (name === 'transport-host') {
      // Issue 4, scenario 8: the "host's" pluto, started by the test, one per gateway, before the engines.
      for (const [i, s] of [A, B].entries()) {
        const host = new HostPluto(s.ns, join(work, `host-${i ? 'b' : 'a'}`));
        hostPlutos.push(host);
        await host.start();
        await host.addConn(FOREIGN_CONN, [
          `left=${s.ip}`,
          'right=192.0.2.10',
          'authby=secret',
          'type=transport',
          'leftprotoport=tcp/6443',
          'auto=add',
        ]);
      }
      mark('host plutos started');
    }
    for (const [i, s] of [A, B].entries()) {
      const runDir = join(work, `run-${i ? 'b' : 'a'}`);
      const extraArgs = ['--driver', backend];
      const config = configFor(name, hostPlutos[i]);
      if (config) {
        const configDir = join(work, `config-${i ? 'b' : 'a'}`);
        configDirs.push(configDir);
        writeKubeletVolume(configDir, { ceCustomConfig: config });
        extraArgs.push('--config', configDir);
      } else {
        extraArgs.push('--backend-config', 'udp-port=4789');
      }
      const env = hostPlutos[i] ? { CABLED_IPSEC_DIR: hostPlutos[i].ipsecDir } : undefined;
      engines.push(
        new EngineProcess({
          ns: s.ns,
          clusterId: s.cluster,
          privateIp: s.ip,
          subnets: [s.sub],
          endpointsPath,
          runDir,
          extraArgs,
          env,
        }),
      );
    }
    for (const e of engines) e.start();
    enginesStartedAt = Date.now();
    mark('engines started');
    // Ceiling: 10x the 30 s an idle machine should need (a busy CI machine is 5-10x slower).
    await wait(
      'both cables connected',
      async () => {
        const all = await Promise.all(engines.map((e) => e.connections().catch(() => [])));
        return all.every((cs) => cs.length === 1 && cs[0]?.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED);
      },
      300000,
      250,
    );
    mark('both cables connected');
    breakdown();

    if (name === 'tunnel') {
      // Tunnel mode needs a route to the remote subnet sourced from the local subnet (Submariner's route agent adds it).
      for (const [s, peer] of [
        [A, B],
        [B, A],
      ] as const) {
        const r = await inNs(s.ns, 'ip', ['route', 'get', peer.host, 'from', s.host]);
        if (r.code !== 0) {
          await must('ip', ['-n', s.ns, 'route', 'replace', peer.sub, 'via', peer.ip, 'src', s.host]);
          res.notes.push(
            `${s.ns}: no route to ${peer.sub} after connect; the test added one via ${peer.ip} src ${s.host}`,
          );
        }
      }
    }

    res.pings.push(await ping(A, A.host, B.host));
    mark('first ping');
    await sleep(1500);
    res.connections.push(await cablectl(engines[0]!.spec.runDir, t0));
    res.pings.push(await ping(B, B.host, A.host));
    res.pings.push(await ping(A, A.host, B.host));
    await inNs(A.ns, 'bash', ['-c', `echo e2e-probe > /dev/udp/${B.ip}/5555`]);
    await sleep(1500);
    res.connections.push(await cablectl(engines[0]!.spec.runDir, t0));
    mark('pings and cablectl readings');
    if (name === 'transport') {
      // Issue 4, item 4: with DF set, the largest payload the overlay MTU allows passes; one byte more
      // is refused locally (EMSGSIZE), never sent and silently dropped after encryption.
      const mtu = Number(/mtu (\d+)/.exec((await inNs(A.ns, 'ip', ['link', 'show', 'vxlan-tunnel'])).stdout)?.[1] ?? 0);
      const df = async (size: number) => {
        const o = await inNs(A.ns, 'ping', [
          '-n',
          '-c',
          '2',
          '-i',
          '0.3',
          '-W',
          '2',
          '-M',
          'do',
          '-s',
          String(size),
          '-I',
          A.host,
          B.host,
        ]);
        return { result: pingCounts(A.host, B.host, o.stdout), output: `${o.stdout}${o.stderr}` };
      };
      const fits = await df(mtu - 28);
      const tooBig = await df(mtu - 27);
      res.mtu = { mtu, fits: fits.result, tooBig: tooBig.result, tooBigOutput: tooBig.output.slice(0, 2000) };
      mark('MTU pings');
    }
    res.xfrmState = withoutKeys((await inNs(A.ns, 'ip', ['xfrm', 'state'])).stdout);
    res.xfrmPolicy = (await inNs(A.ns, 'ip', ['xfrm', 'policy'])).stdout;

    await stopCaptures(captures);
    const perEnd = { a: await countPcap(captures[0]!.file), b: await countPcap(captures[1]!.file) };
    captures = [];
    res.wirePerEnd = perEnd;
    res.wire = sumCounts([perEnd.a, perEnd.b]);
    mark('wire counted');

    if (job.perf && name !== 'transport-host') {
      // Before the fail-closed phase, which leaves side B without SAs. A failed run is recorded, not fatal.
      const runs: [string, string, string][] =
        name === 'vxlan'
          ? [
              ['plain veth', A.ip, B.ip],
              ['plain VXLAN', A.host, B.host],
            ]
          : [[name === 'transport' ? 'VXLAN over transport ESP' : 'tunnel-mode ESP', A.host, B.host]];
      for (const [label, from, to] of runs) {
        res.iperf.push(
          await iperf(wait, label, from, to).catch((err: unknown) => ({
            path: label,
            mbps: 0,
            retransmits: -1,
            seconds: 5,
            error: String(err),
          })),
        );
      }
      mark('iperf3');
    }

    if (name === 'tunnel') {
      const config = configFor(name, undefined)!;
      res.espChange = await espChangeUnderPing(wait, engines, configDirs, config, work);
      say(`${name}: ESP proposal change: ${JSON.stringify(res.espChange)}`);
      mark('ESP change phase');
    }

    if (name === 'transport' && job.restart) {
      const e = engines[0]!;
      res.restart = await restartUnderPing(wait, e, () => plutoPid(e.spec.runDir));
      mark('engine restart phase');
    }

    if (name === 'transport' && job.plutoKill) {
      // Issue 4, scenario 6: pluto killed (own mode); the driver restarts it and re-adds its connections.
      const e = engines[0]!;
      const pidBefore = plutoPid(e.spec.runDir);
      process.kill(pidBefore, 'SIGKILL');
      const killedAt = Date.now();
      // First the engine must notice (its status stops saying connected), then the cable must come back.
      await wait(
        'the engine noticing pluto is gone',
        async () => {
          const cs = await e.connections().catch(() => []);
          return cs[0]?.status !== ConnectionStatus.CONNECTION_STATUS_CONNECTED;
        },
        60000,
        100,
      );
      await wait(
        'a new pluto, and the cable connected again',
        async () => {
          if (plutoPid(e.spec.runDir) === pidBefore) return false;
          const cs = await e.connections().catch(() => []);
          return cs[0]?.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED;
        },
        120000,
        200,
      );
      const recoveredS = (Date.now() - killedAt) / 1000;
      res.plutoKill = {
        pidBefore,
        pidAfter: plutoPid(e.spec.runDir),
        recoveredS,
        pingAfter: await ping(A, A.host, B.host),
      };
      mark('pluto-kill phase');
    }

    if (name === 'transport' && job.peerRestart) {
      // Issue 4, scenario 7: gateway B restarted, engine and pluto (SIGKILL, as in a crash; its kernel state stays).
      // B is the IKE responder: A's pluto still believes in the old IKE SA and B's new pluto knows nothing of it.
      const e = engines[1]!;
      const spisBefore = await espSpis(A);
      const pidBefore = plutoPid(e.spec.runDir);
      await e.stop('SIGKILL');
      process.kill(pidBefore, 'SIGKILL');
      const killedAt = Date.now();
      e.start();
      let bConnectedS = 0;
      await wait(
        'the cable connected again on both sides (B with a new pluto)',
        async () => {
          if (plutoPid(e.spec.runDir) === pidBefore) return false;
          const b = await connected(e);
          if (b && !bConnectedS) bConnectedS = (Date.now() - killedAt) / 1000;
          return b && (await connected(engines[0]!));
        },
        300000,
        500,
      );
      const bothConnectedS = (Date.now() - killedAt) / 1000;
      res.peerRestart = {
        pidBefore,
        pidAfter: plutoPid(e.spec.runDir),
        bConnectedS,
        bothConnectedS,
        pingAtoB: await ping(A, A.host, B.host),
        pingBtoA: await ping(B, B.host, A.host),
        spisBefore,
        spisAfter: await espSpis(A),
      };
      mark('peer-restart phase');
    }

    if (name === 'transport-host') {
      // Issue 4, scenario 8: engine A restarted under ping, then stopped: the host's pluto keeps the tunnels up.
      const pids = () => hostPlutos.map((h) => h.pid);
      const foreign = () => Promise.all(hostPlutos.map(async (h) => (await h.loaded()).includes(FOREIGN_CONN)));
      const plutoPids = pids();
      const foreignBefore = await foreign();
      const restart = await restartUnderPing(wait, engines[0]!, () => hostPlutos[0]!.pid);
      mark('engine restart (host pluto)');
      await engines[0]!.stop('SIGTERM');
      const loadedAfterStop = await hostPlutos[0]!.loaded();
      const pingAfterStop = await ping(A, A.host, B.host);
      res.hostMode = {
        plutoPids,
        plutoPidsAfter: pids(),
        foreignBefore,
        foreignAfter: await foreign(),
        restart,
        loadedAfterStop,
        pingAfterStop,
      };
      mark('engine stopped (host pluto)');
    }

    if (name === 'transport' && job.failClosed) {
      const runB = engines[1]!.spec.runDir;
      const pid = plutoPid(runB);
      if (!pid) throw new Error(`no pluto.pid under ${runB}`);
      const fc = [
        await startCapture(A.ns, A.dev, join(work, 'fc-a.pcap')),
        await startCapture(B.ns, B.dev, join(work, 'fc-b.pcap')),
      ];
      // pluto of side B stopped (SIGSTOP, so the driver does not restart it during the check) and B's SAs gone:
      // nothing can negotiate new ones; VXLAN must be dropped, never sent in clear.
      process.kill(pid, 'SIGSTOP');
      try {
        await must('ip', ['-n', B.ns, 'xfrm', 'state', 'flush']);
        const pingAtoB = await ping(A, A.host, B.host, 5, 1);
        const pingBtoA = await ping(B, B.host, A.host, 5, 1);
        await stopCaptures(fc);
        const wire = sumCounts([await countPcap(fc[0]!.file), await countPcap(fc[1]!.file)]);
        res.failClosed = {
          how: `SIGSTOP pluto (pid ${pid}) of ${B.ns} and ip xfrm state flush there`,
          pingAtoB,
          pingBtoA,
          wire,
        };
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      mark('fail-closed phase');
    }

    res.completed = true;
  } catch (err) {
    res.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    say(`${name}: FAILED ${res.error}`);
  } finally {
    breakdown();
    await stopCaptures(captures).catch(() => undefined);
    const pids = engines.map((e) => plutoPid(e.spec.runDir));
    for (const e of engines) await e.stop('SIGTERM', 15000).catch(() => undefined);
    for (const pid of pids)
      if (pid)
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    for (const h of hostPlutos) await h.stop('SIGKILL');
    // Logs and pcaps out through the results share, for whoever reads a failure.
    for (const [i, e] of engines.entries()) {
      const side = i ? 'b' : 'a';
      const plutoLog = hostPlutos[i]?.logFile ?? join(e.spec.runDir, 'drivers', 'pluto', 'pluto.log');
      for (const [src, dst] of [
        [e.logPath, `engine-${side}.log`],
        [plutoLog, `pluto-${side}.log`],
      ] as const) {
        if (existsSync(src)) copyFileSync(src, join(out, dst));
      }
    }
    for (const f of ['wire-a.pcap', 'wire-b.pcap', 'fc-a.pcap', 'fc-b.pcap'])
      if (existsSync(join(work, f))) copyFileSync(join(work, f), join(out, f));
    for (const s of [A, B]) await sh('ip', ['netns', 'del', s.ns]);
    rmSync(work, { recursive: true, force: true });
    mark('cleaned up');
  }
  return res;
}
