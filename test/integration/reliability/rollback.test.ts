/**
 * Failed installs roll back (issue 12, item 3), with the real engine, the real
 * libreswan driver in transport mode and its own real pluto, on a real
 * namespace. Each phase fails in turn -- the kernel refusing a route, pluto
 * refusing a connection, pluto not answering (stopped: every whack call times
 * out) -- and after each, and after the endpoint leaves the file, the full
 * state (pluto's connections, XFRM policies, FDB, table-100 routes, rule) is
 * compared with what the desired endpoints call for: 0 leaked, 0 missing.
 * Runs as root.
 */
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { canUseNetns, connectVeth, createNetns, run, waitFor } from '../../../lab/netns.js';
import { desiredTransportState, waitForExactState } from '../../../lab/datapath-state.js';

const tag = `${process.pid % 100000}`;
const NS = `cbt-reload-${tag}-rb`;
const PEER = `cbt-reload-${tag}-rp`;
const LOCAL = '172.30.62.1';
const OWN_ALIAS = '172.30.62.77';
const PSK = 'cabled-test-psk-rollback-0123456789abcdef';

interface Remote {
  cluster_id: string;
  private_ip: string;
  subnets: string[];
  backend: string;
  backend_config?: Record<string, string>;
}
const remote = (n: number, ip = `172.30.62.${n}`): Remote => ({
  cluster_id: `cluster${n}`,
  private_ip: ip,
  subnets: [`10.${n}.0.0/16`],
  backend: 'libreswan',
});
const GOOD = remote(2);

describe('failed installs roll back: libreswan transport mode, own pluto (integration, root, real pluto)', function () {
  this.timeout(150000);
  let work: string;
  let path: string;
  let engine: EngineProcess;
  const plutoPid = async () =>
    Number((await readFile(join(work, 'run', 'drivers', 'pluto', 'run', 'pluto.pid'), 'utf8')).trim());
  const ctl = () => join(work, 'run', 'drivers', 'pluto', 'run', 'pluto.ctl');
  const setEndpoints = async (list: Remote[]) => {
    await writeFile(
      `${path}.new`,
      stringify([
        { cluster_id: 'cluster1', private_ip: LOCAL, subnets: ['10.1.0.0/16'], backend: 'libreswan' },
        ...list,
      ]),
    );
    await rename(`${path}.new`, path);
  };
  const expectExact = (what: string, list: Remote[]) =>
    waitForExactState(
      what,
      NS,
      ctl(),
      desiredTransportState({
        localIp: LOCAL,
        vxlanPort: 4789,
        remotes: list.map((r) => ({ cableName: cableOf(r), ip: r.private_ip, subnets: r.subnets })),
      }),
      30000,
      250,
    );

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-rollback-'));
    path = join(work, 'endpoints.yaml');
    await setEndpoints([GOOD]);
    await createNetns(NS);
    await createNetns(PEER);
    await connectVeth({ ns: NS, name: 'eth-rb1', cidr: `${LOCAL}/16` }, { ns: PEER, name: 'eth-rb2' });
    await run('ip', ['-n', NS, 'addr', 'add', `${OWN_ALIAS}/32`, 'dev', 'eth-rb1']);
    const configDir = join(work, 'config');
    writeKubeletVolume(configDir, {
      ceCustomConfig: `ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\nceIPSecPSK: "${PSK}"\n`,
    });
    engine = new EngineProcess({
      ns: NS,
      clusterId: 'cluster1',
      privateIp: LOCAL,
      subnets: ['10.1.0.0/16'],
      endpointsPath: path,
      runDir: join(work, 'run'),
      extraArgs: ['--driver', 'libreswan', '--config', configDir, '--no-health-check'],
    });
    engine.start();
    await waitFor(
      'engine in sync',
      async () => (await engine.status().catch(() => undefined))?.inSync === true,
      60000,
      250,
    );
    await expectExact('one good cable', [GOOD]);
  });

  after(async function () {
    await engine?.stopPluto();
    await tearDownEngines({
      engines: [engine],
      namespaces: [NS, PEER],
      work,
      failed: this.currentTest?.state === 'failed',
      signal: 'SIGKILL',
    });
  });

  for (const [phase, bad] of [
    ['the kernel refuses a route (private IP 10.255.255.255: EINVAL)', remote(3, '10.255.255.255')],
    // Another address of this gateway (validation refuses the gateway's own IP): pluto finds itself at both ends.
    ['pluto refuses the connection', remote(4, OWN_ALIAS)],
  ] as const) {
    it(`should leave nothing behind when ${phase}, and after its removal`, async () => {
      await setEndpoints([GOOD, bad]);
      await waitFor(
        'the failure reported',
        async () => (await engine.status()).statusFailure.includes(cableOf(bad)),
        30000,
        250,
      );
      process.stdout.write(`      failure: ${(await engine.status()).statusFailure.slice(0, 300)}\n`);
      await expectExact(`${phase}: after the failed install`, [GOOD]);
      await setEndpoints([GOOD]);
      await waitFor('in sync again', async () => (await engine.status()).inSync, 30000, 250);
      await expectExact(`${phase}: after removal`, [GOOD]);
    });
  }

  it('should leave nothing behind when pluto does not answer (timeouts), and install it once pluto is back', async () => {
    const pid = await plutoPid();
    const late = remote(5);
    process.kill(pid, 'SIGSTOP');
    try {
      await setEndpoints([GOOD, late]);
      await waitFor(
        'the failure reported',
        async () => (await engine.status()).statusFailure.includes(cableOf(late)),
        60000,
        250,
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('in sync after the retry', async () => (await engine.status()).inSync, 60000, 250);
    await expectExact('after pluto answered again', [GOOD, late]);
    await setEndpoints([GOOD]);
    await expectExact('after removal', [GOOD]);
  });
});

function cableOf(r: Remote): string {
  return `submariner-cable-${r.cluster_id}-${r.private_ip.replaceAll('.', '-')}`;
}
