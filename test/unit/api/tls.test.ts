/**
 * The engine API over TCP with mutual TLS, with real certificates the test
 * makes with the openssl CLI: a client without a certificate, or with one from
 * another CA, is refused at the handshake; a certificate from the CA reads but
 * cannot Shutdown; a certificate named by --tls-admin (CN or SAN) can; the
 * unix socket can without any. A new server certificate is served without a
 * restart. The plaintext health listener serves grpc.health.v1 and nothing else.
 * cablectl runs as a child process, as users run it.
 */
import { credentials, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { StopRequests, startApiServer, type ApiServer } from '../../../src/engine/api/index.js';
import { GatewayServiceClient } from '../../../src/generated/cabled/engine/v1/engine.js';
import { call } from '../../../src/lib/grpc/call.js';
import { checkHealth, createHealthClient } from '../../../src/lib/grpc/health-client.js';
import { makeTestPki, type CertFiles, type TestPki } from '../../helpers/certs.js';
import { FakeGatewayView } from './fake-view.js';
import { waitFor } from './helpers.js';

const CABLECTL = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

function cablectl(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CABLECTL, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

async function clientCreds(pki: TestPki, who: CertFiles | undefined, ca = pki.ca.cert): Promise<ChannelCredentials> {
  const caPem = await readFile(ca);
  if (!who) return credentials.createSsl(caPem);
  return credentials.createSsl(caPem, await readFile(who.key), await readFile(who.cert));
}

/** The common name of the certificate the server presents at `address` right now. */
function servedCn(address: string, pki: TestPki, who: CertFiles): Promise<string> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return Promise.all([readFile(pki.ca.cert), readFile(who.cert), readFile(who.key)]).then(
    ([ca, cert, key]) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host, port, ca, cert, key, ALPNProtocols: ['h2'], servername: 'localhost' }, () => {
          const cn = socket.getPeerCertificate().subject?.CN;
          socket.destroy();
          resolve(Array.isArray(cn) ? cn.join() : (cn ?? ''));
        });
        socket.once('error', reject);
      }),
  );
}

describe('engine API over TCP with mutual TLS (real certificates from openssl)', function () {
  this.timeout(60000);
  let dir: string;
  let pki: TestPki;
  let api: ApiServer | undefined;
  let stops: StopRequests;
  let tcp: string;
  let socket: string;
  const clients: { close(): void }[] = [];

  const gateway = async (who: CertFiles | undefined, ca?: string): Promise<GatewayServiceClient> => {
    const c = new GatewayServiceClient(tcp, await clientCreds(pki, who, ca), {
      'grpc.ssl_target_name_override': 'localhost',
    });
    clients.push(c);
    return c;
  };
  const tlsFlags = (who: CertFiles): string[] => [
    '--address',
    tcp,
    '--tls-ca',
    pki.ca.cert,
    '--tls-cert',
    who.cert,
    '--tls-key',
    who.key,
  ];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cabled-tls-'));
    pki = await makeTestPki(dir, ['IP:127.0.0.1', 'DNS:localhost']);
    // The files the engine serves; the reload test replaces them.
    await copyFile(pki.server.cert, join(dir, 'tls.crt'));
    await copyFile(pki.server.key, join(dir, 'tls.key'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    stops = new StopRequests();
    api = await startApiServer({
      view: new FakeGatewayView(),
      listen: [`unix://${join(dir, 'run', 'engine.sock')}`, '127.0.0.1:0'],
      healthListen: '127.0.0.1:0',
      tls: {
        certFile: join(dir, 'tls.crt'),
        keyFile: join(dir, 'tls.key'),
        clientCaFile: pki.ca.cert,
        admins: ['nobody', 'spiffe://test/admin'],
        reloadPollMs: 500,
      },
      onShutdown: stops.handler,
      shutdownTimeoutMs: 2000,
    });
    [socket, tcp] = [api.addresses[0] ?? '', api.addresses[1] ?? ''];
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    stops.finished({ cleanedUp: false });
    await api?.close();
    await copyFile(pki.server.cert, join(dir, 'tls.crt'));
    await copyFile(pki.server.key, join(dir, 'tls.key'));
  });

  it('refuses a client without a certificate', async () => {
    const c = await gateway(undefined);
    await assert.rejects(call(c.getStatus.bind(c), {}, { timeoutMs: 5000 }), { code: status.UNAVAILABLE });
    const r = await cablectl(['--address', tcp, 'status']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--address needs --tls-ca, --tls-cert, --tls-key: the engine's TCP API requires mutual TLS/);
  });

  it('refuses a client certificate from another CA, even with an admin name', async () => {
    const c = await gateway(pki.stranger);
    await assert.rejects(call(c.getStatus.bind(c), {}, { timeoutMs: 5000 }), { code: status.UNAVAILABLE });
    const r = await cablectl([...tlsFlags(pki.stranger), '--tls-server-name', 'localhost', 'shutdown']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TLS handshake failed or the engine closed the connection .*--tls-client-ca/);
    assert.equal(await Promise.race([stops.requested.then(() => 'stopped'), Promise.resolve('running')]), 'running');
  });

  it("tells a cablectl user when the engine's certificate does not verify or names another host", async () => {
    const wrongCa = await cablectl([
      ...tlsFlags(pki.reader).slice(0, 2),
      '--tls-ca',
      pki.strangerCa.cert,
      '--tls-cert',
      pki.reader.cert,
      '--tls-key',
      pki.reader.key,
      'status',
    ]);
    assert.equal(wrongCa.code, 1);
    assert.match(wrongCa.stderr, /the engine's certificate does not verify against --tls-ca/);
    const wrongName = await cablectl([...tlsFlags(pki.reader), '--tls-server-name', 'other.example', 'status']);
    assert.equal(wrongName.code, 1);
    assert.match(wrongName.stderr, /the engine's certificate is not for this address; pass --tls-server-name/);
  });

  it('refuses a plaintext client on the TLS port', async () => {
    const c = new GatewayServiceClient(tcp, credentials.createInsecure());
    clients.push(c);
    await assert.rejects(call(c.getStatus.bind(c), {}, { timeoutMs: 5000 }), { code: status.UNAVAILABLE });
  });

  it('lets a read-only certificate read but not Shutdown (PERMISSION_DENIED)', async () => {
    const c = await gateway(pki.reader);
    const res = await call(c.getStatus.bind(c), {}, { timeoutMs: 5000 });
    assert.equal(res.status?.driver?.name, 'vxlan');
    const err = await call(c.shutdown.bind(c), { cleanup: true }, { timeoutMs: 5000 }).then(
      () => assert.fail('Shutdown should be refused'),
      (e: ServiceError) => e,
    );
    assert.equal(err.code, status.PERMISSION_DENIED);
    assert.match(err.details, /Shutdown changes the gateway and is refused to client certificate CN=reader/);
    assert.match(err.details, /--tls-admin/);
    const r = await cablectl([...tlsFlags(pki.reader), 'shutdown', '--cleanup']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused the call: Shutdown changes the gateway/);
    const st = await cablectl([...tlsFlags(pki.reader), 'status']);
    assert.equal(st.code, 0, st.stderr);
    assert.equal(await Promise.race([stops.requested.then(() => 'stopped'), Promise.resolve('running')]), 'running');
  });

  it('lets a certificate named by --tls-admin (here by its URI SAN) Shutdown', async () => {
    const r = cablectl([...tlsFlags(pki.admin), 'shutdown', '--cleanup', '--timeout', '20']);
    const stop = await stops.requested;
    assert.deepEqual(stop, { cleanup: true, reason: 'api' });
    stops.finished({ cleanedUp: true });
    await api?.close(); // the engine exits: cablectl waits for its API to go
    const done = await r;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.trim(), 'engine stopped; datapath removed');
    assert.equal(done.stderr, '');
  });

  it('lets the unix socket Shutdown without a certificate', async () => {
    const c = new GatewayServiceClient(socket, credentials.createInsecure());
    clients.push(c);
    const pending = call(c.shutdown.bind(c), { cleanup: false }, { timeoutMs: 5000 });
    assert.equal((await stops.requested).reason, 'api');
    stops.finished({ cleanedUp: false });
    assert.equal((await pending).cleanedUp, false);
  });

  it('serves a new server certificate when the files change, without a restart', async () => {
    assert.equal(await servedCn(tcp, pki, pki.reader), 'cabled-engine');
    const renewed = await pki.ca.issue('server2', {
      cn: 'cabled-engine-renewed',
      san: ['IP:127.0.0.1', 'DNS:localhost'],
      usage: 'server',
    });
    await copyFile(renewed.key, join(dir, 'tls.key'));
    await copyFile(renewed.cert, join(dir, 'tls.crt'));
    await waitFor(async () => (await servedCn(tcp, pki, pki.reader)) === 'cabled-engine-renewed', 15000, 'new cert');
    const c = await gateway(pki.reader);
    assert.ok((await call(c.getStatus.bind(c), {}, { timeoutMs: 5000 })).status);
  });

  it('keeps serving the previous certificate when the new files do not match', async () => {
    const other = await pki.ca.issue('server3', { cn: 'mismatch', san: ['DNS:localhost'], usage: 'server' });
    await copyFile(other.key, join(dir, 'tls.key')); // the key alone: it does not belong to tls.crt
    await new Promise((r) => setTimeout(r, 1500)); // a change that must NOT show: nothing to poll for
    assert.equal(await servedCn(tcp, pki, pki.reader), 'cabled-engine');
  });

  it('serves only grpc.health.v1 on the plaintext health listener', async () => {
    const address = api?.healthAddress ?? assert.fail('no health address');
    const probe = createHealthClient(address);
    clients.push(probe);
    assert.equal(await checkHealth(probe, 'liveness', { timeoutMs: 5000 }), 'SERVING');
    const c = new GatewayServiceClient(address, credentials.createInsecure());
    clients.push(c);
    for (const rpc of [c.getStatus.bind(c), c.listConnections.bind(c), c.shutdown.bind(c)] as const) {
      await assert.rejects(call(rpc as typeof c.getStatus, {}, { timeoutMs: 5000 }), { code: status.UNIMPLEMENTED });
    }
    const reflection = await new Promise<number>((resolve) => {
      const stream = c.makeBidiStreamRequest(
        '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
        (x: Buffer) => x,
        (x: Buffer) => x,
      );
      stream.on('error', (e: ServiceError) => resolve(e.code));
      stream.on('data', () => resolve(-1));
      stream.write(Buffer.from([0x3a, 0x00])); // list_services: ""
      stream.end();
    });
    assert.equal(reflection, status.UNIMPLEMENTED);
  });

  it('refuses to serve TCP without TLS, saying how to make the files', async () => {
    await assert.rejects(
      startApiServer({ view: new FakeGatewayView(), listen: ['127.0.0.1:0'] }),
      /the TCP API requires mutual TLS.*openssl commands are in docs\/deploy\.md/,
    );
  });
});
