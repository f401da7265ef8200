/**
 * The VXLAN bench set-up shared by P2, P3 and P4: N remote endpoints, the real
 * engine and VXLAN driver in a namespace of their own, the kernel state they
 * should produce, and the same state applied by `bridge -batch` + `ip -batch`
 * (the baseline) in a fresh namespace.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineProcess } from '../lab/engine-process.js';
import { connectVeth, createNetns, deleteNetns, nsExec, run, waitFor } from '../lab/netns.js';
import { driverNodeFlags } from '../src/engine/driver-registry.js';

export const LOCAL_IP = '172.30.7.1';

export interface Remote {
  cluster: string;
  ip: string;
  subnet: string;
  vtep: string;
}

export function remotes(n: number): Remote[] {
  return Array.from({ length: n }, (_, i) => {
    const a = (i >> 8) & 255;
    const b = i & 255;
    return {
      cluster: `c${String(i).padStart(4, '0')}`,
      ip: `10.200.${a}.${b}`,
      subnet: `10.${100 + a}.${b}.0/24`,
      vtep: `241.200.${a}.${b}`,
    };
  });
}

export function endpointsJson(list: readonly Remote[]): string {
  return JSON.stringify(
    list.map((r) => ({ cluster_id: r.cluster, private_ip: r.ip, subnets: [r.subnet], backend: 'vxlan' })),
  );
}

function countOf(text: string, marker: string): number {
  let n = 0;
  for (let i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + 1)) n++;
  return n;
}

const FDB_MARK = '00:00:00:00:00:00 dst 10.200.';
const ROUTE_MARK = ' via 241.200.';
const RULE = /^100:\s+from all lookup 100/m;

export async function kernelCounts(ns: string): Promise<{ fdb: number; routes: number; rule: boolean }> {
  const [fdb, routes, rules] = await Promise.all([
    run('bridge', ['-n', ns, 'fdb', 'show', 'dev', 'vxlan-tunnel']),
    run('ip', ['-n', ns, 'route', 'show', 'table', '100']),
    run('ip', ['-n', ns, 'rule', 'show']),
  ]);
  return {
    fdb: countOf(fdb.stdout, FDB_MARK),
    routes: countOf(routes.stdout, ROUTE_MARK),
    rule: RULE.test(rules.stdout),
  };
}

/** A running engine (VXLAN driver) with no endpoints yet, in namespace `ns`. */
export interface VxlanEngine {
  engine: EngineProcess;
  work: string;
  endpointsPath: string;
  /** Replaces the endpoints file atomically; resolves right after the rename. */
  publish(list: readonly Remote[]): Promise<number>;
  stop(keep: boolean): Promise<void>;
}

export async function startVxlanEngine(
  tag: string,
  opts: { engineMain?: string; engineEnv?: Record<string, string> } = {},
): Promise<VxlanEngine> {
  const ns = `cbb-${tag}-eng`;
  const peer = `cbb-${tag}-peer`;
  const work = await mkdtemp(join(tmpdir(), `cbb-${tag}-`));
  await createNetns(ns);
  await createNetns(peer);
  await connectVeth(
    { ns, name: 'eth-bench', cidr: `${LOCAL_IP}/8` },
    { ns: peer, name: 'eth-peer', cidr: '10.255.255.254/8' },
  );
  const endpointsPath = join(work, 'endpoints.json');
  await writeFile(endpointsPath, '[]');
  const engine = new EngineProcess({
    ns,
    clusterId: 'local',
    privateIp: LOCAL_IP,
    subnets: ['10.0.0.0/24'],
    endpointsPath,
    runDir: join(work, 'run'),
    // The defaults a deployment runs with (lab/engine-process.ts polls status every 0.5 s for tests);
    // the file settle time (0.5 s by default, a wait for a writer to finish, not work) is off.
    extraArgs: ['--status-interval', '2', '--endpoints-settle', '0'],
    main: opts.engineMain,
    env: opts.engineEnv,
  });
  engine.start();
  const stop = async (keep: boolean) => {
    await engine.stop('SIGTERM');
    await deleteNetns(ns);
    await deleteNetns(peer);
    if (!keep) await rm(work, { recursive: true, force: true });
  };
  try {
    await waitFor('engine SERVING with no endpoints', () => engine.serving(), 60000, 50);
  } catch (err) {
    await stop(true);
    throw new Error(`${String(err)} (logs in ${work})`);
  }
  return {
    engine,
    work,
    endpointsPath,
    async publish(list) {
      await writeFile(`${endpointsPath}.new`, endpointsJson(list));
      const t = performance.now();
      await rename(`${endpointsPath}.new`, endpointsPath);
      return t;
    },
    stop,
  };
}

/**
 * Waits until every FDB entry, route and the rule of `list` is in namespace
 * `ns`'s kernel, polled every 10 ms, and resolves as the poll that saw the
 * last of them ends: an upper bound of when the kernel held them all, with
 * no check after it on the clock (the batch tools' clock stops at their
 * exit, before their check). One process per poll: the FDB until it is
 * complete (its entries stay, so it needs no second look), then the routes
 * with the rule. Three processes every 10 ms, each dumping thousands of
 * entries, took a good share of the 2 CPUs the engine and driver were timed
 * on, and a full re-check after the routes were complete added ~65 ms to
 * each 1000-endpoint round.
 */
export async function untilInKernel(ns: string, list: readonly Remote[], timeoutMs = 300000): Promise<void> {
  let fdbComplete = false;
  await waitFor(
    `${list.length} FDB entries and routes in the kernel`,
    async () => {
      if (!fdbComplete) {
        const fdb = await run('bridge', ['-n', ns, 'fdb', 'show', 'dev', 'vxlan-tunnel']);
        if (countOf(fdb.stdout, FDB_MARK) !== list.length) return false;
        fdbComplete = true;
      }
      const [routes, rules] = await Promise.all([
        run('ip', ['-n', ns, 'route', 'show', 'table', '100']),
        run('ip', ['-n', ns, 'rule', 'show']),
      ]);
      return countOf(routes.stdout, ROUTE_MARK) === list.length && RULE.test(rules.stdout);
    },
    timeoutMs,
    10,
  );
}

/** A veth pair inside `ns`, both ends up, `name` holding LOCAL_IP: the underlay a VXLAN device needs. */
async function addUnderlay(ns: string, name: string): Promise<void> {
  await run('ip', ['-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}2`]);
  await run('ip', ['-n', ns, 'addr', 'add', `${LOCAL_IP}/8`, 'dev', name]);
  await run('ip', ['-n', ns, 'link', 'set', name, 'up']);
  await run('ip', ['-n', ns, 'link', 'set', `${name}2`, 'up']);
}

/**
 * P2's floor: the VXLAN driver's overlay code alone (overlay-only.ts) installing `list` in a fresh
 * namespace, in a fresh process with the driver's V8 flags; ms, checked against the kernel.
 */
export async function overlayOnlyRun(tag: string, list: readonly Remote[]): Promise<number> {
  const ns = `cbb-${tag}-ovl`;
  await createNetns(ns);
  try {
    await addUnderlay(ns, 'eth-o');
    const program = fileURLToPath(new URL('./overlay-only.js', import.meta.url));
    const out = await nsExec(ns, process.execPath, [...driverNodeFlags('vxlan'), program, String(list.length)], 120000);
    const { ms } = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as { ms?: number };
    const c = await kernelCounts(ns);
    if (typeof ms !== 'number' || c.fdb !== list.length || c.routes !== list.length || !c.rule)
      throw new Error(`overlay-only left ${JSON.stringify(c)} (${out.stdout.trim()})`);
    return ms;
  } finally {
    await deleteNetns(ns);
  }
}

/** The baseline: `bridge -batch` (FDB entries) then `ip -batch` (rule and routes) in a fresh namespace; ms. */
export async function batchRun(tag: string, list: readonly Remote[], work: string): Promise<number> {
  const ns = `cbb-${tag}-bat`;
  await createNetns(ns);
  try {
    await addUnderlay(ns, 'eth-b');
    await run('ip', [
      ...['-n', ns, 'link', 'add', 'vxlan-tunnel', 'type', 'vxlan', 'id', '1000', 'dstport', '4500'],
      ...['local', LOCAL_IP, 'dev', 'eth-b', 'nolearning'],
    ]);
    await run('ip', ['-n', ns, 'addr', 'add', '241.30.7.1/8', 'dev', 'vxlan-tunnel']);
    await run('ip', ['-n', ns, 'link', 'set', 'vxlan-tunnel', 'up']);
    const fdbBatch = join(work, `fdb-${list.length}.batch`);
    const ipBatch = join(work, `ip-${list.length}.batch`);
    await writeFile(
      fdbBatch,
      `${list.map((r) => `fdb append 00:00:00:00:00:00 dev vxlan-tunnel dst ${r.ip} self permanent`).join('\n')}\n`,
    );
    await writeFile(
      ipBatch,
      `${[
        'rule add priority 100 lookup 100',
        ...list.map((r) => `route replace ${r.subnet} via ${r.vtep} dev vxlan-tunnel table 100 metric 100`),
      ].join('\n')}\n`,
    );
    const started = performance.now();
    await nsExec(ns, 'bridge', ['-batch', fdbBatch], 120000);
    await nsExec(ns, 'ip', ['-batch', ipBatch], 120000);
    const ms = performance.now() - started;
    const c = await kernelCounts(ns);
    if (c.fdb !== list.length || c.routes !== list.length || !c.rule)
      throw new Error(`batch tools left ${JSON.stringify(c)}`);
    return ms;
  } finally {
    await deleteNetns(ns);
  }
}
