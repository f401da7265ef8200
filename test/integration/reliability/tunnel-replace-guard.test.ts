/**
 * Reload without outage (issue 12, item 1), tunnel mode: a gateway gets a new
 * ceIPSecEsp while its tunnel connection is routed. libreswan cannot change a
 * connection's proposals in place, and deletes a connection's kernel policies
 * with it (4.10: `unroute_connection` deletes the outbound policy), so the
 * driver replaces it behind a guard: cabled's own block policy on the same
 * selectors (below pluto's), from before the delete until the replacement is
 * routed. This test records every change to the outbound policies of the
 * tunnel's selectors (`ip xfrm monitor policy`) and replays them: at no moment
 * may the local subnet -> remote subnet traffic be without a policy (it would
 * leave in the clear). Real engines and real pluto on namespaces; this kernel
 * has no ESP, so the Child SAs are refused and the trap policy is what pluto
 * holds (the stock-kernel guest measures the change with real SAs). Runs as root.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EngineProcess } from '../../../lab/engine-process.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { canUseNetns, connectVeth, createNetns, deleteNetns, run, waitFor } from '../../../lab/netns.js';

const tag = `esp12-${process.pid % 100000}`;
const PSK = 'cabled-test-psk-guard-0123456789abcdef0123';
const IP1 = '172.30.71.1';
const IP2 = '172.30.71.2';
const SUB1 = '10.1.0.0/16';
const SUB2 = '10.2.0.0/16';
const ENDPOINTS = [
  { cluster_id: 'cluster1', hostname: 'gw1', private_ip: IP1, subnets: [SUB1], backend: 'libreswan' },
  { cluster_id: 'cluster2', hostname: 'gw2', private_ip: IP2, subnets: [SUB2], backend: 'libreswan' },
];
const GUARD_PRIORITY = 2_000_000;

/** One event of `ip xfrm monitor policy` for an outbound policy: added/updated or deleted, with its priority. */
interface PolicyEvent {
  deleted: boolean;
  src: string;
  dst: string;
  priority: number;
}

/** Parses `ip xfrm monitor policy` output into outbound-policy events (other directions and messages are skipped). */
function parseMonitor(text: string): PolicyEvent[] {
  const events: PolicyEvent[] = [];
  const blocks = text.split(/\n(?=\S)/);
  for (const b of blocks) {
    const head = /^(Deleted |Updated )?src (\S+) dst (\S+)/.exec(b);
    const dir = /\bdir (\w+) (?:action \w+ )?priority (\d+)/.exec(b);
    if (!head || !dir || dir[1] !== 'out') continue;
    events.push({ deleted: head[1] === 'Deleted ', src: head[2]!, dst: head[3]!, priority: Number(dir[2]) });
  }
  return events;
}

/** The outbound policies of SUB1 -> SUB2 now, by priority. */
async function outPriorities(ns: string): Promise<Set<number>> {
  const out = (await run('ip', ['-n', ns, 'xfrm', 'policy', 'show', 'dir', 'out', 'src', SUB1, 'dst', SUB2])).stdout;
  return new Set([...out.matchAll(/priority (\d+)/g)].map((m) => Number(m[1])));
}

describe('reload without outage, tunnel mode: a new ceIPSecEsp replaces the connection behind a guard policy (integration, root, real pluto)', function () {
  this.timeout(240000);
  let work: string;
  const engines: EngineProcess[] = [];
  const configs: string[] = [];
  const names = [`cbt-${tag}-g1`, `cbt-${tag}-g2`];
  let monitor: ChildProcess | undefined;

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-guard-'));
    const endpointsPath = join(work, 'endpoints.yaml');
    await writeFile(endpointsPath, stringify(ENDPOINTS));
    for (const ns of names) await createNetns(ns);
    await connectVeth(
      { ns: names[0]!, name: 'eth-g1', cidr: `${IP1}/24` },
      { ns: names[1]!, name: 'eth-g2', cidr: `${IP2}/24` },
    );
    for (const [i, ns] of names.entries()) {
      const configDir = join(work, `config${i + 1}`);
      writeKubeletVolume(configDir, { ceCustomConfig: `ceIPSecPSK: "${PSK}"\n` });
      configs.push(configDir);
      const engine = new EngineProcess({
        ns,
        clusterId: `cluster${i + 1}`,
        privateIp: i ? IP2 : IP1,
        subnets: [i ? SUB2 : SUB1],
        endpointsPath,
        runDir: join(work, `run${i + 1}`),
        extraArgs: ['--driver', 'libreswan', '--config', configDir, '--no-health-check', '--resync-interval', '600'],
      });
      engines.push(engine);
      engine.start();
    }
    await waitFor(
      "pluto's tunnel policy (routed) on gateway 1",
      async () => [...(await outPriorities(names[0]!))].some((p) => p < GUARD_PRIORITY),
      120000,
      200,
    );
  });

  after(async function () {
    monitor?.kill('SIGTERM');
    for (const e of engines) await e.stop('SIGTERM');
    for (const e of engines) await e.stopPluto();
    if (this.currentTest?.state === 'failed')
      for (const [i, e] of engines.entries())
        process.stderr.write(`--- ${names[i]} engine ---\n${(await e.log()).slice(-4000)}\n`);
    for (const ns of names) await deleteNetns(ns);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('should never leave the subnets without an outbound policy while the connection is replaced, and remove the guard after', async () => {
    const ns = names[0]!;
    let text = '';
    monitor = spawn('ip', ['-n', ns, 'xfrm', 'monitor', 'policy'], { stdio: ['ignore', 'pipe', 'ignore'] });
    monitor.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
    });
    // The monitor listens once it has started; give it a policy event of ours to prove it (a scratch policy).
    await waitFor(
      'ip xfrm monitor listening',
      async () => {
        await run('ip', [
          '-n',
          ns,
          'xfrm',
          'policy',
          'update',
          'src',
          '192.0.2.1/32',
          'dst',
          '192.0.2.2/32',
          'dir',
          'out',
          'action',
          'block',
        ]);
        return text.includes('192.0.2.2/32');
      },
      10000,
      100,
    );
    await run('ip', ['-n', ns, 'xfrm', 'policy', 'delete', 'src', '192.0.2.1/32', 'dst', '192.0.2.2/32', 'dir', 'out']);
    const start = await outPriorities(ns);
    const t = Date.now();
    writeKubeletVolume(configs[0]!, { ceCustomConfig: `ceIPSecPSK: "${PSK}"\nceIPSecEsp: "aes256-sha2_256"\n` });
    await waitFor(
      'the connection replaced (engine log) and routed again, the guard gone',
      async () => {
        if (!/driver settings changed/.test(await engines[0]!.log())) return false;
        const now = await outPriorities(ns);
        return now.size > 0 && !now.has(GUARD_PRIORITY);
      },
      120000,
      200,
    );
    const replacedMs = Date.now() - t;
    // Let the monitor flush.
    await new Promise((r) => setTimeout(r, 500));
    monitor.kill('SIGTERM');
    const events = parseMonitor(text).filter((e) => e.src === SUB1 && e.dst === SUB2);
    const present = new Set(start);
    let emptyAt = -1;
    let guardSeen = false;
    let plutoGone = false;
    events.forEach((e, k) => {
      if (e.deleted) present.delete(e.priority);
      else present.add(e.priority);
      if (e.priority === GUARD_PRIORITY && !e.deleted) guardSeen = true;
      if (present.size === 1 && present.has(GUARD_PRIORITY)) plutoGone = true;
      if (present.size === 0 && emptyAt < 0) emptyAt = k;
    });
    process.stdout.write(
      `      tunnel replacement (ceIPSecEsp on gateway 1): ${events.length} outbound policy events in ${replacedMs} ms; ` +
        `guard seen: ${guardSeen}; pluto's policy absent while guarded: ${plutoGone}; ` +
        `moments with no policy: ${emptyAt < 0 ? 0 : 'yes'}\n`,
    );
    assert.ok(start.size > 0, 'a policy before the change');
    assert.ok(guardSeen, `the guard policy was written: ${JSON.stringify(events)}\n${text.slice(-3000)}`);
    assert.equal(emptyAt, -1, `no outbound policy after event ${emptyAt}: ${JSON.stringify(events)}`);
    const after = await outPriorities(ns);
    assert.ok(after.size > 0 && !after.has(GUARD_PRIORITY), `after: ${[...after].join(', ')}`);
  });
});
