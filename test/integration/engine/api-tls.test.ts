/**
 * The engine's TCP API from another host (a second network namespace over a
 * veth), against a real engine with the VXLAN driver, with certificates made
 * by openssl in the test. The case observed before: an unprivileged user on
 * another host ran `cablectl --address ... shutdown --cleanup` and removed the
 * datapath. Now: without a certificate, or with one from another CA, nothing
 * answers; a read-only certificate reads but Shutdown is PERMISSION_DENIED
 * and the datapath stays; only a certificate named by --tls-admin stops it.
 * And the engine refuses to serve TCP at all without the TLS files. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { makeTestPki, type CertFiles, type TestPki } from '../../helpers/certs.js';
import { CABLECTL_MAIN, ENGINE_MAIN, EngineProcess } from '../../../lab/engine-process.js';
import {
  canUseNetns,
  connectVeth,
  createNetns,
  deleteNetns,
  ipJson,
  nsExec,
  waitFor,
  type CommandResult,
} from '../../../lab/netns.js';

const tag = `${process.pid}`;
const NS = `cbt-trustapi-${tag}-gw`;
const OTHER_HOST = `cbt-trustapi-${tag}-ot`;
const IP = '172.30.41.1';
const OTHER_IP = '172.30.41.2';
const API = `${IP}:50051`;

const vxlanIfindex = async (): Promise<number | undefined> =>
  (await ipJson<{ ifindex: number }[]>(NS, 'link', 'show', 'dev', 'vxlan-tunnel').catch(() => []))[0]?.ifindex;
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** cablectl run on the other host; resolves with exit code and output, never rejects. */
async function cablectlElsewhere(args: string[]): Promise<CommandResult & { code: number }> {
  try {
    return { ...(await nsExec(OTHER_HOST, process.execPath, [CABLECTL_MAIN, ...args], 40000)), code: 0 };
  } catch (err) {
    const m = /exit (\d+): ([\s\S]*)$/.exec(String(err));
    return { stdout: '', stderr: m?.[2] ?? String(err), code: Number(m?.[1] ?? -1) };
  }
}

describe('engine TCP API with mutual TLS, reached from another host (integration, root)', function () {
  this.timeout(120000);
  let work: string;
  let pki: TestPki;
  let engine: EngineProcess | undefined;

  const tls = (who: CertFiles): string[] => [
    '--address',
    API,
    '--tls-ca',
    pki.ca.cert,
    '--tls-cert',
    who.cert,
    '--tls-key',
    who.key,
  ];

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-apitls-'));
    pki = await makeTestPki(work, [`IP:${IP}`]);
    await writeFile(
      join(work, 'endpoints.yaml'),
      stringify([
        { cluster_id: 'cluster2', hostname: 'gw-2', private_ip: OTHER_IP, subnets: ['10.2.0.0/16'], backend: 'vxlan' },
      ]),
    );
    await createNetns(NS);
    await createNetns(OTHER_HOST);
    await connectVeth(
      { ns: NS, name: 'eth-ta', cidr: `${IP}/24` },
      { ns: OTHER_HOST, name: 'eth-tb', cidr: `${OTHER_IP}/24` },
    );
    engine = new EngineProcess({
      ns: NS,
      clusterId: 'cluster1',
      privateIp: IP,
      subnets: ['10.1.0.0/16'],
      endpointsPath: join(work, 'endpoints.yaml'),
      runDir: join(work, 'run'),
      extraArgs: [
        '--listen',
        `unix://${join(work, 'run', 'engine.sock')}`,
        '--listen',
        API,
        '--tls-cert',
        pki.server.cert,
        '--tls-key',
        pki.server.key,
        '--tls-client-ca',
        pki.ca.cert,
        '--tls-admin',
        'someone-else,ops-admin',
      ],
    });
    engine.start();
    const e = engine;
    await waitFor(
      'engine SERVING with its VXLAN device',
      async () => (await e.serving()) && !!(await vxlanIfindex()),
      40000,
    );
  });

  after(async function () {
    const failed = this.currentTest?.state === 'failed' || !!process.env.CABLED_TEST_LOGS;
    if (failed) process.stderr.write(`--- engine log ---\n${(await engine?.log())?.slice(-4000)}\n`);
    await engine?.stop('SIGKILL');
    await deleteNetns(NS);
    await deleteNetns(OTHER_HOST);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses a client without a certificate', async () => {
    const plain = await cablectlElsewhere(['--address', API, 'health', '--timeout', '5']);
    assert.equal(plain.code, 1, plain.stderr);
    assert.match(plain.stderr, /cannot reach the engine at 172\.30\.41\.1:50051/);
    const usage = await cablectlElsewhere(['--address', API, 'shutdown', '--cleanup']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /the engine's TCP API requires mutual TLS/);
    assert.ok(alive(engine?.pid ?? 0) && (await vxlanIfindex()), 'the engine and its datapath are untouched');
  });

  it('refuses a client certificate from another CA (with the admin name)', async () => {
    const r = await cablectlElsewhere([...tls(pki.stranger), 'shutdown', '--cleanup', '--timeout', '10']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /TLS handshake failed/);
    assert.ok(alive(engine?.pid ?? 0) && (await vxlanIfindex()), 'the engine and its datapath are untouched');
  });

  it('lets a read-only certificate read, but refuses its Shutdown with PERMISSION_DENIED', async () => {
    const status = await cablectlElsewhere([...tls(pki.reader), 'connections']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /cluster2/);
    const before = await vxlanIfindex();
    const r = await cablectlElsewhere([...tls(pki.reader), 'shutdown', '--cleanup']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /refused the call: Shutdown changes the gateway and is refused to client certificate CN=reader/,
    );
    assert.ok(alive(engine?.pid ?? 0), 'the engine still runs');
    assert.equal(await vxlanIfindex(), before, 'the same vxlan-tunnel device is still there');
    assert.match((await engine?.log()) ?? '', /API call refused/);
  });

  it('lets a certificate named by --tls-admin shut the engine down with --cleanup', async () => {
    const pid = engine?.pid ?? 0;
    const r = await cablectlElsewhere([...tls(pki.admin), 'shutdown', '--cleanup']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'engine stopped; datapath removed');
    await waitFor('engine process gone', async () => !alive(pid), 15000);
    assert.equal(await vxlanIfindex(), undefined, 'vxlan-tunnel is gone');
  });

  it('refuses to start with a TCP --listen and no TLS files, saying how to make them', async () => {
    const r = await nsExec(NS, process.execPath, [
      ENGINE_MAIN,
      '--cluster-id',
      'cluster1',
      '--endpoints',
      join(work, 'endpoints.yaml'),
      '--run-dir',
      join(work, 'run-plain'),
      '--listen',
      API,
    ]).then(
      () => assert.fail('the engine started'),
      (err: unknown) => String(err),
    );
    assert.match(r, /exit 2/);
    assert.match(r, /--listen="172\.30\.41\.1:50051": the TCP API requires mutual TLS/);
    assert.match(r, /openssl commands are in docs\/deploy\.md/);

    const mismatch = await nsExec(NS, process.execPath, [
      ENGINE_MAIN,
      '--cluster-id',
      'cluster1',
      '--private-ip',
      IP,
      '--endpoints',
      join(work, 'endpoints.yaml'),
      '--run-dir',
      join(work, 'run-mismatch'),
      '--listen',
      API,
      '--tls-cert',
      pki.server.cert,
      '--tls-key',
      pki.admin.key,
      '--tls-client-ca',
      pki.ca.cert,
    ]).then(
      () => assert.fail('the engine started'),
      (err: unknown) => String(err),
    );
    assert.match(mismatch, /exit 1/);
    assert.match(mismatch, /--tls-key \S+admin\.key: not the private key of \S+server\.crt/);
    assert.equal(await vxlanIfindex(), undefined, 'it touched nothing (no VXLAN device made)');
  });
});
