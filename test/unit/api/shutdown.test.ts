/**
 * The liveness health service and the Shutdown RPC (what a pod's probes and
 * preStop hook use), against the real API server over a unix socket with a
 * FakeGatewayView, and `cablectl shutdown` run in-process against it.
 */
import { credentials, status } from '@grpc/grpc-js';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/run.js';
import { LIVENESS_SERVICE, StopRequests, startApiServer, type ApiServer } from '../../../src/engine/api/index.js';
import { GatewayServiceClient } from '../../../src/generated/cabled/engine/v1/engine.js';
import { call } from '../../../src/lib/grpc/call.js';
import { checkHealth, createHealthClient } from '../../../src/lib/grpc/health-client.js';
import { FakeGatewayView } from './fake-view.js';
import { startTestServer, waitFor, type TestServer } from './helpers.js';

describe('engine API: liveness', function () {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await t.stop();
  });

  it('stays SERVING on the kubelet health port while readiness ("") is NOT_SERVING', async () => {
    const probe = createHealthClient(t.api.healthAddress ?? assert.fail('no health address'));
    try {
      t.view.setHealth('NOT_SERVING', { vxlan: 'NOT_SERVING' });
      await waitFor(async () => (await checkHealth(probe, '')) === 'NOT_SERVING', 5000, 'readiness NOT_SERVING');
      assert.equal(await checkHealth(probe, LIVENESS_SERVICE), 'SERVING');
      assert.equal(await checkHealth(t.health, LIVENESS_SERVICE), 'SERVING');
    } finally {
      probe.close();
    }
  });

  it('turns NOT_SERVING when the API closes', async () => {
    const watch = t.health.watch({ service: LIVENESS_SERVICE });
    const seen: string[] = [];
    watch.on('data', (m: { status: string }) => seen.push(m.status));
    watch.on('error', () => undefined);
    await waitFor(() => seen.includes('SERVING'), 5000, 'liveness SERVING');
    await t.api.close();
    await waitFor(() => seen.includes('NOT_SERVING'), 5000, 'liveness NOT_SERVING');
  });
});

describe('engine API: Shutdown', function () {
  let dir: string;
  let api: ApiServer | undefined;
  let stops: StopRequests;
  let clients: { gateway: GatewayServiceClient; close(): void } | undefined;

  /** An API whose Shutdown drives `stops`; the "engine" finishes as the test says. */
  async function serve(withShutdown = true): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'cabled-shutdown-'));
    stops = new StopRequests();
    api = await startApiServer({
      view: new FakeGatewayView(),
      listen: [`unix://${join(dir, 'engine.sock')}`],
      reflection: false,
      shutdownTimeoutMs: 2000,
      ...(withShutdown ? { onShutdown: stops.handler } : {}),
    });
    const target = api.addresses[0] ?? '';
    const gateway = new GatewayServiceClient(target, credentials.createInsecure());
    clients = { gateway, close: () => gateway.close() };
    return target;
  }

  afterEach(async () => {
    clients?.close();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes the cleanup choice to the engine and answers only once the engine has stopped', async () => {
    await serve();
    const gateway = clients?.gateway ?? assert.fail();
    let answered = false;
    const pending = call(gateway.shutdown.bind(gateway), { cleanup: true }).then((r) => {
      answered = true;
      return r;
    });
    const request = await stops.requested;
    assert.deepEqual(request, { cleanup: true, reason: 'api' });
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false, 'Shutdown answered before the engine stopped');
    stops.finished({ cleanedUp: true });
    assert.deepEqual(await pending, { cleanedUp: true });
  });

  it('keeps the first request: a Shutdown after SIGTERM reports the datapath was left', async () => {
    await serve();
    const gateway = clients?.gateway ?? assert.fail();
    stops.request({ cleanup: false, reason: 'SIGTERM' });
    const pending = call(gateway.shutdown.bind(gateway), { cleanup: true });
    assert.deepEqual(await stops.requested, { cleanup: false, reason: 'SIGTERM' });
    stops.finished({ cleanedUp: false });
    assert.deepEqual(await pending, { cleanedUp: false });
  });

  it('answers FAILED_PRECONDITION naming the failure and the fix when the cleanup fails', async () => {
    await serve();
    const gateway = clients?.gateway ?? assert.fail();
    const pending = call(gateway.shutdown.bind(gateway), { cleanup: true });
    await stops.requested;
    stops.failed(new Error('driver vxlan: cannot delete vxlan-tunnel'));
    await assert.rejects(pending, (err: { code: number; details: string }) => {
      assert.equal(err.code, status.FAILED_PRECONDITION);
      assert.match(
        err.details,
        /removing the datapath failed: driver vxlan: cannot delete vxlan-tunnel; run "cabled cleanup"/,
      );
      return true;
    });
  });

  it('answers UNIMPLEMENTED when the engine has no way to stop through the API', async () => {
    await serve(false);
    const gateway = clients?.gateway ?? assert.fail();
    await assert.rejects(call(gateway.shutdown.bind(gateway), { cleanup: false }), { code: status.UNIMPLEMENTED });
  });

  it('cablectl shutdown --cleanup waits until the API is gone and says the datapath was removed', async () => {
    const target = await serve();
    // The "engine": on request, stop, answer, close the API (as main.ts does).
    void stops.requested.then(async ({ cleanup }) => {
      stops.finished({ cleanedUp: cleanup });
      await api?.close();
    });
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(['--socket', target.replace(/^unix:\/\//, ''), 'shutdown', '--cleanup'], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      env: {},
      now: () => Date.now(),
    });
    assert.deepEqual({ code, out, err }, { code: 0, out: ['engine stopped; datapath removed'], err: [] });
    const health = createHealthClient(target);
    await assert.rejects(checkHealth(health, ''), { code: status.UNAVAILABLE }).finally(() => health.close());
  });
});
