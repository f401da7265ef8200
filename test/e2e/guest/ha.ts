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
import { join } from 'node:path';
import { EngineProcess } from '../../../lab/engine-process.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';
import { linkToHost } from '../../helpers/host-link.js';
import type { FailoverResult, ScenarioResult } from '../harness/types.js';
import { must, sh, startInNs, stopChild, withoutKeys } from './sh.js';

type Gw = 'a' | 'b';
const NS = { sw: 'ha-sw', a: 'ha-1a', b: 'ha-1b', c2: 'ha-2' } as const;
const UNDERLAY = { a: '172.29.60.11', b: '172.29.60.12', c2: '172.29.60.21' } as const;
const TTL = { a: 61, b: 62 } as const;
const BROKER = 'ha-broker';
const LEASE_NS = { cluster1: 'ha-cluster1', cluster2: 'ha-cluster2' } as const;
const other = (g: Gw): Gw => (g === 'a' ? 'b' : 'a');
const PSK = 'cabled-e2e-ha-psk-0123456789abcdef0123456789';

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

/** One ping reply: when (ms, wall clock) and through which gateway (by TTL). */
interface Reply {
  at: number;
  ttl: number;
}

export async function runHaTransport({ res, wait, mark, say, work, out }: HaContext): Promise<void> {
  const api = new FakeKubeApi();
  const engines = {} as Record<Gw | 'c2', EngineProcess>;
  const replies: Reply[] = [];
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
  };
  res.failover = failover;

  const role = async (g: Gw): Promise<string> =>
    (await engines[g]?.status().catch(() => undefined))?.ha?.role ?? 'down';
  const readReplies = (): void => {
    const text = pinger?.output() ?? '';
    const end = text.lastIndexOf('\n') + 1;
    for (const line of text.slice(parsed, end).split('\n')) {
      const m = /^\[(\d+\.\d+)\].* ttl=(\d+)/.exec(line);
      if (m) replies.push({ at: Math.round(Number(m[1]) * 1000), ttl: Number(m[2]) });
    }
    parsed = end;
  };
  /** Seconds from t0 to the first reply after t0 answered through gateway g. */
  const firstReplyThrough = async (what: string, g: Gw, t0: number): Promise<number> => {
    let found: Reply | undefined;
    await wait(
      what,
      async () => {
        readReplies();
        found = replies.find((r) => r.at >= t0 && r.ttl === TTL[g]);
        return found !== undefined;
      },
      300000,
      100,
    );
    return Math.round(((found?.at ?? t0) - t0) / 100) / 10;
  };
  const startEngine = (g: Gw | 'c2'): void => {
    const cluster = g === 'c2' ? 'cluster2' : 'cluster1';
    const configDir = join(work, `config-${g}`);
    writeKubeletVolume(configDir, {
      ceCustomConfig: `ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\nceIPSecPSK: "${PSK}"\n`,
    });
    engines[g] = new EngineProcess({
      ns: NS[g],
      clusterId: cluster,
      privateIp: UNDERLAY[g],
      subnets: [g === 'c2' ? '10.2.0.0/16' : '10.1.0.0/16'],
      endpointsPath: '',
      runDir: join(work, `run-${g}`),
      extraArgs: [
        '--driver',
        'libreswan',
        '--config',
        configDir,
        '--endpoints-source',
        'kubernetes',
        '--endpoints-namespace',
        BROKER,
        '--kubeconfig',
        join(work, `kubeconfig-${g}`),
        '--leader-election',
        '--lease-namespace',
        LEASE_NS[cluster],
        '--node-name',
        `gw-${g}`,
        '--no-health-check',
      ],
    });
    engines[g].start();
  };
  /** Waits until `act` is active and the other cluster1 gateway stands by. */
  const roles = (act: Gw, ceilingMs: number): Promise<number> =>
    wait(
      `gateway ${act} active, ${other(act)} standing by`,
      async () => (await role(act)) === 'active' && (await role(other(act))) === 'standby',
      ceilingMs,
      500,
    );
  /** A pod's death: every process of the gateway's namespace (engine, driver, pluto) SIGKILLed. */
  const crash = async (g: Gw): Promise<void> => {
    const pids = (await sh('ip', ['netns', 'pids', NS[g]])).stdout.split(/\s+/).filter(Boolean);
    if (pids.length) await sh('kill', ['-9', ...pids]);
    await engines[g].stop('SIGKILL');
  };

  try {
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

    startEngine('a');
    startEngine('c2');
    await wait('gateway a active', async () => (await role('a')) === 'active', 300000, 500);
    startEngine('b');
    mark('engines started');
    pinger = startInNs(NS.c2, 'ping', ['-D', '-n', '-i', '0.05', '-W', '1', '-I', '10.2.0.1', '10.1.0.1']);
    await firstReplyThrough('a ping answered through gateway a (IKE and ESP up with cluster2)', 'a', Date.now());
    await roles('a', 300000);
    mark('a active, b standing by, cluster2 connected through a');
    // Never two active gateways in cluster1: sampled all along from here.
    sampler = setInterval(() => {
      void Promise.all([role('a'), role('b')]).then(([ra, rb]) => {
        failover.samples++;
        if (ra === 'active' && rb === 'active') failover.bothActive++;
      });
    }, 1000);

    let t0 = Date.now();
    await crash('a');
    mark('gateway a crashed (every process of its namespace SIGKILLed)');
    const becameActive = wait(
      'gateway b active after the crash',
      async () => (await role('b')) === 'active',
      300000,
      200,
    );
    failover.crashS = await firstReplyThrough('a ping answered through gateway b after the crash', 'b', t0);
    failover.crashActiveS = await becameActive;
    failover.xfrmAfterCrash = withoutKeys((await sh('ip', ['-n', NS.c2, 'xfrm', 'state'])).stdout);
    say(
      `ha-transport: crash of the active gateway: first ping answered through b after ${failover.crashS} s (b active after ${failover.crashActiveS} s)`,
    );
    startEngine('a'); // its pod comes back, and stands by
    await roles('b', 300000);
    mark('a back, standing by');

    t0 = Date.now();
    await engines.b.stop('SIGTERM', 60000);
    mark('gateway b stopped (SIGTERM)');
    const aActive = wait(
      'gateway a active after the graceful stop',
      async () => (await role('a')) === 'active',
      300000,
      200,
    );
    failover.gracefulS = await firstReplyThrough('a ping answered through gateway a after the graceful stop', 'a', t0);
    failover.gracefulActiveS = await aActive;
    say(
      `ha-transport: graceful stop: first ping answered through a after ${failover.gracefulS} s (a active after ${failover.gracefulActiveS} s)`,
    );
    startEngine('b');
    await roles('a', 300000);
    for (const g of ['a', 'b'] as const) {
      const st = await engines[g].status();
      failover.statusLines.push(`gw-${g}: ${st.ha?.role ?? '?'} (${st.ha?.message ?? ''})`);
    }
    mark('b back, standing by');
    res.completed = true;
  } catch (err) {
    res.error = err instanceof Error ? err.message : String(err);
    say(`ha-transport: FAILED: ${res.error}`);
  } finally {
    clearInterval(sampler);
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
