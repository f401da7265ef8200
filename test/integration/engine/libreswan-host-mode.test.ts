/**
 * Host mode through the real engine: in namespace 1 a pluto started by the
 * test stands in for the host's ipsec.service (its config includes
 * <ipsec.d>/*.conf and *.secrets, as Debian's does); engine 1 is told its
 * socket (ceIPSecPlutoMode: host). Engine 2, in namespace 2, runs its own
 * pluto. The engine's connections appear in the host pluto, come back after
 * the test restarts that pluto, and the engine never starts, stops or
 * restarts it. Runs as root, with Debian's libreswan.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseShowStates } from '../../../src/lib/whack/index.js';
import { EngineProcess } from '../../../lab/engine-process.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { HostPluto } from '../../helpers/host-pluto.js';
import { canUseNetns, connectVeth, createNetns, deleteNetns, run, waitFor } from '../../../lab/netns.js';

const PSK = 'cabled-host-mode-psk-0123456789abcdef0123';
const IP1 = '172.30.4.1';
const IP2 = '172.30.4.2';
const CABLE = 'submariner-cable-cluster2-172-30-4-2';

describe('engine with the libreswan driver on a host pluto it does not own (integration, root, real pluto)', function () {
  this.timeout(90000);
  const tag = `${process.pid % 100000}`;
  const ns1 = `cbt-lh${tag}-1`;
  const ns2 = `cbt-lh${tag}-2`;
  let work: string;
  let pluto: HostPluto;
  let e1: EngineProcess;
  let e2: EngineProcess;

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp('/tmp/cbt-lh-');
    pluto = new HostPluto(ns1, join(work, 'host'));
    await createNetns(ns1);
    await createNetns(ns2);
    await connectVeth({ ns: ns1, name: 'eth-h1', cidr: `${IP1}/24` }, { ns: ns2, name: 'eth-h2', cidr: `${IP2}/24` });
    await pluto.start();

    const endpointsPath = join(work, 'endpoints.yaml');
    await writeFile(
      endpointsPath,
      stringify([
        { cluster_id: 'cluster1', private_ip: IP1, subnets: ['10.1.0.0/16'], backend: 'libreswan' },
        { cluster_id: 'cluster2', private_ip: IP2, subnets: ['10.2.0.0/16'], backend: 'libreswan' },
      ]),
    );
    writeKubeletVolume(join(work, 'config1'), {
      ceCustomConfig: `ceIPSecPSK: "${PSK}"\nceIPSecPlutoMode: host\nceIPSecPlutoSocket: ${pluto.socket}\n`,
    });
    writeKubeletVolume(join(work, 'config2'), { ceCustomConfig: `ceIPSecPSK: "${PSK}"\n` });
    e1 = new EngineProcess({
      ns: ns1,
      clusterId: 'cluster1',
      privateIp: IP1,
      subnets: ['10.1.0.0/16'],
      endpointsPath,
      runDir: join(work, 'run1'),
      extraArgs: ['--driver', 'libreswan', '--config', join(work, 'config1')],
      env: { CABLED_IPSEC_DIR: pluto.ipsecDir },
    });
    e2 = new EngineProcess({
      ns: ns2,
      clusterId: 'cluster2',
      privateIp: IP2,
      subnets: ['10.2.0.0/16'],
      endpointsPath,
      runDir: join(work, 'run2'),
      extraArgs: ['--driver', 'libreswan', '--config', join(work, 'config2')],
    });
    e1.start();
    e2.start();
    await waitFor(
      'both engines in sync',
      async () => {
        const st = await Promise.all([e1, e2].map((e) => e.status().catch(() => undefined)));
        return st.every((s) => s?.driver?.state === 'running' && s.inSync);
      },
      60000,
      250,
    );
  });

  after(async function () {
    await e1?.stop('SIGTERM');
    await e2?.stop('SIGTERM');
    await e2?.stopPluto();
    if (this.currentTest?.state === 'failed')
      process.stderr.write(`--- engine1 ---\n${(await e1?.log())?.slice(-3000)}\n`);
    await pluto?.stop('SIGKILL');
    await deleteNetns(ns1);
    await deleteNetns(ns2);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("should add the engine's connection to the host pluto, with its PSK in its own secrets file and a conn file", async () => {
    assert.ok((await pluto.loaded()).includes(`${CABLE}-0-0`));
    const files = await readdir(pluto.ipsecDir);
    assert.ok(files.includes('cabled.secrets'));
    assert.ok(files.includes(`cabled-${CABLE}-0-0.conf`));
    await waitFor(
      'IKE SA established through the host pluto',
      async () =>
        parseShowStates((await pluto.whack('--showstates')).stdout).states.some(
          (s) => s.kind === 'ike' && s.established,
        ),
      30000,
      200,
    );
  });

  it('should never start a pluto of its own in host mode', async () => {
    const { stdout } = await run('pgrep', ['-x', 'pluto', '-a']);
    const ours = stdout.split('\n').filter((l) => l.includes(join(work, 'run1')));
    assert.deepEqual(ours, [], 'no pluto under engine 1 run directory');
  });

  context('when the test restarts the host pluto', () => {
    it('should get its connection back in the new pluto', async () => {
      const oldPid = pluto.pid;
      await pluto.stop('SIGTERM');
      await pluto.start();
      assert.notEqual(pluto.pid, oldPid);
      await waitFor(
        'the connection loaded in the restarted pluto',
        async () => (await pluto.loaded()).includes(`${CABLE}-0-0`),
        20000,
        200,
      );
    });
  });

  context('when the engine stops', () => {
    it('should leave the host pluto running', async () => {
      const pid = pluto.pid;
      await e1.stop('SIGTERM');
      process.kill(pid, 0); // throws if gone
      assert.ok((await pluto.whack('--briefstatus')).ok, 'the host pluto still answers');
    });
  });
});
