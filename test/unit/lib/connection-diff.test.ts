import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Connection, ConnectionEvent_Kind } from '../../../src/generated/cabled/driver/v1/driver.js';
import { diffConnections, sameConnection } from '../../../src/lib/connection-diff.js';

const text = fc.constantFrom('', 'a', 'b');
const num = fc.constantFrom(0, 1, 2);
const endpoint = fc.record({
  clusterId: text,
  cableName: text,
  hostname: text,
  subnets: fc.array(text, { maxLength: 2 }),
  privateIp: text,
  publicIp: text,
  natEnabled: fc.boolean(),
  backend: text,
  backendConfig: fc.dictionary(text, text, { maxKeys: 1 }), // one key: map order is not compared
  healthCheckIp: text,
});
const sa = fc.record({
  name: text,
  kind: text,
  state: num,
  message: text,
  rxBytes: num,
  txBytes: num,
  ikeState: num,
  ikePeer: text,
});
const latency = fc.record({ lastNs: num, minNs: num, averageNs: num, maxNs: num, stddevNs: num });
const connection = fc.record({
  status: num,
  statusMessage: text,
  endpoint: fc.option(endpoint, { nil: undefined }),
  usingIp: text,
  usingNat: fc.boolean(),
  latencyRtt: fc.option(latency, { nil: undefined }),
  sas: fc.array(sa, { maxLength: 2 }),
  rxBytes: num,
  txBytes: num,
  establishedUnixMs: num,
}) as fc.Arbitrary<Connection>;

const encoded = (c: Connection) => Buffer.from(Connection.encode(c).finish()).toString('hex');

describe('connection diff (unit)', () => {
  it('calls two connections the same exactly when they encode to the same message', () => {
    fc.assert(
      fc.property(connection, connection, (a, b) => {
        assert.equal(sameConnection(a, b), encoded(a) === encoded(b));
        assert.equal(sameConnection(a, structuredClone(a)), true);
      }),
      { numRuns: 2000 },
    );
  });

  it('reports added, updated and removed connections by cable name, and nothing for unchanged ones', () => {
    const conn = (cable: string, status: number): Connection =>
      Connection.fromPartial({ status, endpoint: { cableName: cable, subnets: ['10.1.0.0/24'] } });
    const events = diffConnections(
      [conn('a', 1), conn('b', 1), conn('c', 1)],
      [conn('a', 1), conn('b', 3), conn('d', 1)],
    );
    assert.deepEqual(
      events.map((e) => [e.kind, e.connection?.endpoint?.cableName]),
      [
        [ConnectionEvent_Kind.KIND_UPDATED, 'b'],
        [ConnectionEvent_Kind.KIND_ADDED, 'd'],
        [ConnectionEvent_Kind.KIND_REMOVED, 'c'],
      ],
    );
  });
});
