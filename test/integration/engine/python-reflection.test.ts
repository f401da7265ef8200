/**
 * Reflection a standard client can use: two real engines with the VXLAN
 * driver on two namespaces, connected, and a client that is not written in
 * TypeScript (test/clients/reflection_client.py, on Debian's python3-grpcio
 * and python3-protobuf, with no .proto files and no generated code) discovers
 * the API by reflection alone, builds the descriptor pool from what the
 * server sent, and calls GetStatus, ListConnections and grpc.health.v1 Check
 * by service name. Runs as root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ConnectionStatus } from '../../../src/generated/cabled/driver/v1/driver.js';
import { EngineProcess, tearDownEngines } from '../../../lab/engine-process.js';
import { canUseNetns, connectVeth, createNetns, waitFor } from '../../../lab/netns.js';

const PYTHON = '/usr/bin/python3';
const CLIENT = fileURLToPath(new URL('../../../../test/clients/reflection_client.py', import.meta.url));
const tag = `${process.pid % 100000}`;
const NS1 = `cbt-polish-${tag}-r1`;
const NS2 = `cbt-polish-${tag}-r2`;
const IP1 = '172.30.41.1';
const IP2 = '172.30.41.2';

interface ClientOutput {
  services: string[];
  files: Record<string, string[]>;
  status: { version?: string; local_endpoint?: { cluster_id?: string }; driver?: { capabilities?: string[] } };
  connections: { status?: string; endpoint?: { cluster_id?: string; cable_name?: string } }[];
  health: Record<string, string>;
}

/** Runs the Python client against `socket`; rejects with its stderr. */
function pythonClient(socket: string, version: 'v1' | 'v1alpha'): Promise<ClientOutput> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [CLIENT, `unix://${socket}`, version], { timeout: 60000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`reflection_client.py ${version} failed: ${stderr.trim() || err.message}`));
      else resolve(JSON.parse(stdout) as ClientOutput);
    });
  });
}

describe('reflection: a Python grpcio client discovers and calls a real engine (integration, root)', function () {
  this.timeout(120000);
  let work: string | undefined;
  let e1: EngineProcess | undefined;
  let e2: EngineProcess | undefined;

  before(async function () {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: run scripts/install-deps.sh (python3-grpcio)`);
    work = await mkdtemp(join(tmpdir(), 'cabled-pyrefl-'));
    const endpointsPath = join(work, 'endpoints.yaml');
    await writeFile(
      endpointsPath,
      stringify([
        { cluster_id: 'cluster1', hostname: 'gw-1', private_ip: IP1, subnets: ['10.1.0.0/16'], backend: 'vxlan' },
        { cluster_id: 'cluster2', hostname: 'gw-2', private_ip: IP2, subnets: ['10.2.0.0/16'], backend: 'vxlan' },
      ]),
    );
    await createNetns(NS1);
    await createNetns(NS2);
    await connectVeth({ ns: NS1, name: 'eth-r1', cidr: `${IP1}/24` }, { ns: NS2, name: 'eth-r2', cidr: `${IP2}/24` });
    const spec = { endpointsPath, extraArgs: ['--no-health-check'] };
    e1 = new EngineProcess({
      ...spec,
      ns: NS1,
      clusterId: 'cluster1',
      privateIp: IP1,
      subnets: ['10.1.0.0/16'],
      runDir: join(work, 'run1'),
    });
    e2 = new EngineProcess({
      ...spec,
      ns: NS2,
      clusterId: 'cluster2',
      privateIp: IP2,
      subnets: ['10.2.0.0/16'],
      runDir: join(work, 'run2'),
    });
    e1.start();
    e2.start();
    await waitFor('both engines SERVING', async () => (await e1!.serving()) && (await e2!.serving()), 60000);
    const connected = async (e: EngineProcess) =>
      (await e.connections()).some((c) => c.status === ConnectionStatus.CONNECTION_STATUS_CONNECTED);
    await waitFor('both cables connected', async () => (await connected(e1!)) && (await connected(e2!)), 60000);
  });

  after(async function () {
    await tearDownEngines({
      engines: [e1, e2],
      namespaces: [NS1, NS2],
      work,
      failed: this.currentTest?.state === 'failed',
    });
  });

  for (const version of ['v1', 'v1alpha'] as const) {
    it(`grpc.reflection.${version}: lists the services, builds every file, calls GetStatus and ListConnections`, async () => {
      const out = await pythonClient(e1!.socket, version);
      assert.deepEqual(out.services.sort(), [
        'cabled.engine.v1.GatewayService',
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
      ]);
      assert.deepEqual(out.files['cabled/engine/v1/engine.proto'], ['cabled/driver/v1/driver.proto']);
      assert.ok(out.files['cabled/driver/v1/driver.proto'], Object.keys(out.files).join(', '));
      assert.equal(out.status.local_endpoint?.cluster_id, 'cluster1');
      assert.ok(out.status.driver?.capabilities?.includes('CAPABILITY_BATCH'), JSON.stringify(out.status.driver));
      assert.deepEqual(
        out.connections.map((c) => [c.endpoint?.cluster_id, c.status]),
        [['cluster2', 'CONNECTION_STATUS_CONNECTED']],
      );
      assert.deepEqual(out.health, { '': 'SERVING', 'cabled.engine.v1.GatewayService': 'SERVING' });
    });
  }

  it('sees the same connection as the TypeScript client', async () => {
    const [mine] = await e2!.connections();
    const out = await pythonClient(e2!.socket, 'v1');
    assert.equal(mine?.status, ConnectionStatus.CONNECTION_STATUS_CONNECTED);
    assert.equal(out.connections[0]?.endpoint?.cable_name, mine?.endpoint?.cableName);
  });
});
