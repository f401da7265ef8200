/**
 * The engine API end to end: a real grpc-js client against the real server
 * over a unix socket, with a FakeGatewayView behind it.
 */
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { promisify } from 'node:util';
import { startApiServer } from '../../../src/engine/api/index.js';
import { ConnectionEvent_Kind } from '../../../src/generated/cabled/driver/v1/driver.js';
import { GatewayServiceClient, type WatchConnectionsResponse } from '../../../src/generated/cabled/engine/v1/engine.js';
import { call } from '../../../src/lib/grpc/call.js';
import { checkHealth, createHealthClient, listHealth } from '../../../src/lib/grpc/health-client.js';
import { FakeGatewayView, makeConnection } from './fake-view.js';
import { collect, startTestServer, waitFor, type TestServer } from './helpers.js';

describe('engine API server', function () {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await t.stop();
  });

  describe('GatewayService', function () {
    it('GetStatus returns the view status', async () => {
      const res = await call(t.gateway.getStatus.bind(t.gateway), {});
      assert.equal(res.status?.version, '0.1.0-test');
      assert.equal(res.status?.driver?.name, 'vxlan');
      assert.deepEqual(res.status?.config, { cableDriver: 'vxlan', reconcileInterval: '30s' });
    });

    it('ListConnections returns every connection', async () => {
      const res = await call(t.gateway.listConnections.bind(t.gateway), {});
      assert.deepEqual(
        res.connections.map((c) => c.endpoint?.clusterId),
        ['cluster2'],
      );
    });

    context('GetConnection', function () {
      it('finds a connection by cluster id and by cable name', async () => {
        const byCluster = await call(t.gateway.getConnection.bind(t.gateway), { name: 'cluster2' });
        assert.equal(byCluster.connection?.endpoint?.clusterId, 'cluster2');
        const cable = byCluster.connection?.endpoint?.cableName ?? '';
        const byCable = await call(t.gateway.getConnection.bind(t.gateway), { name: cable });
        assert.equal(byCable.connection?.endpoint?.cableName, cable);
      });

      it('answers NOT_FOUND listing the known connections', async () => {
        const err = await call(t.gateway.getConnection.bind(t.gateway), { name: 'cluster7' }).then(
          () => assert.fail('expected NOT_FOUND'),
          (e: ServiceError) => e,
        );
        assert.equal(err.code, status.NOT_FOUND);
        assert.match(err.details, /no connection matches "cluster7"/);
        assert.match(err.details, /cluster2 \(submariner-cable-cluster2-10-0-0-2\)/);
      });

      it('answers INVALID_ARGUMENT for an empty name', async () => {
        await assert.rejects(call(t.gateway.getConnection.bind(t.gateway), { name: '' }), {
          code: status.INVALID_ARGUMENT,
        });
      });
    });

    context('WatchConnections', function () {
      it('sends a snapshot, then added and removed events, and unsubscribes on cancel', async () => {
        const stream = t.gateway.watchConnections({});
        const got = collect<WatchConnectionsResponse>(stream);
        await waitFor(() => got.items.length >= 1 && t.view.subscribers === 1, 5000, 'snapshot');
        assert.equal(got.items[0]?.event?.kind, ConnectionEvent_Kind.KIND_SNAPSHOT);
        assert.equal(got.items[0]?.event?.connection?.endpoint?.clusterId, 'cluster2');

        t.view.add(makeConnection('cluster3'));
        t.view.remove('cluster2');
        await waitFor(() => got.items.length >= 3, 5000, 'live events');
        assert.deepEqual(
          got.items.map((i) => [i.event?.kind, i.event?.connection?.endpoint?.clusterId]),
          [
            [ConnectionEvent_Kind.KIND_SNAPSHOT, 'cluster2'],
            [ConnectionEvent_Kind.KIND_ADDED, 'cluster3'],
            [ConnectionEvent_Kind.KIND_REMOVED, 'cluster2'],
          ],
        );

        stream.cancel();
        await waitFor(() => t.view.subscribers === 0, 5000, 'unsubscribe');
      });

      it('ends open watches (health ones too) on close, without waiting for the deadline', async () => {
        const got = collect<WatchConnectionsResponse>(t.gateway.watchConnections({}));
        const health = collect<{ status: string }>(t.health.watch({ service: '' }));
        await waitFor(() => got.items.length === 1 && health.items.length === 1, 5000, 'snapshot');
        const started = Date.now();
        await t.api.close();
        assert.ok(Date.now() - started < 1500, 'close waited for the shutdown deadline');
        await waitFor(() => got.ended(), 5000, 'stream end');
        assert.equal((got.error() as ServiceError).code, status.UNAVAILABLE);
        assert.equal(t.view.subscribers, 0);
        await waitFor(() => health.ended(), 5000, 'health watch end');
        assert.deepEqual(
          health.items.map((i) => i.status),
          ['SERVING', 'NOT_SERVING'],
        );
      });
    });
  });

  describe('grpc.health.v1', function () {
    it('reports "" and "driver/vxlan" SERVING, then NOT_SERVING after the view changes', async () => {
      assert.equal(await checkHealth(t.health, ''), 'SERVING');
      assert.equal(await checkHealth(t.health, 'driver/vxlan'), 'SERVING');

      const watchStream = t.health.watch({ service: 'driver/vxlan' });
      const watch = collect<{ status: string }>(watchStream);
      await waitFor(() => watch.items.length === 1, 5000, 'first watch status');
      assert.equal(watch.items[0]?.status, 'SERVING');

      t.view.setHealth('NOT_SERVING', { vxlan: 'NOT_SERVING' });
      await waitFor(() => watch.items.length === 2, 5000, 'watch update');
      assert.equal(watch.items[1]?.status, 'NOT_SERVING');
      assert.equal(await checkHealth(t.health, ''), 'NOT_SERVING');
      assert.equal(await checkHealth(t.health, 'driver/vxlan'), 'NOT_SERVING');
      watchStream.cancel();
    });

    it('turns a driver that left the view NOT_SERVING', async () => {
      t.view.setHealth('SERVING', { libreswan: 'SERVING' });
      assert.equal(await checkHealth(t.health, 'driver/vxlan'), 'NOT_SERVING');
      assert.equal(await checkHealth(t.health, 'driver/libreswan'), 'SERVING');
      const all = await listHealth(t.health);
      assert.equal(all.get(''), 'SERVING');
    });

    it('answers NOT_FOUND for an unknown service', async () => {
      await assert.rejects(checkHealth(t.health, 'driver/nope'), { code: status.NOT_FOUND });
    });

    it('serves only health on the health address', async () => {
      const address = t.api.healthAddress ?? assert.fail('no health address');
      assert.match(address, /^127\.0\.0\.1:\d+$/);
      assert.notEqual(address, '127.0.0.1:0');
      const health = createHealthClient(address);
      const gateway = new GatewayServiceClient(address, credentials.createInsecure());
      try {
        assert.equal(await checkHealth(health, ''), 'SERVING');
        await assert.rejects(call(gateway.getStatus.bind(gateway), {}), { code: status.UNIMPLEMENTED });
      } finally {
        health.close();
        gateway.close();
      }
    });
  });

  describe('the unix socket', function () {
    it('is mode 0600 in a directory created 0700', async () => {
      assert.equal((await stat(t.socketPath)).mode & 0o777, 0o600);
      assert.equal((await stat(dirname(t.socketPath))).mode & 0o777, 0o700);
    });

    it('refuses to take over a socket another server answers on', async () => {
      await assert.rejects(
        startApiServer({ view: new FakeGatewayView(), listen: [`unix://${t.socketPath}`] }),
        /another process is serving on it/,
      );
    });

    it('replaces a stale socket and refuses a path that is not a socket', async () => {
      const stale = join(t.dir, 'stale.sock');
      // A process that dies without closing leaves its socket file behind.
      await promisify(execFile)(process.execPath, [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
      ]).catch(() => undefined);
      assert.ok((await stat(stale)).isSocket());
      const api = await startApiServer({ view: new FakeGatewayView(), listen: [`unix://${stale}`], reflection: false });
      await api.close();

      const file = join(t.dir, 'plain-file');
      await writeFile(file, 'x');
      await assert.rejects(
        startApiServer({ view: new FakeGatewayView(), listen: [`unix://${file}`] }),
        /exists and is not a socket/,
      );
    });
  });

  describe('reflection', function () {
    // An independent client: proto-loader (protobufjs) on gRPC's published reflection.proto.
    const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
    type Stream = NodeJS.EventEmitter & { write(m: unknown): void; end(): void };
    type Answer = {
      list_services_response?: { service: { name: string }[] };
      file_descriptor_response?: { file_descriptor_proto: Buffer[] };
      error_response?: { error_code: number; error_message: string };
    };
    async function ask(version: 'v1' | 'v1alpha', request: object): Promise<Answer> {
      const definition = loadSync(`grpc/reflection/${version}/reflection.proto`, {
        includeDirs: [join(repoRoot, 'third_party', 'proto')],
        keepCase: true,
      });
      type Client = { ServerReflectionInfo(): Stream; close(): void };
      type Loaded = { grpc: { reflection: Record<string, { ServerReflection: new (...args: unknown[]) => Client }> } };
      const Reflection = (loadPackageDefinition(definition) as unknown as Loaded).grpc.reflection[version]!
        .ServerReflection;
      const client = new Reflection(t.target, credentials.createInsecure());
      try {
        const stream: Stream = client.ServerReflectionInfo();
        const got = collect<Answer>(stream);
        stream.write(request);
        await waitFor(() => got.items.length === 1, 5000, 'reflection answer');
        stream.end();
        return got.items[0]!;
      } finally {
        client.close();
      }
    }

    for (const version of ['v1', 'v1alpha'] as const) {
      it(`${version} lists the API, health and reflection services`, async () => {
        const names = (await ask(version, { list_services: '' })).list_services_response?.service.map((s) => s.name);
        assert.deepEqual(names?.sort(), [
          'cabled.engine.v1.GatewayService',
          'grpc.health.v1.Health',
          'grpc.reflection.v1.ServerReflection',
          'grpc.reflection.v1alpha.ServerReflection',
        ]);
      });
    }

    it('serves the files of proto/ under their own names, with their imports', async () => {
      const answer = await ask('v1', { file_containing_symbol: 'cabled.engine.v1.GatewayService' });
      const files = (answer.file_descriptor_response?.file_descriptor_proto ?? []).map((b) =>
        fromBinary(FileDescriptorProtoSchema, b),
      );
      assert.deepEqual(
        files.map((f) => f.name),
        ['cabled/engine/v1/engine.proto', 'cabled/driver/v1/driver.proto'],
      );
      const [engine, driver] = files;
      assert.deepEqual(engine?.dependency, ['cabled/driver/v1/driver.proto']);
      const status = engine?.messageType.find((m) => m.name === 'GatewayStatus');
      const config = status?.field.find((f) => f.name === 'config');
      assert.equal(config?.typeName, '.cabled.engine.v1.GatewayStatus.ConfigEntry');
      assert.equal(status?.nestedType.find((m) => m.name === 'ConfigEntry')?.options?.mapEntry, true);
      const driverStatus = engine?.messageType.find((m) => m.name === 'DriverStatus');
      const capabilities = driverStatus?.field.find((f) => f.name === 'capabilities');
      assert.equal(capabilities?.typeName, '.cabled.driver.v1.Capability');
      assert.ok(driver?.enumType.some((e) => e.name === 'Capability'));
      assert.ok(status?.field.some((f) => f.name === 'last_reconcile_unix_ms' && f.jsonName === 'lastReconcileUnixMs'));
    });

    it('finds files by name, methods by symbol, and says NOT_FOUND for unknown names', async () => {
      const byName = await ask('v1alpha', { file_by_filename: 'grpc/health/v1/health.proto' });
      assert.equal(byName.file_descriptor_response?.file_descriptor_proto.length, 1);
      const method = await ask('v1', { file_containing_symbol: 'cabled.engine.v1.GatewayService.ListConnections' });
      assert.equal(
        fromBinary(FileDescriptorProtoSchema, method.file_descriptor_response!.file_descriptor_proto[0]!).name,
        'cabled/engine/v1/engine.proto',
      );
      const unknown = await ask('v1', { file_containing_symbol: 'cabled.engine.v1.Nope' });
      assert.equal(unknown.error_response?.error_code, status.NOT_FOUND);
      assert.match(unknown.error_response?.error_message ?? '', /cabled\.engine\.v1\.Nope/);
    });
  });

  describe('health by service name', function () {
    it('answers SERVING for cabled.engine.v1.GatewayService on the API and the health port', async () => {
      assert.equal(await checkHealth(t.health, 'cabled.engine.v1.GatewayService'), 'SERVING');
      const port = createHealthClient(t.api.healthAddress ?? '');
      try {
        assert.equal(await checkHealth(port, 'cabled.engine.v1.GatewayService'), 'SERVING');
      } finally {
        port.close();
      }
    });
  });
});
