/**
 * Benchmark (issue 2): 1000 remote endpoints in plain VXLAN mode, one
 * namespace. Measures the time from the endpoints file being written to every
 * FDB entry, route and the rule being in the kernel, through the real engine
 * and the real driver process; and, in the same run, `bridge -batch` +
 * `ip -batch` applying the same operations in a fresh namespace. Prints the
 * ratio and the engine's and driver's RSS. Run as root:
 *   node dist/bench/vxlan-1000.js [count]
 */
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineProcess } from '../lab/engine-process.js';
import { connectVeth, createNetns, deleteNetns, nsExec, run, waitFor } from '../lab/netns.js';

const COUNT = Number(process.argv[2] ?? 1000);
const tag = process.pid % 100000;
const NS = `cbb-${tag}-eng`;
const NS_PEER = `cbb-${tag}-peer`;
const NS_BATCH = `cbb-${tag}-bat`;
const LOCAL_IP = '172.30.7.1';

interface Remote {
  cluster: string;
  ip: string;
  subnet: string;
  vtep: string;
}

function remotes(n: number): Remote[] {
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

async function kernelCounts(ns: string): Promise<{ fdb: number; routes: number; rule: boolean }> {
  const [fdb, routes, rules] = await Promise.all([
    run('bridge', ['-n', ns, 'fdb', 'show', 'dev', 'vxlan-tunnel']),
    run('ip', ['-n', ns, 'route', 'show', 'table', '100']),
    run('ip', ['-n', ns, 'rule', 'show']),
  ]);
  return {
    fdb: fdb.stdout.split('\n').filter((l) => l.startsWith('00:00:00:00:00:00 dst 10.200.')).length,
    routes: routes.stdout.split('\n').filter((l) => l.includes(' via 241.200.')).length,
    rule: /^100:\s+from all lookup 100/m.test(rules.stdout),
  };
}

async function rssMb(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function engineRun(
  list: Remote[],
  work: string,
): Promise<{ ms: number; engine: { rss: number; peak: number }; driver: { rss: number; peak: number } }> {
  await createNetns(NS);
  await createNetns(NS_PEER);
  await connectVeth(
    { ns: NS, name: 'eth-bench', cidr: `${LOCAL_IP}/8` },
    { ns: NS_PEER, name: 'eth-peer', cidr: '10.200.255.254/8' },
  );
  const endpointsPath = join(work, 'endpoints.json');
  await writeFile(endpointsPath, '[]');
  const engine = new EngineProcess({
    ns: NS,
    clusterId: 'local',
    privateIp: LOCAL_IP,
    subnets: ['10.0.0.0/24'],
    endpointsPath,
    runDir: join(work, 'run'),
  });
  engine.start();
  try {
    await waitFor('engine SERVING with no endpoints', () => engine.serving(), 30000);
    const text = JSON.stringify(
      list.map((r) => ({ cluster_id: r.cluster, private_ip: r.ip, subnets: [r.subnet], backend: 'vxlan' })),
    );
    await writeFile(`${endpointsPath}.new`, text);
    const started = performance.now();
    await rename(`${endpointsPath}.new`, endpointsPath);
    let last = { fdb: 0, routes: 0, rule: false };
    await waitFor(
      `${list.length} FDB entries and routes in the kernel`,
      async () => {
        last = await kernelCounts(NS);
        return last.fdb === list.length && last.routes === list.length && last.rule;
      },
      120000,
      10,
    );
    const ms = performance.now() - started;
    const status = await engine.status();
    if (process.env.BENCH_LOG) {
      const lines = (await engine.log()).split('\n').filter((l) => /reconcil|endpoints|initialised/.test(l));
      console.log(lines.slice(-6).join('\n'));
      console.log('write at', new Date(Date.now() - (performance.now() - started)).toISOString());
    }
    return { ms, engine: await rssMb(engine.pid), driver: await rssMb(status.driver?.pid ?? 0) };
  } finally {
    await engine.stop('SIGTERM');
    await deleteNetns(NS);
    await deleteNetns(NS_PEER);
  }
}

async function batchRun(list: Remote[], work: string): Promise<number> {
  await createNetns(NS_BATCH);
  try {
    await run('ip', ['-n', NS_BATCH, 'link', 'add', 'eth-b', 'type', 'veth', 'peer', 'name', 'eth-b2']);
    await run('ip', ['-n', NS_BATCH, 'addr', 'add', `${LOCAL_IP}/8`, 'dev', 'eth-b']);
    await run('ip', ['-n', NS_BATCH, 'link', 'set', 'eth-b', 'up']);
    await run('ip', ['-n', NS_BATCH, 'link', 'set', 'eth-b2', 'up']);
    await run('ip', [
      '-n',
      NS_BATCH,
      'link',
      'add',
      'vxlan-tunnel',
      'type',
      'vxlan',
      'id',
      '1000',
      'dstport',
      '4500',
      'local',
      LOCAL_IP,
      'dev',
      'eth-b',
      'nolearning',
    ]);
    await run('ip', ['-n', NS_BATCH, 'addr', 'add', '241.30.7.1/8', 'dev', 'vxlan-tunnel']);
    await run('ip', ['-n', NS_BATCH, 'link', 'set', 'vxlan-tunnel', 'up']);
    const fdbBatch = join(work, 'fdb.batch');
    const ipBatch = join(work, 'ip.batch');
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
    await nsExec(NS_BATCH, 'bridge', ['-batch', fdbBatch]);
    await nsExec(NS_BATCH, 'ip', ['-batch', ipBatch]);
    const ms = performance.now() - started;
    const c = await kernelCounts(NS_BATCH);
    if (c.fdb !== list.length || c.routes !== list.length || !c.rule)
      throw new Error(`batch tools left ${JSON.stringify(c)}`);
    return ms;
  } finally {
    await deleteNetns(NS_BATCH);
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'cabled-bench-'));
  try {
    const list = remotes(COUNT);
    const batchMs = await batchRun(list, work);
    const result = await engineRun(list, work);
    const f = (n: number) => n.toFixed(1);
    console.log(`remote endpoints:                ${COUNT} (each: 1 FDB entry + 1 route; plus 1 rule)`);
    console.log(`bridge -batch + ip -batch:       ${f(batchMs)} ms`);
    console.log(`file written -> kernel (cabled):  ${f(result.ms)} ms`);
    console.log(`ratio cabled / batch tools:      ${(result.ms / batchMs).toFixed(2)}x (target <= 1.5x)`);
    console.log(`engine RSS: ${f(result.engine.rss)} MB (peak ${f(result.engine.peak)} MB, target < 120 MB)`);
    console.log(`driver RSS: ${f(result.driver.rss)} MB (peak ${f(result.driver.peak)} MB, target < 80 MB)`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
