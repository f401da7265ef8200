/**
 * cablectl as users run it: `node dist/src/cli/main.js ...` as a child
 * process against a real engine API server over a unix socket.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Capability } from '../../../src/generated/cabled/driver/v1/driver.js';
import { makeConnection } from '../api/fake-view.js';
import { startTestServer, waitFor, type TestServer } from '../api/helpers.js';

// dist/test/unit/cli/ → dist/src/cli/main.js
const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cablectl(args: readonly string[]): Promise<Result> {
  const env = { ...process.env };
  delete env.CABLED_SOCKET;
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env, timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('cablectl against a running engine API', function () {
  let t: TestServer;
  let socket: string[];
  beforeEach(async () => {
    t = await startTestServer();
    socket = ['--socket', t.socketPath];
  });
  afterEach(async () => {
    await t.stop();
  });

  it('connections prints a table with the remote cluster and its status', async () => {
    const r = await cablectl([...socket, 'connections']);
    assert.equal(r.code, 0, r.stderr);
    const [header, row] = r.stdout.trimEnd().split('\n');
    assert.match(
      header ?? '',
      /^GATEWAY\s+CLUSTER\s+REMOTE-IP\s+NAT\s+CABLE-DRIVER\s+SUBNETS\s+STATUS\s+RTT-AVG\s+RX\s+TX$/,
    );
    assert.match(
      row ?? '',
      /gw-cluster2\s+cluster2\s+10\.0\.0\.2\s+no\s+vxlan\s+.*\s+connected\s+1\.5ms\s+1\.5 KiB\s+3\.0 MiB/,
    );
  });

  it('connections shows "-" for RX/TX and status names every capability when the driver has no traffic counters', async () => {
    const driver = t.view.gatewayStatus.driver!;
    driver.capabilities = [Capability.CAPABILITY_WATCH_CONNECTIONS, Capability.CAPABILITY_BATCH];
    const r = await cablectl([...socket, 'connections']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trimEnd().split('\n')[1] ?? '', /connected\s+1\.5ms\s+-\s+-$/);
    const status = await cablectl([...socket, 'status']);
    assert.match(status.stdout, /Capabilities:\s+watch-connections, batch\n/);
  });

  it('connections -o wide adds messages and SAs', async () => {
    const r = await cablectl([...socket, 'connections', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /all SAs established/);
    assert.match(r.stdout, /cluster2\s+fdb 00:00:00:00:00:00 dst 10\.0\.0\.2\s+vxlan-fdb\s+established/);
  });

  it('connections -o json prints proto JSON', async () => {
    const r = await cablectl([...socket, '-o', 'json', 'connections']);
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(r.stdout) as { connections: { status: string; endpoint: { clusterId: string } }[] };
    assert.equal(parsed.connections[0]?.endpoint.clusterId, 'cluster2');
    assert.equal(parsed.connections[0]?.status, 'CONNECTION_STATUS_CONNECTED');
  });

  it('status and connection NAME print details; an unknown NAME lists the known ones', async () => {
    const status = await cablectl([...socket, 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /HA status:\s+active/);
    const one = await cablectl([...socket, 'connection', 'cluster2']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /Message:\s+all SAs established/);
    assert.match(one.stdout, /Security associations \(2\)/);
    const missing = await cablectl([...socket, 'connection', 'cluster9']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no connection matches "cluster9"; known clusters \(cables\): cluster2/);
  });

  it('health exits 0 when SERVING and 1 when NOT_SERVING', async () => {
    const ok = await cablectl([...socket, 'health']);
    assert.deepEqual([ok.code, ok.stdout.trim()], [0, 'SERVING']);
    const driver = await cablectl([...socket, 'health', 'driver/vxlan']);
    assert.deepEqual([driver.code, driver.stdout.trim()], [0, 'SERVING']);

    t.view.setHealth('NOT_SERVING', { vxlan: 'NOT_SERVING' });
    const down = await cablectl([...socket, 'health', 'driver/vxlan']);
    assert.deepEqual([down.code, down.stdout.trim()], [1, 'NOT_SERVING']);
    const unknown = await cablectl([...socket, 'health', 'driver/nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown health service "driver\/nope"; known: "", "driver\/vxlan"/);
  });

  it('health works against the TCP health-only address', async () => {
    const r = await cablectl(['--address', t.api.healthAddress ?? '', 'health']);
    assert.deepEqual([r.code, r.stdout.trim()], [0, 'SERVING']);
  });

  it('watch streams events as JSON lines and ends cleanly on Ctrl-C', async () => {
    const env = { ...process.env };
    delete env.CABLED_SOCKET;
    const child = spawn(process.execPath, [MAIN, ...socket, 'watch', '-o', 'json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stdout.includes('KIND_SNAPSHOT') && t.view.subscribers === 1, 10_000, 'the snapshot');
      t.view.add(makeConnection('cluster3'));
      await waitFor(() => stdout.includes('KIND_ADDED'), 10_000, 'the added event');
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: { kind: string; connection: { endpoint: { clusterId: string } } } });
    assert.deepEqual(
      events.map((e) => [e.event.kind, e.event.connection.endpoint.clusterId]),
      [
        ['KIND_SNAPSHOT', 'cluster2'],
        ['KIND_ADDED', 'cluster3'],
      ],
    );
    await waitFor(() => t.view.subscribers === 0, 5000, 'the server to drop the watch');
  });

  it('says how to fix an unreachable socket, exit 1', async () => {
    const path = join(t.dir, 'missing', 'engine.sock');
    const r = await cablectl(['--socket', path, 'status']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      `cablectl: cannot reach the engine at unix://${path}: no such file; is cabled running? pass --socket`,
    );
  });

  it('exits 2 on a usage error', async () => {
    const r = await cablectl([...socket, 'frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });
});
