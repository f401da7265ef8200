/**
 * The hostile-input suite, property-based part (fast-check): generated
 * endpoint entries, endpoints files, ceCustomConfig text and engine API
 * requests, thrown at the real parsers and the real API server. Every input
 * must be accepted within the rules or refused with an error naming the
 * field; nothing may crash or hang. Prints how many inputs were tried,
 * rejected and crashed on. The same cases on real namespaces with real
 * engines: test/integration/hostile/hostile-endpoints.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { loadConfig } from '../../src/config/load.js';
import {
  DEFAULT_ENDPOINT_LIMITS,
  EndpointError,
  buildSnapshot,
  parseEndpoint,
  parseEndpointsText,
  policyFor,
  type RemoteEndpoint,
} from '../../src/endpoints/index.js';
import { desiredState } from '../../src/engine/desired-state.js';
import { planReconcile } from '../../src/engine/reconcile-plan.js';
import { ConnectionStatus, type Endpoint } from '../../src/generated/cabled/driver/v1/driver.js';
import { ConfigError, InvalidArgumentError } from '../../src/lib/errors.js';
import { call } from '../../src/lib/grpc/call.js';
import { startTestServer, type TestServer } from '../unit/api/helpers.js';
import { LOCAL, connectionName, customConfigText, endpointEntry, endpointsFileText } from './generators.js';
import { acceptedViolations, desiredViolations } from './invariants.js';
import { Tally, printTallies } from './tally.js';

const RUNS = Number(process.env.CABLED_HOSTILE_RUNS ?? 300);
const localEndpoint: Endpoint = {
  clusterId: LOCAL.clusterId,
  cableName: `submariner-cable-${LOCAL.clusterId}-${LOCAL.privateIp.replaceAll('.', '-')}`,
  hostname: 'gw1',
  subnets: LOCAL.subnets,
  privateIp: LOCAL.privateIp,
  publicIp: '',
  natEnabled: false,
  backend: 'vxlan',
  backendConfig: {},
  healthCheckIp: '',
};
const policy = policyFor(localEndpoint);
const limits = DEFAULT_ENDPOINT_LIMITS;

describe('hostile inputs (property-based, fast-check)', function () {
  this.timeout(120000);
  const tallies: Tally[] = [];
  const tally = (name: string) => {
    const t = new Tally(name);
    tallies.push(t);
    return t;
  };
  after(() => printTallies(tallies));

  it('should accept an endpoint entry only within the rules, and otherwise name the field', async () => {
    const t = tally('endpoint entries');
    await fc.assert(
      fc.asyncProperty(endpointEntry, async (raw) => {
        await t.run(
          () => {
            const { spec } = parseEndpoint(raw, 'gen[0]', policy);
            // parseEndpoint alone keeps the local cluster's entries; buildSnapshot drops them.
            const bad = acceptedViolations(spec, LOCAL, limits).filter((v) => !v.startsWith('the local cluster'));
            assert.deepEqual(bad, [], JSON.stringify(spec).slice(0, 400));
            return true;
          },
          (err) => {
            if (!(err instanceof EndpointError)) return false;
            assert.ok(err.issues.length > 0 && err.issues.every((i) => i.key !== '' && i.reason !== ''));
            assert.ok(err.message.length < 8192, `error of ${err.message.length} characters`);
            return true;
          },
        );
      }),
      { numRuns: RUNS },
    );
    assert.ok(t.rejected > 0 && t.rejected < t.tried, 'the generator makes both good and bad entries');
  });

  it('should read any endpoints file text into a snapshot within the rules, never throwing', async () => {
    const t = tally('endpoints files');
    await fc.assert(
      fc.asyncProperty(endpointsFileText, async (text) => {
        await t.run(
          () => {
            const read = parseEndpointsText(text);
            if (!read.ok) {
              assert.ok(read.reason.length < 1024);
              return false;
            }
            const s = buildSnapshot({ entries: read.entries, path: '/gen.yaml', policy });
            for (const e of s.endpoints) assert.deepEqual(acceptedViolations(e.spec, LOCAL, limits), []);
            for (const r of s.rejected) assert.ok(r.reason.length < 8192);
            return s.rejected.length === 0;
          },
          () => false,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('should give the same desired state in any arrival order, with no two cables fighting over address space', async () => {
    const t = tally('desired states');
    const remote = fc.record({
      cluster: fc.constantFrom('c2', 'c3', 'c4', 'c5'),
      ip: fc.constantFrom('172.31.7.2', '172.31.7.3', '172.31.8.2', '192.0.2.9'),
      publicIp: fc.constantFrom('', '198.51.100.1', '172.31.7.3'),
      subnets: fc.subarray([
        '10.2.0.0/16',
        '10.2.5.0/24',
        '10.3.0.0/16',
        '172.31.7.0/24',
        '10.4.0.0/16',
        '192.0.2.0/24',
      ]),
      createdAt: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(remote, { maxLength: 8 }), fc.context(), async (list, ctx) => {
        await t.run(
          () => {
            const eps: RemoteEndpoint[] = list.map((r, i) => ({
              spec: {
                ...localEndpoint,
                clusterId: r.cluster,
                cableName: `submariner-cable-${r.cluster}-${r.ip.replaceAll('.', '-')}`,
                privateIp: r.ip,
                publicIp: r.publicIp,
                subnets: r.subnets,
              },
              createdAt: r.createdAt,
              source: 'gen',
              where: `gen[${i}]`,
            }));
            const unique = [...new Map(eps.map((e) => [e.spec.cableName, e])).values()];
            const a = desiredState(localEndpoint, unique);
            const b = desiredState(localEndpoint, [...unique].reverse());
            const shape = (s: typeof a) => ({
              cables: [...s.cables.entries()].sort(([x], [y]) => x.localeCompare(y)),
              superseded: s.superseded,
              conflicts: s.conflicts,
            });
            assert.deepEqual(shape(a), shape(b));
            assert.deepEqual(desiredViolations(a), []);
            // Applied, it stays applied: the next resync plans nothing (no flapping).
            const installed = [...a.cables.values()].map((c) => ({
              status: ConnectionStatus.CONNECTION_STATUS_CONNECTED,
              statusMessage: '',
              endpoint: c.remote.endpoint,
              usingIp: c.remote.useIp,
              usingNat: c.remote.useNat,
              sas: [],
              rxBytes: 0,
              txBytes: 0,
              establishedUnixMs: 0,
            }));
            assert.deepEqual(planReconcile(a.cables, installed), []);
            ctx.log(`${a.cables.size} cables, ${a.conflicts.length} conflicts`);
            return a.conflicts.length === 0 && a.superseded.length === 0;
          },
          () => false,
        );
      }),
      { numRuns: RUNS },
    );
  });

  describe('ceCustomConfig text', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cabled-hostile-cfg-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('should load any ceCustomConfig text or refuse it with ConfigError, never crashing', async () => {
      const t = tally('ceCustomConfig text');
      let n = 0;
      await fc.assert(
        fc.asyncProperty(customConfigText, async (text) => {
          const path = join(dir, `cfg-${n++}`);
          await writeFile(path, text);
          await t.run(
            async () => {
              await loadConfig({ path, env: {} });
              return true;
            },
            (err) => err instanceof ConfigError || err instanceof InvalidArgumentError,
          );
        }),
        { numRuns: Math.min(RUNS, 200) },
      );
    });
  });

  describe('engine API requests (local server, unix socket)', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(async () => {
      await server.stop();
    });

    it('should answer every GetConnection name at once with a known status', async () => {
      const t = tally('GetConnection names');
      const known = new Set([status.OK, status.NOT_FOUND, status.INVALID_ARGUMENT, status.RESOURCE_EXHAUSTED]);
      await fc.assert(
        fc.asyncProperty(connectionName, async (name) => {
          await t.run(
            async () => {
              const started = Date.now();
              const code = await call(
                server.gateway.getConnection.bind(server.gateway),
                { name },
                { timeoutMs: 5000 },
              ).then(
                () => status.OK,
                (e: ServiceError) => e.code,
              );
              assert.ok(known.has(code), `status ${status[code]} for a ${name.length}-character name`);
              assert.ok(Date.now() - started < 4000, 'answered at once');
              return code === status.OK;
            },
            () => false,
          );
        }),
        { numRuns: Math.min(RUNS, 150) },
      );
    });

    it('should answer raw garbage bytes sent as any request, and keep serving', async () => {
      const t = tally('raw request bytes');
      const methods = ['GetStatus', 'ListConnections', 'GetConnection'];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...methods),
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }),
            fc.integer({ min: 17000, max: 300000 }).map((n) => new Uint8Array(n).fill(0x0a)),
          ),
          async (method, bytes) => {
            await t.run(
              async () => {
                const code = await new Promise<number>((resolve) => {
                  server.gateway.makeUnaryRequest(
                    `/cabled.engine.v1.GatewayService/${method}`,
                    (b: Buffer) => b,
                    (b: Buffer) => b,
                    Buffer.from(bytes),
                    { deadline: Date.now() + 5000 },
                    (err: ServiceError | null) => resolve(err ? err.code : status.OK),
                  );
                });
                assert.notEqual(code, status.DEADLINE_EXCEEDED, `${method} with ${bytes.length} bytes hung`);
                return code === status.OK;
              },
              () => false,
            );
          },
        ),
        { numRuns: Math.min(RUNS, 100) },
      );
      const res = await call(server.gateway.getConnection.bind(server.gateway), { name: 'cluster2' });
      assert.equal(res.connection?.endpoint?.clusterId, 'cluster2');
    });
  });
});
