/**
 * Dead peers on the gateway's own subnet (issue 12, item 4; integration, root, real pluto): 400 libreswan
 * transport endpoints whose addresses nobody answers ARP for. Every IKE packet to them waits about 3 s in
 * the kernel's neighbour queue, holding pluto's IKE socket send buffer. With libreswan's defaults
 * (errqueue on, 208 KiB buffer) pluto then blocks its single event loop waiting for the socket to become
 * writable and stops answering whack: the install of 1000 such cables stalled after 500. The driver's own
 * pluto runs with ike-socket-errqueue=no and a 4 MiB buffer (drivers/libreswan/pluto/files.ts); this test
 * asserts pluto keeps answering whack while it retransmits to all of them. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { canUseNetns, connectVeth, createNetns, waitFor } from '../../../lab/netns.js';
import { WhackAdapter } from '../../../src/lib/whack/index.js';

const tag = `${process.pid % 100000}`;
const NS = `cbt-d12b-${tag}-oa`;
const PEER = `cbt-d12b-${tag}-ob`;
const LOCAL = '10.204.255.254';
const PSK = 'cabled-test-psk-dead-onlink-0123456789abcdef';
const COUNT = 400;
const SAMPLE_S = 20;

describe('dead peers on the local subnet: pluto keeps answering whack (integration, root, real pluto)', function () {
  this.timeout(300000);
  let work: string;
  let engine: EngineProcess;

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-d12b-onlink-'));
    await createNetns(NS);
    await createNetns(PEER);
    // The peer namespace has no address: nobody answers ARP for the remote gateways.
    await connectVeth({ ns: NS, name: 'eth-oa', cidr: `${LOCAL}/16` }, { ns: PEER, name: 'eth-ob' });
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

  it(`should answer whack within 5 s throughout, with ${COUNT} on-link peers that never answer ARP`, async () => {
    const path = join(work, 'endpoints.json');
    const configDir = join(work, 'config');
    writeKubeletVolume(configDir, {
      ceCustomConfig: `ceIPSecMode: transport\nceIPSecOverlay: vxlan\nceIPSecPSK: "${PSK}"\n`,
    });
    await writeFile(path, '[]');
    const runDir = join(work, 'run');
    engine = new EngineProcess({
      ns: NS,
      clusterId: 'a-local',
      privateIp: LOCAL,
      subnets: ['10.99.0.0/24'],
      endpointsPath: path,
      runDir,
      extraArgs: ['--driver', 'libreswan', '--config', configDir, '--no-health-check'],
    });
    engine.start();
    await waitFor('engine SERVING', () => engine.serving(), 60000, 200);
    const list = Array.from({ length: COUNT }, (_, i) => ({
      // "c..." sorts after "a-local": this side initiates every pair.
      cluster_id: `c${String(i).padStart(4, '0')}`,
      private_ip: `10.204.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`,
      subnets: [`10.${100 + (i >> 8)}.${i & 255}.0/24`],
      backend: 'libreswan',
    }));
    await writeFile(`${path}.new`, JSON.stringify(list));
    const t0 = Date.now();
    await rename(`${path}.new`, path);
    await waitFor('every cable listed', async () => (await engine.connections()).length === COUNT, 120000, 500);
    const installS = (Date.now() - t0) / 1000;

    // pluto is now sending IKE_SA_INIT to all of them and retransmitting: time whack calls meanwhile.
    const whack = new WhackAdapter({ socket: join(runDir, 'drivers', 'pluto', 'run', 'pluto.ctl'), timeoutMs: 15000 });
    const latencies: number[] = [];
    const failures: string[] = [];
    const until = Date.now() + SAMPLE_S * 1000;
    while (Date.now() < until) {
      const t = performance.now();
      try {
        await whack.briefStatus();
      } catch (err) {
        failures.push(String(err).slice(0, 200));
      }
      latencies.push((performance.now() - t) / 1000);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const max = Math.max(...latencies);
    console.log(
      `      ${COUNT} on-link dead peers: listed in ${installS.toFixed(1)} s; whack --briefstatus over ${SAMPLE_S} s: ` +
        `${latencies.length} calls, slowest ${max.toFixed(2)} s, ${failures.length} failed`,
    );
    assert.deepEqual(failures, [], 'every whack call was answered');
    assert.ok(max < 5, `pluto answered whack within 5 s (slowest: ${max.toFixed(2)} s)`);
    assert.equal((await engine.connections()).length, COUNT);
  });
});
