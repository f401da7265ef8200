/**
 * Reliability suite (issue 12, item 6): 2,000 random add/update/remove events
 * over 300 VXLAN endpoints, written to the endpoints file in rounds (each a
 * rename into place), with kill -9 of the driver and then of the engine in
 * the middle; at the end the FDB, table-100 routes and rule are compared
 * exactly with the desired endpoints: 0 leaked, 0 missing. Prints its
 * figures. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { countDiff, desiredVxlanState, diffStates, observeState } from '../../../lab/datapath-state.js';
import { EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { canUseNetns, connectVeth, createNetns, waitFor } from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const NS = `cbt-reload-${tag}-ch`;
const PEER = `cbt-reload-${tag}-cp`;
const LOCAL = '172.31.255.254';
const SLOTS = 360;
const START = 300;
const EVENTS = 2000;
const ROUNDS = 100;

/** A seeded generator, so a failing run can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Ep {
  slot: number;
  ip: string;
  version: number;
}
const entry = (e: Ep) => ({
  cluster_id: `c${e.slot}`,
  private_ip: e.ip,
  subnets: [`10.${100 + (e.slot >> 6)}.${(e.slot & 63) * 4 + (e.version % 4)}.0/24`],
  backend: 'vxlan',
});

describe('reliability: 2,000 events over 300 VXLAN endpoints with kill -9 of driver and engine (integration, root)', function () {
  this.timeout(240000);
  let work: string;
  let path: string;
  let engine: EngineProcess;

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-churn-'));
    path = join(work, 'endpoints.yaml');
    await createNetns(NS);
    await createNetns(PEER);
    await connectVeth({ ns: NS, name: 'eth-ch1', cidr: `${LOCAL}/16` }, { ns: PEER, name: 'eth-ch2' });
  });

  after(async function () {
    await tearDownEngines({
      engines: [engine],
      namespaces: [NS, PEER],
      work,
      failed: this.currentTest?.state === 'failed',
      signal: 'SIGKILL',
    });
  });

  it('should end in exactly the desired FDB, routes and rule: 0 leaked, 0 missing', async () => {
    const seed = Number(process.env.CABLED_CHURN_SEED ?? 12);
    const rand = rng(seed);
    const present = new Map<number, Ep>();
    // Two address ranges per slot (an update may move a gateway): 172.31.1.x / 172.31.2.x, x from the slot.
    const ipFor = (slot: number, alt: number) => `172.31.${1 + alt + 2 * Math.floor(slot / 250)}.${1 + (slot % 250)}`;
    for (let s = 0; s < START; s++) present.set(s, { slot: s, ip: ipFor(s, 0), version: 0 });
    const write = async () => {
      await writeFile(`${path}.new`, stringify([...present.values()].map(entry)));
      await rename(`${path}.new`, path);
    };
    await write();
    engine = new EngineProcess({
      ns: NS,
      clusterId: 'local',
      privateIp: LOCAL,
      subnets: ['10.1.0.0/16'],
      endpointsPath: path,
      runDir: join(work, 'run'),
      extraArgs: ['--no-health-check', '--endpoints-settle', '0.05'],
    });
    engine.start();
    await waitFor(
      '300 cables',
      async () => (await engine.serving()) && (await engine.connections()).length === START,
      90000,
      250,
    );

    const counts = { add: 0, update: 0, remove: 0 };
    const started = Date.now();
    let driverKilledAt = 0;
    let engineKilledAt = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < EVENTS / ROUNDS; k++) {
        const slot = Math.floor(rand() * SLOTS);
        const have = present.get(slot);
        const r = rand();
        if (!have) {
          present.set(slot, { slot, ip: ipFor(slot, Math.floor(rand() * 2)), version: 0 });
          counts.add++;
        } else if (r < 0.4 || present.size < 250) {
          // update: a new subnet, sometimes a new gateway IP (a new cable replaces the old one)
          const moved = rand() < 0.3;
          present.set(slot, {
            slot,
            ip: moved ? ipFor(slot, have.ip === ipFor(slot, 0) ? 1 : 0) : have.ip,
            version: have.version + 1,
          });
          counts.update++;
        } else {
          present.delete(slot);
          counts.remove++;
        }
      }
      await write();
      if (round === 33) {
        const pid = (await engine.status()).driver?.pid ?? 0;
        process.kill(pid, 'SIGKILL');
        driverKilledAt = Date.now();
      }
      if (round === 66) {
        await engine.stop('SIGKILL');
        engine.start();
        engineKilledAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, 60));
    }
    const wroteMs = Date.now() - started;
    const desired = desiredVxlanState(
      [...present.values()].map((e) => ({ cableName: `c${e.slot}`, ip: e.ip, subnets: entry(e).subnets })),
    );
    let diff: string[] = [];
    await waitFor(
      'the datapath exactly as desired',
      async () => {
        diff = diffStates(desired, await observeState(NS));
        return diff.length === 0 && (await engine.status()).inSync;
      },
      120000,
      500,
    ).catch(() => undefined);
    const convergedMs = Date.now() - started - wroteMs;
    const { leaked, missing } = countDiff(diff);
    process.stdout.write(
      `      churn (seed ${seed}): ${EVENTS} events (${counts.add} add, ${counts.update} update, ${counts.remove} remove) ` +
        `in ${ROUNDS} rounds over ${wroteMs} ms, driver kill -9 at ${driverKilledAt - started} ms, engine kill -9 at ` +
        `${engineKilledAt - started} ms; ${present.size} endpoints desired; converged ${convergedMs} ms after the last ` +
        `write; leaked ${leaked}, missing ${missing}\n`,
    );
    assert.deepEqual(diff, [], 'the datapath differs from the desired state');
  });
});
