/**
 * Only whole files count (issue 12, item 2), with the real engine and VXLAN
 * driver in a real namespace and 300 remote endpoints: the endpoints file
 * rewritten in place in 4-8 KiB chunks 0.2 s apart never removes a cable
 * that is in the final content (before: 149 of 300 removed and re-added),
 * and a change that removes most cables is held, visibly, until the file has
 * stayed the same for --endpoints-removal-hold. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, open, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { bridgeJson, canUseNetns, connectVeth, createNetns, ip, waitFor } from '../../../lab/netns.js';

const tag = `${process.pid % 100000}`;
const NS = `cbt-reload-${tag}-w`;
const PEER = `cbt-reload-${tag}-wp`; // the other end of the underlay veth; nothing runs there
const LOCAL = '172.31.0.1';
const HOLD_S = 4;

const remote = (i: number, subnetOctet = i % 250) => ({
  cluster_id: `c${i}`,
  hostname: `gateway-node-${i}.cluster-${i}.example.internal`,
  public_ip: `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`,
  private_ip: `172.31.${1 + Math.floor(i / 250)}.${(i % 250) + 1}`,
  subnets: [`10.${100 + Math.floor(i / 250)}.${subnetOctet}.0/24`],
  backend: 'vxlan',
});
const fdbCount = async (): Promise<number> =>
  (await bridgeJson<{ mac: string }[]>(NS, 'fdb', 'show', 'dev', 'vxlan-tunnel')).filter(
    (e) => e.mac === '00:00:00:00:00:00',
  ).length;
const removedInLog = (log: string): number => (log.match(/"cable removed"/g) ?? []).length;

describe('only whole files count: 300 VXLAN cables, endpoints file written in chunks (integration, root)', function () {
  this.timeout(120000);
  let work: string;
  let path: string;
  let engine: EngineProcess;

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-whole-'));
    path = join(work, 'endpoints.yaml');
    await writeFile(path, stringify(Array.from({ length: 300 }, (_, i) => remote(i))));
    await createNetns(NS);
    await createNetns(PEER);
    await connectVeth({ ns: NS, name: 'eth-w1', cidr: `${LOCAL}/16` }, { ns: PEER, name: 'eth-w2' });
    engine = new EngineProcess({
      ns: NS,
      clusterId: 'local',
      privateIp: LOCAL,
      subnets: ['10.1.0.0/16'],
      endpointsPath: path,
      runDir: join(work, 'run'),
      extraArgs: ['--endpoints-removal-hold', String(HOLD_S), '--no-health-check'],
    });
    engine.start();
    await waitFor('300 cables installed', async () => (await engine.serving()) && (await fdbCount()) === 300, 60000);
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

  it('should never remove a cable of the final content while the file is written in place in chunks', async () => {
    const removedBefore = removedInLog(await engine.log());
    // The final content: the same 300, one of them with a new subnet (an update that must apply).
    const final = stringify(Array.from({ length: 300 }, (_, i) => (i === 7 ? remote(i, 251) : remote(i))));
    let minFdb = 300;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        minFdb = Math.min(minFdb, await fdbCount().catch(() => 300));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const started = Date.now();
    const fh = await open(path, 'w');
    let chunks = 0;
    for (let at = 0; at < final.length; chunks++) {
      const size = 4096 + Math.floor(Math.random() * 4096);
      await fh.write(final.slice(at, at + size));
      at += size;
      await new Promise((r) => setTimeout(r, 200));
    }
    await fh.close();
    const wroteMs = Date.now() - started;
    await waitFor(
      'the final content applied (c7 on its new subnet)',
      async () =>
        (await ip(NS, 'route', 'show', 'table', '100')).includes('10.100.251.0/24') && (await engine.status()).inSync,
      20000,
    );
    polling = false;
    await poller;
    const removed = removedInLog(await engine.log()) - removedBefore;
    process.stdout.write(
      `      whole-file figures: ${final.length} bytes in ${chunks} chunks over ${wroteMs} ms; ` +
        `cables removed: ${removed}; fewest FDB entries seen: ${minFdb} of 300\n`,
    );
    assert.equal(removed, 0, 'no cable removed');
    assert.equal(minFdb, 300, 'the FDB never lost an entry');
    assert.equal(await fdbCount(), 300);
  });

  it('should hold a change that removes most cables, say so in the status, then apply it once the file stayed the same', async () => {
    const tmp = `${path}.new`;
    await writeFile(tmp, stringify(Array.from({ length: 100 }, (_, i) => remote(i))));
    const started = Date.now();
    await rename(tmp, path); // the recommended way: a complete file renamed into place
    await waitFor(
      'the hold in the status',
      async () =>
        (await engine.status()).endpointSourceErrors.some((e) => /removes 200 of 300 endpoints is held/.test(e)),
      10000,
    );
    assert.equal(await fdbCount(), 300, 'nothing removed while held');
    await waitFor('the change applied after the hold', async () => (await fdbCount()) === 100, 30000);
    const heldMs = Date.now() - started;
    process.stdout.write(`      removal hold: 200 of 300 removed after ${heldMs} ms (hold ${HOLD_S} s)\n`);
    assert.ok(heldMs >= HOLD_S * 1000, `held ${heldMs} ms`);
    await waitFor(
      'the hold cleared from the status',
      async () => (await engine.status()).endpointSourceErrors.length === 0,
      10000,
    );
    assert.match(await engine.log(), /endpoints change held/);
  });
});
