/**
 * Active/passive failover, measured: three real engines with the real VXLAN
 * driver in network namespaces (two gateways of cluster1, one of cluster2),
 * on one underlay bridge, electing and publishing through a local HTTP
 * server standing in for the Kubernetes API (its Lease enforces
 * resourceVersion conflicts as the API server does; it also plays the
 * broker that carries the Endpoints between the clusters). Submariner's
 * default election settings (lease 10 s, renew deadline 5 s, retry 2 s).
 *
 * Both cluster1 gateways hold the cluster1 address 10.1.0.1 (what the route
 * agent makes of whichever gateway is active); cluster2 routes 10.1.0.0/16
 * to the gateway whose Endpoint is published. A continuous ping (20/s) from
 * cluster2's 10.2.0.1 tells which gateway answers by the TTL of the reply
 * (each cluster1 namespace has its own default TTL). Printed: the time from
 * a kill or a stop to the first ping answered through the new gateway.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CABLECTL_MAIN, type EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { HA_TTL, haGateway, type PingReply, pingReplies } from '../../../lab/ha-gateway.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';
import { linkToHost } from '../../helpers/host-link.js';
import {
  bridgeJson,
  canUseNetns,
  connectVeth,
  createNetns,
  deleteNetns,
  ip,
  ipJson,
  nsExec,
  run,
  waitFor,
} from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const SW = `cbt-ha-${tag}-sw`;
const NS = { a: `cbt-ha-${tag}-1a`, b: `cbt-ha-${tag}-1b`, c2: `cbt-ha-${tag}-2` } as const;
const UNDERLAY = { a: '172.29.50.11', b: '172.29.50.12', c2: '172.29.50.21' } as const;
const TTL = HA_TTL;
const NET = 10 + (process.pid % 240); // host-side /30s, 10.253.<NET>.x, unlikely to collide
const BROKER = 'cbt-ha-broker';
const LEASE_NS = { cluster1: 'cbt-ha-cluster1', cluster2: 'cbt-ha-cluster2' } as const;
const CABLE = { a: 'submariner-cable-cluster1-172-29-50-11', b: 'submariner-cable-cluster1-172-29-50-12' } as const;

type Gw = 'a' | 'b';
interface FdbJson {
  mac: string;
  dst?: string;
}
interface RouteJson {
  dst: string;
  gateway?: string;
}

const other = (g: Gw): Gw => (g === 'a' ? 'b' : 'a');
const figures: string[] = [];
/** Raw ping output with the time each chunk was read, and test events: kept with CABLED_TEST_LOG_DIR. */
const pingRaw: string[] = [];
const marks: string[] = [];
const mark = (what: string): void => void marks.push(`${new Date().toISOString()} ${what}`);

describe('active/passive failover of cluster1 gateways (local HTTP server standing in for the Kubernetes API, Lease with resourceVersion conflicts, real VXLAN in namespaces)', function () {
  this.timeout(240000);
  let api: FakeKubeApi;
  let work: string;
  const engines = {} as Record<Gw | 'c2', EngineProcess>;
  let pinger: ChildProcess | undefined;
  const replies: PingReply[] = [];
  let sampler: NodeJS.Timeout | undefined;
  let bothActive = 0;
  const roles: Record<Gw, string> = { a: '', b: '' };

  const role = async (g: Gw): Promise<string> => {
    try {
      return (await engines[g].status()).ha?.role ?? '';
    } catch {
      return 'down';
    }
  };
  const active = async (): Promise<Gw | undefined> =>
    (await role('a')) === 'active' ? 'a' : (await role('b')) === 'active' ? 'b' : undefined;
  const holder = (): string =>
    String(
      (api.lease(LEASE_NS.cluster1, 'submariner-gateway-lock')?.spec as { holderIdentity?: string })?.holderIdentity,
    );

  /** Time from `t0` to the first reply answered by gateway `g` (by its TTL) after t0. */
  const firstReplyFrom = async (g: Gw, t0: number, timeoutMs: number): Promise<number> => {
    let found: PingReply | undefined;
    await waitFor(
      `a ping answered through gateway ${g}`,
      async () => {
        found = replies.find((r) => r.at >= t0 && r.ttl === TTL[g]);
        return found !== undefined;
      },
      timeoutMs,
      20,
    );
    return (found?.at ?? 0) - t0;
  };

  const startEngine = (g: Gw | 'c2'): EngineProcess => {
    const e = haGateway({ ns: NS, underlay: UNDERLAY, work, broker: BROKER, leaseNamespace: LEASE_NS }, g);
    engines[g] = e;
    e.start();
    return e;
  };

  /** Waits until cluster2 has exactly one cable, to gateway g, in the kernel (FDB + table 100). */
  const cluster2PointsAt = async (g: Gw): Promise<void> => {
    await waitFor(
      `cluster2's datapath pointing at gateway ${g} only`,
      async () => {
        const fdb = (await bridgeJson<FdbJson[]>(NS.c2, 'fdb', 'show', 'dev', 'vxlan-tunnel'))
          .filter((f) => f.mac === '00:00:00:00:00:00')
          .map((f) => f.dst);
        const routes = (await ipJson<RouteJson[]>(NS.c2, 'route', 'show', 'table', '100')).map(
          (r) => `${r.dst} via ${r.gateway}`,
        );
        const vtep = `241.${UNDERLAY[g].split('.').slice(1).join('.')}`;
        return fdb.join() === UNDERLAY[g] && routes.join() === `10.1.0.0/16 via ${vtep}`;
      },
      20000,
    );
  };

  const endpointsOfCluster1 = (): string[] =>
    api
      .endpointObjects()
      .filter((o) => (o.spec as { cluster_id?: string }).cluster_id === 'cluster1')
      .map((o) => String((o.metadata as { name?: string }).name))
      .sort();

  /** The standby is Ready, has no cable, and shows standby; the active one the opposite. */
  const assertRoles = async (act: Gw): Promise<void> => {
    const stby = other(act);
    await waitFor(
      `gateway ${act} active and ${stby} standing by`,
      async () => (await role(act)) === 'active' && (await role(stby)) === 'standby',
      120000,
    );
    await waitFor(
      `gateway ${stby} Ready while standing by, with no cable`,
      async () => (await engines[stby].serving()) && (await engines[stby].connections()).length === 0,
      60000,
    );
    // Starting cablectl (a Node process) takes seconds on a busy machine.
    const text = (await run(process.execPath, [CABLECTL_MAIN, '--socket', engines[stby].socket, 'status'], 60000))
      .stdout;
    assert.match(text, /HA status:\s+passive \(standby\)/);
    assert.match(text, new RegExp(`Active gateway:\\s+gw-${act}-submariner-gateway`));
    const activeText = (await run(process.execPath, [CABLECTL_MAIN, '--socket', engines[act].socket, 'status'], 60000))
      .stdout;
    assert.match(activeText, /HA status:\s+active \(active\)/);
    assert.match(activeText, /\(this gateway\)/);
  };

  before(async function () {
    if (!canUseNetns()) this.skip();
    work = await mkdtemp(join(tmpdir(), `cbt-ha-${tag}-`));
    for (const n of [SW, ...Object.values(NS)]) {
      await deleteNetns(n);
      await createNetns(n);
    }
    await ip(SW, 'link', 'add', 'br0', 'type', 'bridge');
    await ip(SW, 'link', 'set', 'br0', 'up');
    api = new FakeKubeApi();
    await api.start('0.0.0.0');
    const port = new URL(api.url).port;
    for (const [i, g] of (['a', 'b', 'c2'] as const).entries()) {
      await connectVeth({ ns: NS[g], name: 'eth0', cidr: `${UNDERLAY[g]}/24` }, { ns: SW, name: `p${g}` });
      await ip(SW, 'link', 'set', `p${g}`, 'master', 'br0');
      const hostIp = `10.253.${NET}.${4 * i + 1}`;
      await linkToHost({ ns: NS[g], hostIf: `ha${tag}${g}`, hostIp, nsIf: 'api0', nsIp: `10.253.${NET}.${4 * i + 2}` });
      await writeFile(join(work, `kubeconfig-${g}`), api.kubeconfigText(`http://${hostIp}:${port}`));
    }
    for (const g of ['a', 'b'] as const) {
      await ip(NS[g], 'addr', 'add', '10.1.0.1/32', 'dev', 'lo');
      await nsExec(NS[g], 'sysctl', ['-qw', `net.ipv4.ip_default_ttl=${TTL[g]}`]);
    }
    await ip(NS.c2, 'addr', 'add', '10.2.0.1/32', 'dev', 'lo');

    // Generous ceilings: a busy machine starts a Node process in many seconds.
    startEngine('a');
    await waitFor('gateway a active', async () => (await role('a')) === 'active', 120000);
    startEngine('b');
    startEngine('c2');
    await waitFor('gateway b standing by', async () => (await role('b')) === 'standby', 120000);
    await waitFor(
      'cluster2 active',
      async () => {
        try {
          return (await engines.c2.status()).ha?.role === 'active';
        } catch {
          return false;
        }
      },
      120000,
    );

    pinger = spawn(
      'ip',
      ['netns', 'exec', NS.c2, 'ping', '-D', '-n', '-i', '0.05', '-W', '1', '-I', '10.2.0.1', '10.1.0.1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let buffered = '';
    pinger.stdout?.setEncoding('utf8');
    pinger.stderr?.on('data', (chunk: Buffer) => pingRaw.push(`${Date.now()} stderr ${chunk.toString('utf8')}`));
    pinger.stdout?.on('data', (chunk: string) => {
      pingRaw.push(`${Date.now()} ${chunk}`);
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      replies.push(...pingReplies(lines));
    });
    // Never two active gateways in cluster1: sampled all along.
    sampler = setInterval(() => {
      void Promise.all([role('a'), role('b')]).then(([ra, rb]) => {
        roles.a = ra;
        roles.b = rb;
        if (ra === 'active' && rb === 'active') bothActive++;
      });
    }, 250);
  });

  after(async function () {
    clearInterval(sampler);
    pinger?.kill('SIGKILL');
    if (figures.length)
      process.stdout.write(
        `\n      HA failover figures (defaults 10/5/2 s):\n${figures.map((f) => `        ${f}\n`).join('')}`,
      );
    const keep = process.env.CABLED_TEST_LOG_DIR; // whole engine logs, for a look at a failover's timeline
    if (keep) {
      for (const g of ['a', 'b', 'c2'] as const) await writeFile(join(keep, `ha-${g}.log`), await engines[g].log());
      await writeFile(join(keep, 'ping.txt'), pingRaw.join(''));
      await writeFile(join(keep, 'marks.txt'), marks.join('\n'));
    }
    await tearDownEngines({
      engines: [engines.a, engines.b, engines.c2],
      namespaces: [...Object.values(NS), SW],
      work,
      failed: this.currentTest?.state === 'failed',
      signal: 'SIGKILL',
    });
    await api?.close();
  });

  it('should carry cluster2 to cluster1 through the elected gateway only, publish its Endpoint and both Gateways, and keep the standby Ready', async () => {
    await assertRoles('a');
    assert.equal(holder(), 'gw-a-submariner-gateway');
    await cluster2PointsAt('a');
    await firstReplyFrom('a', Date.now(), 20000);
    assert.deepEqual(endpointsOfCluster1(), [`cluster1-${CABLE.a}`]);
    await waitFor('Gateway resources of both cluster1 gateways', async () => {
      const gws = api.gatewayObjects(LEASE_NS.cluster1);
      const ha = Object.fromEntries(
        gws.map((g) => [(g.metadata as { name: string }).name, (g.status as { haStatus: string }).haStatus]),
      );
      return ha['gw-a'] === 'active' && ha['gw-b'] === 'passive';
    });
  });

  it('should fail over to the standby when the active gateway is killed (SIGKILL), within lease duration + 3 s', async () => {
    const from = (await active()) ?? 'a';
    const to = other(from);
    const t0 = Date.now();
    mark(`SIGKILL ${from}`);
    await engines[from].stop('SIGKILL');
    const ms = await firstReplyFrom(to, t0, 30000);
    figures.push(`SIGKILL of the active gateway ${from}: first ping answered through ${to} after ${ms} ms`);
    assert.ok(ms < 13000, `failover took ${ms} ms`);
    await cluster2PointsAt(to);
    // The killed gateway comes back (as its pod would) and stands by; its stale Endpoint is gone.
    startEngine(from);
    await assertRoles(to);
    assert.deepEqual(endpointsOfCluster1(), [`cluster1-${CABLE[to]}`]);
  });

  it('should fail over back when the new active gateway is killed too', async () => {
    const from = (await active()) ?? 'b';
    const to = other(from);
    const t0 = Date.now();
    mark(`SIGKILL ${from}`);
    await engines[from].stop('SIGKILL');
    const ms = await firstReplyFrom(to, t0, 30000);
    figures.push(`SIGKILL of the new active gateway ${from}: first ping answered through ${to} after ${ms} ms`);
    assert.ok(ms < 13000, `failover took ${ms} ms`);
    await cluster2PointsAt(to);
    startEngine(from);
    await assertRoles(to);
  });

  it('should hand over within 3 s on a graceful stop (SIGTERM), releasing the Lease', async () => {
    const from = (await active()) ?? 'a';
    const to = other(from);
    const t0 = Date.now();
    mark(`SIGTERM ${from}`);
    await engines[from].stop('SIGTERM');
    const ms = await firstReplyFrom(to, t0, 20000);
    figures.push(`graceful stop (SIGTERM) of ${from}: first ping answered through ${to} after ${ms} ms`);
    assert.ok(ms < 3000, `handover took ${ms} ms`);
    await cluster2PointsAt(to);
    await waitFor('the Gateway resource of the stopped gateway deleted', async () =>
      api.gatewayObjects(LEASE_NS.cluster1).every((g) => (g.metadata as { name: string }).name !== `gw-${from}`),
    );
    assert.deepEqual(endpointsOfCluster1(), [`cluster1-${CABLE[to]}`]);
    startEngine(from);
    await assertRoles(to);
  });

  it('should hand over within 3 s of the engine getting cablectl shutdown (the preStop hook)', async () => {
    const from = (await active()) ?? 'a';
    const to = other(from);
    const t0 = Date.now();
    mark(`cablectl shutdown ${from}`);
    await run(process.execPath, [CABLECTL_MAIN, '--socket', engines[from].socket, 'shutdown'], 30000);
    mark('cablectl shutdown returned');
    // Starting cablectl (a Node process) takes seconds on a busy machine; the handover counts from its request.
    const asked = /"message":"shutdown requested through the API"[^\n]*"timestamp":"([^"]+)"/.exec(
      (await engines[from].log())
        .split('\n')
        .filter((l) => l.includes('shutdown requested'))
        .at(-1) ?? '',
    )?.[1];
    assert.ok(asked, 'the engine logged the Shutdown request');
    const t1 = Date.parse(asked);
    const ms = await firstReplyFrom(to, t1, 20000);
    figures.push(
      `graceful stop (cablectl shutdown) of ${from}: first ping answered through ${to} ${ms} ms after the engine got the request (${t1 - t0} ms to start cablectl)`,
    );
    assert.ok(ms < 3000, `handover took ${ms} ms`);
    await cluster2PointsAt(to);
    await engines[from].stop('SIGTERM'); // already exited; collects it
    startEngine(from);
    await assertRoles(to);
  });

  it('should stand the active gateway down when the API is unreachable past the renew deadline, with no double leader and no flapping after', async () => {
    // cluster1's gateways lose the API (their links to it drop every packet); cluster2 keeps it.
    const before = (await active()) ?? 'a';
    const links = (['a', 'b'] as const).map((g) => `ha${tag}${g}`);
    for (const l of links) await run('ip', ['link', 'set', l, 'down']);
    const t0 = Date.now();
    try {
      await waitFor('the active gateway standing down', async () => (await role(before)) !== 'active', 15000);
      const stoodDown = Date.now() - t0;
      const why = (await engines[before].status()).ha?.message ?? '';
      assert.match(why, /could not renew the lease within the renew deadline \(5 s\)/);
      assert.ok(stoodDown < 5000 + 1500, `stood down ${stoodDown} ms after the API went away`);
      figures.push(
        `cluster1's API unreachable: active gateway ${before} stood down (cables removed) after ${stoodDown} ms`,
      );
      await waitFor('its cables removed', async () => (await engines[before].connections()).length === 0);
      await new Promise((r) => setTimeout(r, 8000)); // the outage lasts > lease duration
      assert.equal(await active(), undefined, 'nobody may be active while nobody can renew');
    } finally {
      for (const l of links) await run('ip', ['link', 'set', l, 'up']);
    }
    const t1 = Date.now();
    await waitFor('one active gateway again', async () => (await active()) !== undefined, 30000);
    const now = (await active()) as Gw;
    const ms = await firstReplyFrom(now, t1, 30000);
    figures.push(
      `API back after ${Math.round((t1 - t0) / 1000)} s: first ping answered through ${now} (was ${before}) after ${ms} ms`,
    );
    const holders = new Set<string>();
    const deadline = Date.now() + 12000; // longer than a lease duration
    while (Date.now() < deadline) {
      holders.add(holder());
      assert.equal(await active(), now, 'the active gateway changed after the API came back (flapping)');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual([...holders], [`gw-${now}-submariner-gateway`]);
    assert.equal(bothActive, 0, 'two active gateways were seen at the same time');
  });
});
