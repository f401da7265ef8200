/**
 * The guest's HA scenario (`ha-transport`): active/passive failover with VXLAN
 * over libreswan transport mode on the stock kernel, so that a takeover
 * negotiates IKE and installs real ESP. The same topology as the namespace
 * test (test/integration/ha/failover.test.ts): two gateways of cluster1
 * (`ha-1a`, `ha-1b`) and one of cluster2 (`ha-2`) on one underlay bridge,
 * each engine electing and publishing through a local HTTP server standing
 * in for the Kubernetes API (its Lease enforces resourceVersion conflicts as
 * the API server does; it also carries the Endpoints between the clusters),
 * one own pluto per gateway, Submariner's default election settings.
 *
 * Both cluster1 gateways hold 10.1.0.1; a continuous 20/s ping from
 * cluster2's 10.2.0.1 tells which gateway answers by the TTL of the reply.
 * Measured: from a crash of the active gateway (every process of its
 * namespace SIGKILLed, as when its pod dies) and from a graceful stop
 * (SIGTERM: the Lease is released) to the first ping answered through the
 * other gateway, and the roles of both gateways sampled all along.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { EngineProcess } from '../../../lab/engine-process.js';
import { ConnectionStatus } from '../../../src/generated/cabled/driver/v1/driver.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { HA_TTL, haGateway, type PingReply, pingReplies } from '../../../lab/ha-gateway.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';
import { linkToHost } from '../../helpers/host-link.js';
import type { FailoverResult, ScenarioResult } from '../harness/types.js';
import { formatSteps, handoverSteps, type StepSpec } from './handover.js';
import { must, sh, startInNs, stopChild, withoutKeys } from './sh.js';

type Gw = 'a' | 'b';
const NS = { sw: 'ha-sw', a: 'ha-1a', b: 'ha-1b', c2: 'ha-2' } as const;
const UNDERLAY = { a: '172.29.60.11', b: '172.29.60.12', c2: '172.29.60.21' } as const;
const TTL = HA_TTL;
const BROKER = 'ha-broker';
const LEASE_NS = { cluster1: 'ha-cluster1', cluster2: 'ha-cluster2' } as const;
const other = (g: Gw): Gw => (g === 'a' ? 'b' : 'a');
const PSK = 'cabled-e2e-ha-psk-0123456789abcdef0123456789';
/** Generous ceilings: under TCG on a busy machine a Node process takes a minute or more to start. */
const START_CEILING_MS = 600000;
const HANDOVER_CEILING_MS = 300000;
/** The nice value of this process's main thread, which serves the API stand-in. */
const API_NICE = -10;

/** Sets this thread's nice value; where not permitted, the figures may include a stand-down. */
function apiPriority(nice: number): void {
  try {
    setPriority(nice);
  } catch {
    // not permitted (not root): left as it is
  }
}

/** What runScenario hands over: the result to fill, its recording wait, its step marks and folders. */
export interface HaContext {
  res: ScenarioResult;
  wait: (what: string, check: () => Promise<boolean>, ceilingMs: number, intervalMs: number) => Promise<number>;
  mark: (what: string) => void;
  say: (msg: string) => void;
  /** Scratch folder inside the guest, and the results share's folder of the scenario (logs kept there). */
  work: string;
  out: string;
}

export async function runHaTransport({ res, wait, mark, say, work, out }: HaContext): Promise<void> {
  const api = new FakeKubeApi();
  const engines = {} as Record<Gw | 'c2', EngineProcess>;
  const replies: PingReply[] = [];
  let pinger: ReturnType<typeof startInNs> | undefined;
  let parsed = 0;
  let sampler: NodeJS.Timeout | undefined;
  const failover: FailoverResult = {
    crashS: -1,
    crashActiveS: -1,
    gracefulS: -1,
    gracefulActiveS: -1,
    bothActive: 0,
    samples: 0,
    statusLines: [],
    xfrmAfterCrash: '',
    first: '',
    crashSteps: [],
    gracefulSteps: [],
  };
  res.failover = failover;

  const role = async (g: Gw): Promise<string> =>
    (await engines[g]?.status().catch(() => undefined))?.ha?.role ?? 'down';
  const readReplies = (): void => {
    const text = pinger?.output() ?? '';
    const end = text.lastIndexOf('\n') + 1;
    replies.push(...pingReplies(text.slice(parsed, end).split('\n')));
    parsed = end;
  };
  /** Ms since the epoch of the first reply after t0 answered through gateway g. */
  const firstReplyThrough = async (what: string, g: Gw, t0: number): Promise<number> => {
    let found: PingReply | undefined;
    await wait(
      what,
      async () => {
        readReplies();
        found = replies.find((r) => r.at >= t0 && r.ttl === TTL[g]);
        return found !== undefined;
      },
      HANDOVER_CEILING_MS,
      100,
    );
    return found?.at ?? t0;
  };
  const seconds = (from: number, to: number): number => Math.round((to - from) / 100) / 10;
  /** After a handover: cluster2 reports one cable, connected, to gateway g (its logs then hold every step). */
  const cluster2ConnectedTo = (g: Gw): Promise<number> =>
    wait(
      `cluster2 reports one cable, connected, to gateway ${g}`,
      async () => {
        const cs = await engines.c2.connections().catch(() => []);
        return (
          cs.length === 1 &&
          cs[0]?.endpoint?.privateIp === UNDERLAY[g] &&
          cs[0].status === ConnectionStatus.CONNECTION_STATUS_CONNECTED
        );
      },
      HANDOVER_CEILING_MS,
      500,
    );
  const plutoLog = (g: Gw | 'c2'): string => join(engines[g].spec.runDir, 'drivers', 'pluto', 'pluto.log');
  const cableOf = (g: Gw | 'c2'): string => UNDERLAY[g].replaceAll('.', '-');
  /** The steps of a handover from `from` to `to`, as the three gateways and their plutos logged them. */
  const engineStep = (key: string, what: string, g: Gw | 'c2', message: string, more: Partial<StepSpec> = {}) => ({
    key,
    what,
    engineLog: engines[g].logPath,
    message,
    ...more,
  });
  const plutoStep = (key: string, what: string, g: Gw | 'c2', pattern: RegExp, after?: string): StepSpec => ({
    key,
    what,
    plutoLog: plutoLog(g),
    pattern,
    after,
  });
  const stepsOf = (from: Gw, to: Gw, graceful: boolean): StepSpec[] => [
    ...(graceful
      ? [
          engineStep('oldRemoved', `old gateway ${from}: its cable removed`, from, 'cable removed'),
          engineStep('released', `old gateway ${from}: Lease released`, from, 'lease released'),
        ]
      : []),
    engineStep('active', `new gateway ${to}: Lease taken, active`, to, 'became the active gateway'),
    engineStep('published', `new gateway ${to}: Endpoint published`, to, 'endpoint published'),
    engineStep('added', `new gateway ${to}: IPsec connections added`, to, 'IPsec connections added', {
      after: 'active',
    }),
    engineStep('installed', `new gateway ${to}: cable installed`, to, 'cable installed', { after: 'active' }),
    plutoStep('ikeInit', `new gateway ${to}: pluto initiates IKE`, to, /initiating IKEv2 connection/, 'active'),
    engineStep('noticed', 'cluster2: sees the new Endpoint', 'c2', 'endpoints changed', { after: 'published' }),
    engineStep('c2Removed', 'cluster2: old cable removed', 'c2', 'cable removed', { cable: cableOf(from) }),
    plutoStep(
      'c2Added',
      'cluster2: pluto has the new connections (IKE responder ready)',
      'c2',
      new RegExp(`cluster1-${cableOf(to)}-1": added IKEv2 connection`),
    ),
    engineStep('c2Installed', 'cluster2: new cable installed', 'c2', 'cable installed', { cable: cableOf(to) }),
    plutoStep(
      'ikeAnswered',
      'cluster2: pluto answers IKE_SA_INIT',
      'c2',
      new RegExp(`cluster1-${cableOf(to)}-\\d" #\\d+: sent IKE_SA_INIT reply`),
    ),
    plutoStep('ike', `new gateway ${to}: IKE SA established`, to, /initiator established IKE SA/, 'active'),
    ...([0, 1] as const).map((n) =>
      plutoStep(
        `child${n}`,
        `new gateway ${to}: Child SA ${n} established (${n ? 'VXLAN to cluster2' : 'VXLAN from cluster2'})`,
        to,
        new RegExp(`-${n}" #\\d+: initiator established Child SA`),
        'ike',
      ),
    ),
  ];
  const startEngine = (g: Gw | 'c2'): void => {
    const configDir = join(work, `config-${g}`);
    writeKubeletVolume(configDir, {
      ceCustomConfig: `ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\nceIPSecPSK: "${PSK}"\n`,
    });
    engines[g] = haGateway({ ns: NS, underlay: UNDERLAY, work, broker: BROKER, leaseNamespace: LEASE_NS }, g, [
      '--driver',
      'libreswan',
      '--config',
      configDir,
    ]);
    // Children inherit the spawning thread's priority: the engines (and their drivers and plutos) get the usual one.
    apiPriority(0);
    engines[g].start();
    apiPriority(API_NICE);
  };
  /**
   * Waits for a steady state before a handover is timed: `act` active, the other cluster1 gateway standing
   * by and Ready (its driver warm), cluster2's gateway active, and a ping answered through `act` since.
   */
  const steady = async (act: Gw, ceilingMs: number): Promise<void> => {
    await wait(
      `gateway ${act} active, ${other(act)} standing by and Ready, cluster2 active`,
      async () =>
        (await role(act)) === 'active' &&
        (await role(other(act))) === 'standby' &&
        (await engines[other(act)].serving().catch(() => false)) &&
        (await engines.c2.status().catch(() => undefined))?.ha?.role === 'active',
      ceilingMs,
      500,
    );
    await firstReplyThrough(`a ping answered through gateway ${act} since`, act, Date.now());
  };
  /** A pod's death: every process of the gateway's namespace (engine, driver, pluto) SIGKILLed. */
  const crash = async (g: Gw): Promise<void> => {
    const pids = (await sh('ip', ['netns', 'pids', NS[g]])).stdout.split(/\s+/).filter(Boolean);
    if (pids.length) await sh('kill', ['-9', ...pids]);
    await engines[g].stop('SIGKILL');
  };

  try {
    // This process is the Kubernetes API stand-in, which in a real cluster does not share the gateways'
    // CPUs: under TCG, with three engines, drivers and plutos busy, it answered Lease calls later than
    // the renew deadline and the leaders stood down (fail-safe). Its main thread goes first.
    apiPriority(API_NICE);
    mkdirSync(work, { recursive: true });
    for (const n of Object.values(NS)) {
      await sh('ip', ['netns', 'del', n]);
      await must('ip', ['netns', 'add', n]);
      await must('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    await must('ip', ['-n', NS.sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await must('ip', ['-n', NS.sw, 'link', 'set', 'br0', 'up']);
    await api.start('0.0.0.0');
    const port = new URL(api.url).port;
    for (const [i, g] of (['a', 'b', 'c2'] as const).entries()) {
      await must('ip', ['-n', NS[g], 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${g}`, 'netns', NS.sw]);
      await must('ip', ['-n', NS[g], 'addr', 'add', `${UNDERLAY[g]}/24`, 'dev', 'eth0']);
      await must('ip', ['-n', NS[g], 'link', 'set', 'eth0', 'up']);
      await must('ip', ['-n', NS.sw, 'link', 'set', `p${g}`, 'master', 'br0', 'up']);
      const hostIp = `10.253.60.${4 * i + 1}`;
      await linkToHost({ ns: NS[g], hostIf: `ha${g}`, hostIp, nsIf: 'api0', nsIp: `10.253.60.${4 * i + 2}` });
      writeFileSync(join(work, `kubeconfig-${g}`), api.kubeconfigText(`http://${hostIp}:${port}`));
    }
    for (const g of ['a', 'b'] as const) {
      await must('ip', ['-n', NS[g], 'addr', 'add', '10.1.0.1/32', 'dev', 'lo']);
      await must('ip', ['netns', 'exec', NS[g], 'sysctl', '-qw', `net.ipv4.ip_default_ttl=${TTL[g]}`]);
    }
    await must('ip', ['-n', NS.c2, 'addr', 'add', '10.2.0.1/32', 'dev', 'lo']);
    mark('topology ready');

    // All three at once (starting them one after the other costs minutes under TCG): whichever cluster1
    // gateway wins the Lease is `first`; it crashes, comes back as the standby, and takes over again
    // when `second` stops gracefully.
    startEngine('a');
    startEngine('b');
    startEngine('c2');
    mark('engines started');
    let elected: Gw | undefined;
    await wait(
      'a cluster1 gateway active',
      async () => {
        elected = (await role('a')) === 'active' ? 'a' : (await role('b')) === 'active' ? 'b' : undefined;
        return elected !== undefined;
      },
      START_CEILING_MS,
      500,
    );
    if (!elected) throw new Error('no cluster1 gateway became active');
    const first: Gw = elected;
    const second = other(first);
    failover.first = first;
    pinger = startInNs(NS.c2, 'ping', ['-D', '-n', '-i', '0.05', '-W', '1', '-I', '10.2.0.1', '10.1.0.1']);
    await steady(first, START_CEILING_MS);
    mark(`${first} active, ${second} standing by, cluster2 connected through ${first}`);
    // Never two active gateways in cluster1: sampled all along from here.
    sampler = setInterval(() => {
      void Promise.all([role('a'), role('b')]).then(([ra, rb]) => {
        failover.samples++;
        if (ra === 'active' && rb === 'active') failover.bothActive++;
      });
    }, 1000);

    let t0 = Date.now();
    await crash(first);
    mark(`gateway ${first} crashed (every process of its namespace SIGKILLed)`);
    const becameActive = wait(
      `gateway ${second} active after the crash`,
      async () => (await role(second)) === 'active',
      HANDOVER_CEILING_MS,
      200,
    );
    let ping = await firstReplyThrough(`a ping answered through gateway ${second} after the crash`, second, t0);
    failover.crashS = seconds(t0, ping);
    failover.crashActiveS = await becameActive;
    await cluster2ConnectedTo(second);
    failover.xfrmAfterCrash = withoutKeys((await sh('ip', ['-n', NS.c2, 'xfrm', 'state'])).stdout);
    failover.crashSteps = [
      ...handoverSteps(t0, stepsOf(first, second, false)),
      { what: `first ping answered through ${second}`, s: failover.crashS },
    ];
    say(`ha-transport: crash of the active gateway: first ping answered through ${second} after ${failover.crashS} s`);
    for (const line of formatSteps(failover.crashSteps)) say(`ha-transport:   crash ${line}`);
    startEngine(first); // its pod comes back, and stands by
    await steady(second, START_CEILING_MS);
    for (const g of [first, second]) {
      const st = await engines[g].status();
      failover.statusLines.push(`gw-${g}: ${st.ha?.role ?? '?'} (${st.ha?.message ?? ''})`);
    }
    mark(`${first} back, standing by`);

    t0 = Date.now();
    await engines[second].stop('SIGTERM', 60000);
    mark(`gateway ${second} stopped (SIGTERM)`);
    const firstActive = wait(
      `gateway ${first} active after the graceful stop`,
      async () => (await role(first)) === 'active',
      HANDOVER_CEILING_MS,
      200,
    );
    ping = await firstReplyThrough(`a ping answered through gateway ${first} after the graceful stop`, first, t0);
    failover.gracefulS = seconds(t0, ping);
    failover.gracefulActiveS = await firstActive;
    await cluster2ConnectedTo(first);
    failover.gracefulSteps = [
      ...handoverSteps(t0, stepsOf(second, first, true)),
      { what: `first ping answered through ${first}`, s: failover.gracefulS },
    ];
    say(`ha-transport: graceful stop: first ping answered through ${first} after ${failover.gracefulS} s`);
    for (const line of formatSteps(failover.gracefulSteps)) say(`ha-transport:   graceful ${line}`);
    res.completed = true;
  } catch (err) {
    res.error = err instanceof Error ? err.message : String(err);
    say(`ha-transport: FAILED: ${res.error}`);
  } finally {
    clearInterval(sampler);
    apiPriority(0);
    if (pinger) await stopChild(pinger.child, 2000);
    for (const e of Object.values(engines)) {
      await e.stop('SIGKILL').catch(() => undefined);
      await e.stopPluto().catch(() => undefined);
    }
    for (const [g, e] of Object.entries(engines)) {
      for (const [from, to] of [
        [e.logPath, `engine-${g}.log`],
        [join(e.spec.runDir, 'drivers', 'pluto', 'pluto.log'), `pluto-${g}.log`],
      ] as const)
        if (existsSync(from)) copyFileSync(from, join(out, to));
    }
    await api.close().catch(() => undefined);
    for (const n of Object.values(NS)) await sh('ip', ['netns', 'del', n]);
  }
}
