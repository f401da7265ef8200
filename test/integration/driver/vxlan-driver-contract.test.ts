/**
 * The driver contract (proto/cabled/driver/v1) against the real VXLAN driver
 * process, served by the SDK on a unix socket in a real namespace: what a
 * caller is promised about errors, idempotency, batching and the watch stream.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import {
  Capability,
  ConnectionEvent_Kind,
  ConnectionStatus,
  type ConnectionEvent,
  type Endpoint,
  type NatEndpointInfo,
} from '../../../src/generated/cabled/driver/v1/driver.js';
import { DriverClient } from '../../../src/engine/driver-host/driver-client.js';
import { checkHealth, createHealthClient } from '../../../src/lib/grpc/health-client.js';
import { COOKIE_ENV, COOKIE_VALUE, SOCKET_ENV } from '../../../src/sdk/handshake.js';
import { DIST } from '../../../lab/engine-process.js';
import { canUseNetns, connectVeth, createNetns, deleteNetns, ipJson, waitFor } from '../../../lab/netns.js';

const NS = `cbt-drv-${process.pid % 100000}`;
const PEER = `${NS}-p`;
const LOCAL_IP = '172.30.6.1';

function ep(cluster: string, ip: string, subnets: string[]): Endpoint {
  return {
    clusterId: cluster,
    cableName: `submariner-cable-${cluster}-${ip.replaceAll('.', '-')}`,
    hostname: cluster,
    subnets,
    privateIp: ip,
    publicIp: '',
    natEnabled: false,
    backend: 'vxlan',
    backendConfig: {},
    healthCheckIp: '',
  };
}
const nat = (e: Endpoint): NatEndpointInfo => ({ endpoint: e, useNat: false, useIp: e.privateIp });
const LOCAL = ep('local', LOCAL_IP, ['10.1.0.0/16']);
const R2 = ep('cluster2', '172.30.6.2', ['10.2.0.0/16']);
const R3 = ep('cluster3', '172.30.6.3', ['10.3.0.0/16']);
const routes = async () =>
  (await ipJson<{ dst: string }[]>(NS, 'route', 'show', 'table', '100')).map((r) => r.dst).sort();

describe('VXLAN driver process: the driver contract (integration, root)', function () {
  this.timeout(30000);
  let work: string;
  let socket: string;
  let child: ChildProcess;
  let client: DriverClient;

  before(async () => {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    work = await mkdtemp(join(tmpdir(), 'cabled-drv-'));
    socket = join(work, 'drivers', 'vxlan.sock');
    await createNetns(NS);
    await createNetns(PEER);
    await connectVeth(
      { ns: NS, name: 'eth0', cidr: `${LOCAL_IP}/24` },
      { ns: PEER, name: 'eth0', cidr: '172.30.6.2/24' },
    );
    child = spawn('ip', ['netns', 'exec', NS, process.execPath, join(DIST, 'drivers/vxlan/main.js')], {
      env: { ...process.env, [SOCKET_ENV]: socket, [COOKIE_ENV]: COOKIE_VALUE },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    client = new DriverClient(socket);
    await waitFor('driver healthy', () => client.healthy(), 15000);
  });

  after(async () => {
    client?.close();
    child?.kill('SIGKILL');
    await deleteNetns(NS);
    await deleteNetns(PEER);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('should serve on a 0600 socket and describe itself, protocol 1, with batch and watch capabilities', async () => {
    assert.equal((await stat(socket)).mode & 0o777, 0o600);
    const info = await client.info();
    assert.equal(info.name, 'vxlan');
    assert.equal(info.protocolVersion, 1);
    assert.ok(info.capabilities.includes(Capability.CAPABILITY_BATCH));
    assert.ok(info.capabilities.includes(Capability.CAPABILITY_WATCH_CONNECTIONS));
    assert.ok(!info.capabilities.includes(Capability.CAPABILITY_ENCRYPTION), 'plain VXLAN does not claim encryption');
  });

  it('should answer grpc.health.v1 for "" and for its service name, as probes that check by name expect', async () => {
    const health = createHealthClient(`unix://${socket}`);
    try {
      assert.equal(await checkHealth(health, ''), 'SERVING');
      assert.equal(await checkHealth(health, 'cabled.driver.v1.CableDriverService'), 'SERVING');
    } finally {
      health.close();
    }
  });

  it('should refuse a connect before Init with FAILED_PRECONDITION', async () => {
    await assert.rejects(client.connect(nat(R2)), (err: { code?: number; details?: string }) => {
      assert.equal(err.code, status.FAILED_PRECONDITION);
      assert.match(err.details ?? '', /Init/);
      return true;
    });
  });

  it('should refuse an endpoint without a cable name with INVALID_ARGUMENT', async () => {
    await client.init({ localEndpoint: LOCAL, config: {}, secrets: {} });
    await assert.rejects(
      client.connect(nat({ ...R2, cableName: '' })),
      (err: { code?: number }) => err.code === status.INVALID_ARGUMENT,
    );
  });

  it('should connect idempotently: the same call twice changes nothing', async () => {
    assert.equal(await client.connect(nat(R2)), R2.privateIp);
    const once = await routes();
    assert.equal(await client.connect(nat(R2)), R2.privateIp);
    assert.deepEqual(await routes(), once);
    assert.deepEqual(once, ['10.2.0.0/16']);
  });

  it('should stream a snapshot, then the changes it observes', async () => {
    const events: ConnectionEvent[] = [];
    const cancel = client.watch(
      (e) => events.push(e),
      () => undefined,
    );
    try {
      await waitFor('snapshot', async () => events.some((e) => e.kind === ConnectionEvent_Kind.KIND_SNAPSHOT));
      await client.connect(nat(R3));
      await waitFor('ADDED cluster3', async () =>
        events.some(
          (e) => e.kind === ConnectionEvent_Kind.KIND_ADDED && e.connection?.endpoint?.clusterId === 'cluster3',
        ),
      );
      await client.disconnect(R3);
      await waitFor('REMOVED cluster3', async () =>
        events.some(
          (e) => e.kind === ConnectionEvent_Kind.KIND_REMOVED && e.connection?.endpoint?.clusterId === 'cluster3',
        ),
      );
    } finally {
      cancel();
    }
  });

  it('should treat a disconnect of an unknown cable as done', async () => {
    await client.disconnect(ep('cluster9', '172.30.6.9', ['10.9.0.0/16']));
    assert.deepEqual(await routes(), ['10.2.0.0/16']);
  });

  it('should apply a batch, reporting a bad cable alone while the others go in', async () => {
    const results = await client.applyCables([R2], [nat(R3), nat(ep('local', '172.30.6.8', ['10.8.0.0/16']))]);
    assert.deepEqual(
      results.map((r) => [r.cableName, r.error === '']),
      [
        [R2.cableName, true],
        [R3.cableName, true],
        ['submariner-cable-local-172-30-6-8', false],
      ],
    );
    assert.match(results[2]?.error ?? '', /local cluster/);
    assert.deepEqual(await routes(), ['10.3.0.0/16']);
  });

  it('should report a cable in error, saying what is missing, when its kernel state is gone, and connected once it is back', async () => {
    // Read while connected first: the driver keeps the connection it built while the kernel shows the same.
    const [before] = await client.connections();
    assert.equal(before?.status, ConnectionStatus.CONNECTION_STATUS_CONNECTED);
    await ipJson(NS, 'route', 'del', '10.3.0.0/16', 'table', '100').catch(() => undefined);
    const [conn] = await client.connections();
    assert.equal(conn?.status, ConnectionStatus.CONNECTION_STATUS_ERROR);
    assert.match(conn?.statusMessage ?? '', /route 10\.3\.0\.0\/16 via 241\.30\.6\.3: route missing/);
    await client.connect(nat(R3));
    const [fixed] = await client.connections();
    assert.equal(fixed?.status, ConnectionStatus.CONNECTION_STATUS_CONNECTED);
    await ipJson(NS, 'link', 'set', 'vxlan-tunnel', 'down');
    const [down] = await client.connections();
    assert.equal(down?.status, ConnectionStatus.CONNECTION_STATUS_ERROR);
    assert.match(down?.statusMessage ?? '', /device vxlan-tunnel: device is down/);
    await ipJson(NS, 'link', 'set', 'vxlan-tunnel', 'up');
    const [routeless] = await client.connections(); // the kernel dropped the device's routes with it
    assert.match(routeless?.statusMessage ?? '', /route missing/);
    await client.connect(nat(R3));
    const [up] = await client.connections();
    assert.equal(up?.status, ConnectionStatus.CONNECTION_STATUS_CONNECTED);
  });

  it('should remove everything on Cleanup, and allow it twice', async () => {
    await client.cleanup();
    await client.cleanup();
    assert.deepEqual(await ipJson(NS, 'link', 'show', 'type', 'vxlan'), []);
    assert.deepEqual(await routes(), []);
  });
});
