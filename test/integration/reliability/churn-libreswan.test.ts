/**
 * Reliability suite (issue 12, item 6), libreswan: 200 random
 * add/update/remove events over 30 transport-mode endpoints (own pluto, real
 * namespace, gateways that never answer), written in rounds; at the end
 * pluto's connections, the XFRM block policies (and no pluto policy towards
 * a gateway no longer desired), the FDB, table-100 routes and the rule are
 * compared exactly with the desired endpoints: 0 leaked, 0 missing.
 * Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { countDiff, desiredTransportState, diffStates, observeState } from '../../../lab/datapath-state.js';
import { EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { canUseNetns, connectVeth, createNetns, waitFor } from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const NS = `cbt-reload-${tag}-lc`;
const PEER = `cbt-reload-${tag}-lq`;
const LOCAL = '172.30.64.254';
const PSK = 'cabled-test-psk-churn-0123456789abcdef01';
const SLOTS = 40;
const START = 30;
const EVENTS = 200;
const ROUNDS = 20;

interface Gw {
  slot: number;
  alt: number;
  version: number;
}
const ipOf = (g: Gw) => `172.30.${64 + g.alt}.${1 + g.slot}`;
const cableOf = (g: Gw) => `submariner-cable-c${g.slot}-${ipOf(g).replaceAll('.', '-')}`;
const entry = (g: Gw) => ({
  cluster_id: `c${g.slot}`,
  private_ip: ipOf(g),
  subnets: [`10.${100 + g.slot}.${g.version % 200}.0/24`],
  backend: 'libreswan',
});

describe('reliability: 200 events over 30 libreswan transport endpoints (integration, root, real pluto)', function () {
  this.timeout(240000);
  let work: string;
  let path: string;
  let engine: EngineProcess;

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-lchurn-'));
    path = join(work, 'endpoints.yaml');
    await createNetns(NS);
    await createNetns(PEER);
    await connectVeth({ ns: NS, name: 'eth-lc1', cidr: `${LOCAL}/16` }, { ns: PEER, name: 'eth-lc2' });
  });

  after(async function () {
    if (process.env.CABLED_KEEP_LOG) await writeFile(process.env.CABLED_KEEP_LOG, (await engine?.log()) ?? '');
    await engine?.stopPluto();
    await tearDownEngines({
      engines: [engine],
      namespaces: [NS, PEER],
      work,
      failed: this.currentTest?.state === 'failed',
      signal: 'SIGKILL',
    });
  });

  it('should end in exactly the desired pluto connections, XFRM policies, FDB, routes and rule', async () => {
    let seed = Number(process.env.CABLED_CHURN_SEED ?? 7) >>> 0;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const present = new Map<number, Gw>();
    for (let s = 0; s < START; s++) present.set(s, { slot: s, alt: 0, version: 0 });
    const write = async () => {
      await writeFile(`${path}.new`, stringify([...present.values()].map(entry)));
      await rename(`${path}.new`, path);
    };
    await write();
    const configDir = join(work, 'config');
    writeKubeletVolume(configDir, {
      ceCustomConfig: `ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\nceIPSecPSK: "${PSK}"\n`,
    });
    engine = new EngineProcess({
      ns: NS,
      clusterId: 'a-local',
      privateIp: LOCAL,
      subnets: ['10.1.0.0/16'],
      endpointsPath: path,
      runDir: join(work, 'run'),
      extraArgs: ['--driver', 'libreswan', '--config', configDir, '--no-health-check', '--endpoints-settle', '0.05'],
    });
    engine.start();
    await waitFor('30 cables', async () => (await engine.connections().catch(() => [])).length === START, 90000, 250);

    const counts = { add: 0, update: 0, remove: 0 };
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < EVENTS / ROUNDS; k++) {
        const slot = Math.floor(rand() * SLOTS);
        const have = present.get(slot);
        if (!have) {
          present.set(slot, { slot, alt: Math.floor(rand() * 2), version: 0 });
          counts.add++;
        } else if (rand() < 0.5 || present.size < 25) {
          present.set(slot, { slot, alt: rand() < 0.3 ? 1 - have.alt : have.alt, version: have.version + 1 });
          counts.update++;
        } else {
          present.delete(slot);
          counts.remove++;
        }
      }
      await write();
      await new Promise((r) => setTimeout(r, 250));
    }
    const wroteMs = Date.now() - started;
    const desired = desiredTransportState({
      localIp: LOCAL,
      vxlanPort: 4789,
      remotes: [...present.values()].map((g) => ({ cableName: cableOf(g), ip: ipOf(g), subnets: entry(g).subnets })),
    });
    const ctl = join(work, 'run', 'drivers', 'pluto', 'run', 'pluto.ctl');
    let diff: string[] = [];
    await waitFor(
      'pluto and the datapath exactly as desired',
      async () => {
        diff = diffStates(desired, await observeState(NS, ctl));
        return diff.length === 0 && (await engine.status()).inSync;
      },
      120000,
      500,
    ).catch(() => undefined);
    const { leaked, missing } = countDiff(diff);
    process.stdout.write(
      `      libreswan churn: ${EVENTS} events (${counts.add} add, ${counts.update} update, ${counts.remove} remove) in ` +
        `${ROUNDS} rounds over ${wroteMs} ms; ${present.size} endpoints desired; converged ` +
        `${Date.now() - started - wroteMs} ms after the last write; leaked ${leaked}, missing ${missing}\n`,
    );
    assert.deepEqual(diff, [], 'pluto or the datapath differs from the desired state');
  });
});
