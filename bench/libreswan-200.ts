/**
 * Benchmark (issue 3): bring N remote endpoints (2N VXLAN-over-transport
 * connections) into one real pluto (added, routed, initiation started)
 * through the engine and the libreswan driver, against a plain shell loop
 * issuing the same whack commands one at a time against the same pluto, in
 * the same run. Prints both times and the ratio. Run as root:
 *   node dist/bench/libreswan-200.js [count]
 *
 * The remote gateways' addresses exist in a peer namespace where no IKE
 * daemon listens: what is measured is the control-plane work up to
 * "initiation started", not the negotiations.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKubeletVolume } from '../lab/fs-helpers.js';
import { EngineProcess } from '../lab/engine-process.js';
import { connectVeth, createNetns, deleteNetns, run, waitFor } from '../lab/netns.js';
import { planConnections } from '../drivers/libreswan/connection-plan.js';
import { readSettings } from '../drivers/libreswan/settings.js';
import { addConnectionArgs, flagsFor, parseVersion, WHACK_PATH } from '../src/lib/whack/index.js';
import { LOCAL_IP, localEndpoint, PSK, remote } from './libreswan-remotes.js';

const COUNT = Number(process.argv[2] ?? 200);
const tag = process.pid % 100000;
const NS = `cbb-${tag}-ls`;
const PEER = `cbb-${tag}-lp`;

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'cbb-ls-'));
  await createNetns(NS);
  await createNetns(PEER);
  const remotes = Array.from({ length: COUNT }, (_, i) => remote(i));
  const local = localEndpoint();
  const endpointsPath = join(work, 'endpoints.json');
  const configDir = join(work, 'config');
  writeKubeletVolume(configDir, {
    ceCustomConfig: `ceIPSecMode: transport\nceIPSecOverlay: vxlan\nceIPSecPSK: "${PSK}"\n`,
  });
  await writeFile(endpointsPath, '[]');
  const engine = new EngineProcess({
    ns: NS,
    clusterId: local.clusterId,
    privateIp: LOCAL_IP,
    subnets: local.subnets,
    endpointsPath,
    runDir: join(work, 'run'),
    extraArgs: ['--driver', 'libreswan', '--config', configDir],
  });
  try {
    await connectVeth(
      { ns: NS, name: 'eth-ls', cidr: `${LOCAL_IP}/16` },
      { ns: PEER, name: 'eth-lp', cidr: '10.201.254.1/16' },
    );
    // Every remote gateway address answers ARP (and ICMP) from the peer namespace, where no IKE daemon
    // listens: initiations get a quick "port unreachable" instead of waiting on unresolved neighbours.
    const addrs = join(work, 'addrs.batch');
    await writeFile(addrs, `${remotes.map((r) => `addr add ${r.privateIp}/32 dev eth-lp`).join('\n')}\n`);
    await run('ip', ['-n', PEER, '-batch', addrs]);
    engine.start();
    await waitFor('engine SERVING', () => engine.serving(), 60000, 200);
    const socket = join(work, 'run', 'drivers', 'pluto', 'run', 'pluto.ctl');
    const whack = (...args: string[]) => run(WHACK_PATH, ['--ctlsocket', socket, ...args], 60000);

    // The shell loop: the same add / route / initiate commands, one whack at a time, on names of its own.
    const version = parseVersion((await whack('--version')).stdout)!;
    const settings = readSettings({ ceIPSecMode: 'transport', ceIPSecOverlay: 'vxlan' }, { ceIPSecPSK: PSK });
    const lines: string[] = [];
    const names: string[] = [];
    for (const r of remotes) {
      for (const p of planConnections(local, { endpoint: r, useIp: r.privateIp, useNat: false }, settings)) {
        const spec = { ...p.spec, name: `loop-${p.spec.name}` };
        const q = (args: readonly string[]) => args.map((a) => `'${a}'`).join(' ');
        lines.push(
          `${WHACK_PATH} --ctlsocket '${socket}' ${q(addConnectionArgs(flagsFor(version), spec).args)} >/dev/null`,
        );
        lines.push(`${WHACK_PATH} --ctlsocket '${socket}' --route --name '${spec.name}' >/dev/null`);
        lines.push(`${WHACK_PATH} --ctlsocket '${socket}' --initiate --asynchronous --name '${spec.name}' >/dev/null`);
        names.push(spec.name);
      }
    }
    const script = join(work, 'loop.sh');
    await writeFile(script, `set -e\n${lines.join('\n')}\n`);
    let t = performance.now();
    await run('ip', ['netns', 'exec', NS, 'bash', script], 600000);
    const loopMs = performance.now() - t;
    for (const n of names) await whack('--delete', '--name', n);

    // The engine: replace the endpoints file, wait until the reconcile that carries them has completed.
    const list = [local, ...remotes].map((e) => ({
      cluster_id: e.clusterId,
      private_ip: e.privateIp,
      subnets: e.subnets,
      backend: 'libreswan',
    }));
    await writeFile(`${endpointsPath}.new`, JSON.stringify(list));
    t = performance.now();
    const startedAt = Date.now();
    await rename(`${endpointsPath}.new`, endpointsPath);
    await waitFor(
      'the engine in sync with every endpoint',
      async () => {
        const st = await engine.status();
        return st.desiredEndpoints === COUNT && st.inSync && st.lastReconcileUnixMs >= startedAt;
      },
      600000,
      20,
    );
    const engineMs = performance.now() - t;
    let cables = 0;
    await waitFor(
      'the engine reporting every cable',
      async () => (cables = (await engine.connections()).length) === COUNT,
      120000,
      200,
    ).catch(() => undefined);

    const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      `remote endpoints:                 ${COUNT} (${2 * COUNT} transport connections; this side initiates all)`,
    );
    console.log(`shell loop (${lines.length} whack calls):  ${f(loopMs)}`);
    console.log(`engine + libreswan driver:        ${f(engineMs)}  (cables installed: ${cables})`);
    console.log(`speed-up:                         ${(loopMs / engineMs).toFixed(1)}x`);
  } finally {
    await engine.stop('SIGTERM');
    await engine.stopPluto();
    await deleteNetns(NS);
    await deleteNetns(PEER);
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
