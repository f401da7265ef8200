/**
 * Secret hygiene of the whole engine, as a real process with the real
 * libreswan driver and its own pluto, in network namespaces. The engine runs
 * with a distinctive PSK, then is fed every bad ConfigMap observed to leak it
 * (a PSK value starting with *, |, > or !, a misspelt ceIPSecPKS, an unclosed
 * quote, a duplicate key, the PSK as a key); engines are also started with
 * each of them. No part of the PSK (no 10-character piece of it) may appear
 * in any log line (engine, drivers, pluto), any API answer (GetStatus,
 * ListConnections, GetConnection, health, cablectl) or the command line of
 * any process on the machine. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { GatewayStatus } from '../../../src/generated/cabled/engine/v1/engine.js';
import { Connection } from '../../../src/generated/cabled/driver/v1/driver.js';
import { call } from '../../../src/lib/grpc/call.js';
import { CABLECTL_MAIN, ENGINE_MAIN, EngineProcess } from '../../../lab/engine-process.js';
import { writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { canUseNetns, connectVeth, createNetns, deleteNetns, nsExec, run, waitFor } from '../../../lab/netns.js';

/** Distinctive: none of its 10-character pieces occurs in ordinary text. */
const PSK = 'Qv7rT2kLm9XpW4zN8bHc3JfY6dGs1aE5uR0oIy';
const PIECE = 10;
const tag = `${process.pid}`;
const NS = `cbt-trustapi-${tag}-sh`;
const PEER = `cbt-trustapi-${tag}-sp`;
const IP = '172.30.43.1';
const PEER_IP = '172.30.43.2';

const GOOD = `ceIPSecMode: "tunnel"\nceIPSecPSK: "${PSK}"\n`;
/** The bad ConfigMaps, by what they do. */
const BAD: [string, string][] = [
  ['alias (*)', `ceIPSecMode: "tunnel"\nceIPSecPSK: *${PSK}\n`],
  ['block scalar (|)', `ceIPSecMode: "tunnel"\nceIPSecPSK: |${PSK}\n`],
  ['folded scalar (>)', `ceIPSecPSK: >${PSK}\nceIPSecMode: "tunnel"\n`],
  ['tag (!)', `ceIPSecMode: "tunnel"\nceIPSecPSK: !${PSK}\n`],
  ['tag with a value after it', `ceIPSecMode: "tunnel"\nceIPSecPSK: !${PSK} more\n`],
  ['misspelt key ceIPSecPKS', `ceIPSecMode: "tunnel"\nceIPSecPKS: ${PSK}\n`],
  ['misspelt key, quoted', `ceIPSecMode: "tunnel"\nceIPSecPKS: "${PSK}"\n`],
  ['unclosed quote', `ceIPSecMode: "tunnel"\nceIPSecPSK: "${PSK}\n`],
  ['duplicate key', `ceIPSecPSK: "${PSK}"\nceIPSecPSK: "${PSK}"\n`],
  ['the PSK as a key', `ceIPSecMode: "tunnel"\n${PSK}: x\n`],
  ['a nested mapping', `ceIPSecMode: "tunnel"\nceIPSecPSK: a: ${PSK}\n`],
];

/** The PSK as written, and base64-encoded (as pluto's secrets file and Submariner's Secret hold it). */
const FORMS = [PSK, Buffer.from(PSK, 'utf8').toString('base64')];

/** Every 10-character piece of the PSK (either form) found in `text`, with some context. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const form of FORMS) {
    for (let i = 0; i + PIECE <= form.length; i++) {
      const at = text.indexOf(form.slice(i, i + PIECE));
      if (at >= 0) found.push(JSON.stringify(text.slice(Math.max(0, at - 60), at + 60)));
    }
  }
  return [...new Set(found)];
}

/** Command lines of every process on the machine. */
async function allCommandLines(): Promise<string[]> {
  const out: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd) out.push(cmd.split('\0').join(' '));
  }
  return out;
}

describe('secret hygiene: a PSK never reaches a log, an API answer or a command line (integration, root, real pluto)', function () {
  this.timeout(300000);
  let work: string;
  let engine: EngineProcess | undefined;
  const configDir = (): string => join(work, 'config');
  const answers: string[] = [];
  const commandLines: string[] = [];
  const sawProcesses = { engine: false, driver: false, pluto: false };

  /** Collects every API answer now (gRPC and cablectl), and every command line. */
  const collect = async (e: EngineProcess, full: boolean): Promise<GatewayStatus> => {
    const status = await e.status();
    answers.push(JSON.stringify(GatewayStatus.toJSON(status)));
    const connections = await e.connections();
    answers.push(JSON.stringify(connections.map((c) => Connection.toJSON(c))));
    const gw = e.gatewayClient();
    const one = await call(gw.getConnection.bind(gw), { name: 'cluster2' }, { timeoutMs: 5000 }).catch(String);
    answers.push(JSON.stringify(one));
    const views = full
      ? [['status'], ['status', '-o', 'json'], ['connections', '-o', 'wide'], ['health']]
      : [['status']];
    for (const args of views) {
      const r = await run(process.execPath, [CABLECTL_MAIN, '--socket', e.socket, ...args], 30000).catch(String);
      answers.push(JSON.stringify(r));
    }
    for (const cmd of await allCommandLines()) {
      commandLines.push(cmd);
      if (cmd.includes(ENGINE_MAIN)) sawProcesses.engine = true;
      if (cmd.includes('drivers/libreswan/main.js')) sawProcesses.driver = true;
      if (/\bpluto\b/.test(cmd) && cmd.includes(work)) sawProcesses.pluto = true;
    }
    return status;
  };

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-secret-'));
    await writeFile(
      join(work, 'endpoints.yaml'),
      stringify([
        {
          cluster_id: 'cluster2',
          hostname: 'gw2',
          private_ip: PEER_IP,
          subnets: ['10.2.0.0/16'],
          backend: 'libreswan',
        },
      ]),
    );
    await createNetns(NS);
    await createNetns(PEER);
    await connectVeth(
      { ns: NS, name: 'eth-sa', cidr: `${IP}/24` },
      { ns: PEER, name: 'eth-sb', cidr: `${PEER_IP}/24` },
    );
  });

  after(async function () {
    if (this.currentTest?.state === 'failed' || process.env.CABLED_TEST_LOGS)
      process.stderr.write(`--- engine log ---\n${(await engine?.log())?.slice(-4000)}\n`);
    await engine?.stop('SIGTERM');
    await engine?.stopPluto();
    await deleteNetns(NS);
    await deleteNetns(PEER);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses to start with the observed bad ConfigMaps, with a message that holds no part of the PSK', async () => {
    // The observed ones (each engine start costs seconds); the reload test below runs them all.
    const observed = new Set([
      'alias (*)',
      'block scalar (|)',
      'folded scalar (>)',
      'tag (!)',
      'misspelt key ceIPSecPKS',
    ]);
    for (const [what, text] of BAD.filter(([w]) => observed.has(w))) {
      const dir = join(work, `start-${BAD.findIndex(([w]) => w === what)}`);
      writeKubeletVolume(dir, { ceCustomConfig: text });
      const out = await nsExec(
        PEER,
        process.execPath,
        [
          ENGINE_MAIN,
          '--cluster-id',
          'cluster2',
          '--private-ip',
          PEER_IP,
          '--driver',
          'libreswan',
          '--endpoints',
          join(work, 'endpoints.yaml'),
          '--run-dir',
          join(dir, 'run'),
          '--config',
          dir,
        ],
        90000,
      ).then(
        (r) => assert.fail(`${what}: the engine started: ${r.stderr}`),
        (err: unknown) => String(err),
      );
      assert.match(out, /exit 1/, `${what}: ${out}`);
      assert.match(out, /invalid configuration/, `${what}: ${out}`);
      assert.deepEqual(leaks(out), [], `${what}: the startup error leaks the PSK`);
    }
  });

  it('runs with the PSK, rejects each bad ConfigMap on reload naming key and position, and leaks nothing', async () => {
    writeKubeletVolume(configDir(), { ceCustomConfig: GOOD });
    engine = new EngineProcess({
      ns: NS,
      clusterId: 'cluster1',
      privateIp: IP,
      subnets: ['10.1.0.0/16'],
      endpointsPath: join(work, 'endpoints.yaml'),
      runDir: join(work, 'run'),
      extraArgs: ['--driver', 'libreswan', '--config', configDir()],
    });
    engine.start();
    const e = engine;
    await waitFor(
      'libreswan driver running with its pluto',
      async () => {
        const st = await e.status();
        return st.driver?.state === 'running' && st.inSync && st.configError === '';
      },
      90000,
      250,
    );
    await collect(e, true);
    // Negative control: the PSK is in force (pluto's secrets file holds it, base64) and the scan finds it there.
    const secrets = await readFile(join(work, 'run', 'drivers', 'pluto', 'ipsec.secrets'), 'utf8');
    assert.ok(leaks(secrets).length > 0, 'the scan finds the PSK where it belongs');

    const errors: string[] = [];
    for (const [what, text] of BAD) {
      writeKubeletVolume(configDir(), { ceCustomConfig: text });
      await waitFor(`${what}: the config error shows`, async () => (await e.status()).configError !== '', 30000, 100);
      const status = await collect(e, what === 'tag (!)');
      errors.push(`${what}: ${status.configError}`);
      assert.deepEqual(leaks(status.configError), [], `${what}: ${status.configError}`);
      writeKubeletVolume(configDir(), { ceCustomConfig: GOOD });
      await waitFor(`${what}: back to the good config`, async () => (await e.status()).configError === '', 30000, 100);
    }
    // The messages say what is wrong and where.
    const joined = errors.join('\n');
    assert.match(
      joined,
      /tag \(!\): .*at line 2, column 13 \(key ceIPSecPSK\): a value starting with "!" is read as a YAML tag/,
    );
    assert.match(joined, /misspelt key ceIPSecPKS: .*ceIPSecPKS="\[redacted, \d+ bytes\]": unknown key; did you mean/);
    assert.match(joined, /block scalar \(\|\): .*\(key ceIPSecPSK\)/);
    assert.match(joined, /the PSK as a key: .*\(a key of 38 characters\)/);

    assert.ok(sawProcesses.engine && sawProcesses.driver && sawProcesses.pluto, JSON.stringify(sawProcesses));
    assert.deepEqual(leaks(answers.join('\n')), [], 'an API answer leaks the PSK');
    assert.deepEqual(leaks(commandLines.join('\n')), [], 'a command line leaks the PSK');
    const engineLog = await e.log();
    assert.match(engineLog, /config update rejected/);
    assert.deepEqual(leaks(engineLog), [], 'the engine log (with the driver lines) leaks the PSK');
    const plutoLog = await readFile(join(work, 'run', 'drivers', 'pluto', 'pluto.log'), 'utf8').catch(() => '');
    assert.deepEqual(leaks(plutoLog), [], "pluto's log leaks the PSK");
    // No raw YAML warning outside the logger: every line of the engine's output is a JSON log entry.
    const raw = engineLog.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
    assert.deepEqual(raw, [], 'lines outside the logger');
  });
});
