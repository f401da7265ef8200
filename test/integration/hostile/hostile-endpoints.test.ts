/**
 * The hostile-input suite on real network namespaces, with real engines and
 * the real VXLAN driver: every case of issue 11's "Observed" list, by name.
 * cluster1's engine reads an endpoints file that the test makes hostile;
 * cluster2's engine reads a clean one, so the cable between them carries a
 * real ping throughout. For each rejected item it asserts: no crash (the
 * engine answers and is SERVING), the error names the field, the kernel
 * state (FDB, routes, rules) is unchanged, the other cables are untouched
 * and the underlay is still reachable (ping). Prints how many inputs it
 * tried, rejected and crashed on. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { stringify } from 'yaml';
import { EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { bridgeJson, canUseNetns, connectVeth, createNetns, ipJson, nsExec, run, waitFor } from '../../../lab/netns.js';
import type { GatewayStatus } from '../../../src/generated/cabled/engine/v1/engine.js';
import { call } from '../../../src/lib/grpc/call.js';
import fc from 'fast-check';
import { endpointEntry } from '../../hostile/generators.js';
import { Tally, printTallies } from '../../hostile/tally.js';

const tag = `${process.pid % 100000}`;
const NS1 = `cbt-trustep-${tag}-a`;
const NS2 = `cbt-trustep-${tag}-b`;
const IP1 = '172.31.7.1';
const IP2 = '172.31.7.2';
const IP3 = '172.31.7.3'; // cluster3: listed, never reachable

type Entry = Record<string, unknown>;
const entry = (cluster: string, ip: string, subnets: string[], extra: Entry = {}): Entry => ({
  cluster_id: cluster,
  hostname: `gw-${cluster}`,
  private_ip: ip,
  subnets,
  backend: 'vxlan',
  ...extra,
});
const BASE = [
  entry('cluster1', IP1, ['10.1.0.0/16']),
  entry('cluster2', IP2, ['10.2.0.0/16']),
  entry('cluster3', IP3, ['10.3.0.0/16']),
];

interface KernelState {
  fdb: string[];
  table100: string[];
  rules: string[];
  main: string[];
}
async function kernel(ns: string): Promise<KernelState> {
  const fdb = await bridgeJson<{ mac: string; dst?: string }[]>(ns, 'fdb', 'show', 'dev', 'vxlan-tunnel');
  const routes = (table: string) =>
    ipJson<{ dst: string; gateway?: string; dev?: string }[]>(ns, 'route', 'show', 'table', table);
  const fmt = (r: { dst: string; gateway?: string; dev?: string }) => `${r.dst} via ${r.gateway ?? '-'} dev ${r.dev}`;
  return {
    fdb: fdb.map((e) => `${e.mac} ${e.dst ?? ''}`).sort(),
    table100: (await routes('100')).map(fmt).sort(),
    rules: (await ipJson<{ priority: number; table: string; src?: string }[]>(ns, 'rule', 'show'))
      .map((r) => `${r.priority} ${r.src ?? ''} ${r.table}`)
      .sort(),
    main: (await routes('main')).map(fmt).sort(),
  };
}
const ping = (ns: string, dst: string, src?: string) =>
  nsExec(ns, 'ping', ['-c', '1', '-W', '2', ...(src ? ['-I', src] : []), dst]);

describe('hostile endpoints on real namespaces: every Observed case of issue 11 (integration, root)', function () {
  this.timeout(120000);
  const tally = new Tally('endpoint cases on real engines');
  const generated = new Tally('generated endpoints files on a real engine');
  let work: string;
  let file1: string;
  let file2: string;
  let e1: EngineProcess;
  let e2: EngineProcess;
  let baseline: KernelState;

  const write = (path: string, entries: unknown[]) => writeFile(path, stringify(entries));
  const status1 = () => e1.status();

  /** Waits for a reconcile that started after `since` (the engine reconciles every second here). */
  async function reconciledAfter(since: number): Promise<GatewayStatus> {
    let s: GatewayStatus | undefined;
    await waitFor(
      'a reconcile after the change',
      async () => {
        s = await status1();
        return s.lastReconcileUnixMs > since;
      },
      20000,
    );
    return s as GatewayStatus;
  }

  /** The engine is alive and serving, the other cables are connected, the underlay and the overlay carry pings. */
  async function stillHealthy(): Promise<void> {
    assert.ok(e1.pid > 0 && (await e1.serving()), 'cluster1 engine SERVING');
    const conns = await e1.connections();
    const byCluster = Object.fromEntries(conns.map((c) => [c.endpoint?.clusterId, c.status]));
    assert.equal(byCluster.cluster2, 1, 'cable to cluster2 connected');
    assert.equal(byCluster.cluster3, 1, 'cable to cluster3 connected');
    await ping(NS1, IP2);
    await ping(NS1, '10.2.0.1', '10.1.0.1');
  }

  /**
   * Adds `hostile` to cluster1's file, waits until the engine rejects it
   * naming `field`, then checks nothing changed; restores the file.
   */
  async function rejects(hostile: unknown, field: RegExp): Promise<string> {
    let rejected = '';
    await tally.run(
      async () => {
        const since = Date.now();
        await write(file1, [...BASE, hostile]);
        await waitFor(
          'the entry to be rejected',
          async () => {
            rejected = (await status1()).rejectedEndpoints.join('\n');
            return rejected !== '';
          },
          20000,
        );
        assert.match(rejected, field);
        assert.ok(rejected.length < 4096, `rejection of ${rejected.length} characters`);
        await reconciledAfter(since);
        assert.deepEqual(await kernel(NS1), baseline, 'kernel state unchanged');
        await stillHealthy();
        return false;
      },
      () => false,
    );
    await write(file1, BASE);
    await waitFor('the file to be clean again', async () => (await status1()).rejectedEndpoints.length === 0, 20000);
    return rejected;
  }

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), `cbt-trustep-${tag}-`));
    file1 = join(work, 'endpoints1.yaml');
    file2 = join(work, 'endpoints2.yaml');
    await write(file1, BASE);
    await write(file2, BASE);
    await createNetns(NS1);
    await createNetns(NS2);
    await connectVeth({ ns: NS1, name: 'eth-ta', cidr: `${IP1}/24` }, { ns: NS2, name: 'eth-tb', cidr: `${IP2}/24` });
    await run('ip', ['-n', NS1, 'addr', 'add', '10.1.0.1/32', 'dev', 'lo']);
    await run('ip', ['-n', NS2, 'addr', 'add', '10.2.0.1/32', 'dev', 'lo']);
    const common = ['--resync-interval', '1', '--no-health-check'];
    e1 = new EngineProcess({
      ns: NS1,
      clusterId: 'cluster1',
      privateIp: IP1,
      subnets: ['10.1.0.0/16'],
      endpointsPath: file1,
      runDir: join(work, 'run1'),
      extraArgs: common,
    });
    e2 = new EngineProcess({
      ns: NS2,
      clusterId: 'cluster2',
      privateIp: IP2,
      subnets: ['10.2.0.0/16'],
      endpointsPath: file2,
      runDir: join(work, 'run2'),
      extraArgs: common,
    });
    e1.start();
    e2.start();
    await waitFor('both engines SERVING', async () => (await e1.serving()) && (await e2.serving()), 60000);
    await waitFor(
      'the overlay ping',
      async () => {
        await ping(NS1, '10.2.0.1', '10.1.0.1');
        return true;
      },
      20000,
    );
    baseline = await kernel(NS1);
    assert.equal(baseline.fdb.length, 2, `two FDB entries: ${baseline.fdb.join(', ')}`);
  });

  after(async function () {
    printTallies([tally, generated]);
    await tearDownEngines({
      engines: [e1, e2],
      namespaces: [NS1, NS2],
      work,
      failed: this.currentTest?.state === 'failed',
      signal: 'SIGKILL',
    });
  });

  it('should refuse subnet 0.0.0.0/0 (a default route), naming the field', async () => {
    const why = await rejects(
      entry('cluster4', '172.31.7.4', ['0.0.0.0/0']),
      /subnets="0\.0\.0\.0\/0": a default route/,
    );
    assert.match(why, /cluster_id "cluster4"/);
  });

  it("should refuse a subnet inside the local cluster's subnets (10.1.5.0/24 in 10.1.0.0/16)", async () => {
    await rejects(
      entry('cluster4', '172.31.7.4', ['10.1.5.0/24']),
      /subnets="10\.1\.5\.0\/24": overlaps the local cluster's subnet 10\.1\.0\.0\/16/,
    );
  });

  for (const [ip, reason] of [
    ['0.0.0.0', /"this network"/],
    ['127.0.0.1', /loopback/],
    ['255.255.255.255', /broadcast/],
    ['224.0.0.1', /multicast/],
    [IP1, /this gateway's own private IP/],
  ] as const) {
    it(`should refuse private_ip ${ip}, naming the field`, async () => {
      await rejects(
        entry('cluster4', ip, ['10.44.0.0/16']),
        new RegExp(`private_ip="${ip.replaceAll('.', '\\.')}": .*${reason.source}`),
      );
    });
  }

  it("should not touch other cables' FDB entries when a bad endpoint comes and goes", async () => {
    await write(file1, [...BASE, entry('cluster4', '0.0.0.0', ['10.44.0.0/16'])]);
    await waitFor('the rejection', async () => (await status1()).rejectedEndpoints.length === 1, 20000);
    const since = Date.now();
    await write(file1, BASE);
    // Watch the FDB through the removal and two resyncs: the other cables' entries never go.
    const deadline = since + 2500;
    while (Date.now() < deadline) {
      assert.deepEqual((await kernel(NS1)).fdb, baseline.fdb);
      await new Promise((r) => setTimeout(r, 100));
    }
    await reconciledAfter(since);
    await stillHealthy();
    tally.tried++;
    tally.rejected++;
  });

  it('should give overlapping subnets to the older cluster, name it on the younger cable, and never flap', async () => {
    tally.tried++;
    const young = entry('cluster4', '172.31.7.4', ['10.2.0.0/16', '10.44.0.0/16'], {
      creationTimestamp: '2026-11-30T10:00:00Z',
    });
    await write(file1, [...BASE, young]);
    let s: GatewayStatus | undefined;
    await waitFor(
      'the conflict in status',
      async () => {
        s = await status1();
        return s.endpointConflicts.length > 0;
      },
      20000,
    );
    assert.match(
      s?.endpointConflicts.join('\n') ?? '',
      /cluster cluster4 .*: subnets not installed: 10\.2\.0\.0\/16 overlaps 10\.2\.0\.0\/16 of cluster cluster2, which is older/,
    );
    await waitFor(
      "cluster4's cable to say who holds the subnet",
      async () => {
        const c = (await e1.connections()).find((x) => x.endpoint?.clusterId === 'cluster4');
        return /10\.2\.0\.0\/16 \(overlaps 10\.2\.0\.0\/16 of cluster cluster2/.test(c?.statusMessage ?? '');
      },
      20000,
    );
    // Through three resyncs (one a second), 10.2.0.0/16 stays on cluster2's VTEP.
    const deadline = Date.now() + 3500;
    while (Date.now() < deadline) {
      const t100 = (await kernel(NS1)).table100;
      assert.ok(t100.includes('10.2.0.0/16 via 241.31.7.2 dev vxlan-tunnel'), t100.join(', '));
      assert.ok(!t100.some((r) => r.startsWith('10.2.0.0/16 via 241.31.7.4')), t100.join(', '));
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.ok((await kernel(NS1)).table100.includes('10.44.0.0/16 via 241.31.7.4 dev vxlan-tunnel'));
    await stillHealthy();
    await write(file1, BASE);
    await waitFor('the conflict to clear', async () => (await status1()).endpointConflicts.length === 0, 20000);
    await waitFor('cluster4 removed', async () => (await kernel(NS1)).fdb.length === 2, 20000);
  });

  it('should refuse a 100 KB hostname, naming the field without echoing it', async () => {
    const why = await rejects(
      entry('cluster4', '172.31.7.4', ['10.44.0.0/16'], { hostname: 'h'.repeat(100 * 1024) }),
      /hostname=".*": longer than 253 characters \(102400\)/,
    );
    assert.ok(why.length < 1024);
  });

  it('should refuse 5000 subnets, naming the limit', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => `10.${100 + (i >> 8)}.${i & 255}.0/24`);
    await rejects(
      entry('cluster4', '172.31.7.4', many),
      /subnets="5000 subnets": more than 256 subnets \(the endpoint-max-subnets limit\)/,
    );
  });

  it('should refuse a 10 MB endpoints file naming the limit, keep the endpoints in force, then install a new endpoint', async () => {
    tally.tried++;
    tally.rejected++;
    const filler = 'x'.repeat(10 * 1024 * 1024);
    await writeFile(file1, `${stringify(BASE)}# ${filler}\n`);
    await waitFor(
      'the file to be refused',
      async () =>
        /more than 4194304 \(the endpoints-max-file-bytes limit\)/.test(
          (await status1()).endpointSourceErrors.join('\n'),
        ),
      20000,
    );
    assert.deepEqual(await kernel(NS1), baseline);
    await stillHealthy();
    await write(file1, [...BASE, entry('cluster5', '172.31.7.5', ['10.55.0.0/16'])]);
    await waitFor(
      'the new endpoint installed',
      async () => (await kernel(NS1)).table100.includes('10.55.0.0/16 via 241.31.7.5 dev vxlan-tunnel'),
      20000,
    );
    assert.deepEqual((await status1()).endpointSourceErrors, []);
    await write(file1, BASE);
    await waitFor('cluster5 removed', async () => (await kernel(NS1)).fdb.length === 2, 20000);
  });

  it('should refuse a GetConnection name of 100 KB at once, and keep answering', async () => {
    tally.tried++;
    tally.rejected++;
    const client = e1.gatewayClient();
    const started = Date.now();
    const err = await call(
      client.getConnection.bind(client),
      { name: 'n'.repeat(100 * 1024) },
      { timeoutMs: 10000 },
    ).then(
      () => assert.fail('expected a refusal'),
      (e: ServiceError) => e,
    );
    assert.ok(
      err.code === status.RESOURCE_EXHAUSTED || err.code === status.INVALID_ARGUMENT,
      `code ${status[err.code]}`,
    );
    assert.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms`);
    const ok = await call(client.getConnection.bind(client), { name: 'cluster2' });
    assert.equal(ok.connection?.endpoint?.clusterId, 'cluster2');
  });

  it('should pick the same winner among timestamp-less endpoints of one cluster on every engine and across restarts, and list the other', async () => {
    tally.tried++;
    // cluster3's second gateway, added later, has the smaller cable name: it must not win by arriving later.
    const later = entry('cluster3', '172.31.7.13', ['10.3.0.0/16']);
    await write(file1, [...BASE, later]);
    await write(file2, [...BASE, later]);
    const expectSuperseded = async (e: EngineProcess) =>
      waitFor(
        `${e.spec.clusterId} to list the superseded endpoint`,
        async () => {
          const s = await e.status();
          return (
            s.supersededEndpoints.length === 1 &&
            /submariner-cable-cluster3-172-31-7-13 .*superseded by submariner-cable-cluster3-172-31-7-3 .*neither has a creation time/.test(
              s.supersededEndpoints[0] ?? '',
            )
          );
        },
        20000,
      );
    await expectSuperseded(e1);
    await expectSuperseded(e2);
    const usingIp = async (e: EngineProcess) =>
      (await e.connections()).find((c) => c.endpoint?.clusterId === 'cluster3')?.usingIp;
    assert.equal(await usingIp(e1), IP3);
    assert.equal(await usingIp(e2), IP3);
    await e1.stop();
    e1.start();
    await waitFor('cluster1 SERVING again', () => e1.serving(), 60000);
    await expectSuperseded(e1);
    assert.equal(await usingIp(e1), IP3);
    await stillHealthy();
    await write(file1, BASE);
    await write(file2, BASE);
  });

  it('should keep the underlay, the rules and the main table whatever generated endpoints files say', async () => {
    const runs = Number(process.env.CABLED_HOSTILE_ENGINE_RUNS ?? 15);
    const seed = Number(process.env.CABLED_HOSTILE_SEED ?? Date.now() % 2 ** 31);
    process.stdout.write(`      generated files: ${runs} runs, seed ${seed} (CABLED_HOSTILE_SEED to replay)\n`);
    const samples = fc.sample(fc.array(endpointEntry, { minLength: 1, maxLength: 3 }), { numRuns: runs, seed });
    for (const [n, entries] of samples.entries()) {
      // A marker endpoint, oldest of all (no time, smallest cluster id), tells when the file has been applied.
      const markerIp = `172.31.9.${n + 1}`;
      const marker = entry('0marker', markerIp, [`10.200.${n}.0/24`]);
      await generated.run(
        async () => {
          await write(file1, [...BASE, marker, ...entries]);
          await waitFor(
            `run ${n}: the marker cable at ${markerIp}`,
            async () =>
              (await e1.connections()).some((c) => c.endpoint?.clusterId === '0marker' && c.usingIp === markerIp),
            20000,
          );
          const s = await status1();
          const k = await kernel(NS1);
          assert.ok(await e1.serving(), `run ${n}: SERVING`);
          assert.deepEqual(k.rules, baseline.rules, `run ${n}: rules`);
          assert.deepEqual(k.main, baseline.main, `run ${n}: main table`);
          for (const r of k.table100) {
            assert.ok(!r.startsWith('default') && !r.startsWith('0.0.0.0/'), `run ${n}: ${r}`);
            assert.ok(!/^10\.1\./.test(r), `run ${n}: a local subnet routed into the tunnel: ${r}`);
          }
          for (const f of k.fdb)
            assert.match(f, /^\S+ (?!0\.|127\.|22[4-9]\.|2[3-5]\d\.)\d+\.\d+\.\d+\.\d+$/, `run ${n}: FDB ${f}`);
          await ping(NS1, IP2);
          return s.rejectedEndpoints.length === 0 && s.endpointConflicts.length === 0;
        },
        () => false,
      );
    }
    await write(file1, BASE);
    await waitFor('back to the base endpoints', async () => (await kernel(NS1)).fdb.length === 2, 20000);
    await stillHealthy();
  });
});
