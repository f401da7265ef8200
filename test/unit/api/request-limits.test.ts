/**
 * Oversized requests to the engine API are refused at once, with a status a
 * client can read, never by a hang until the client's deadline: a real
 * grpc-js client against the real server over a unix socket.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { strict as assert } from 'node:assert';
import { MAX_NAME_LENGTH, MAX_REQUEST_BYTES } from '../../../src/engine/api/limits.js';
import { call } from '../../../src/lib/grpc/call.js';
import { MAX_STATUS_DETAILS, toStatus } from '../../../src/lib/grpc/status.js';
import { startTestServer, type TestServer } from './helpers.js';

describe('engine API request limits', function () {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await t.stop();
  });

  const getConnection = async (name: string): Promise<{ err: ServiceError; ms: number }> => {
    const started = Date.now();
    const err = await call(t.gateway.getConnection.bind(t.gateway), { name }, { timeoutMs: 10000 }).then(
      () => assert.fail('expected a refusal'),
      (e: ServiceError) => e,
    );
    return { err, ms: Date.now() - started };
  };

  it('should refuse a GetConnection name over the limit with INVALID_ARGUMENT, naming the limit, without echoing it', async () => {
    const { err, ms } = await getConnection('x'.repeat(MAX_NAME_LENGTH + 1));
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details, /name is 257 characters, more than 256 \(the API's name limit\)/);
    assert.ok(!err.details.includes('xxxxxxxx'), 'the name is not echoed');
    assert.ok(ms < 3000, `answered in ${ms} ms`);
  });

  it('should refuse a 100 KB GetConnection name at once (RESOURCE_EXHAUSTED), not hang', async () => {
    const { err, ms } = await getConnection('c'.repeat(100 * 1024));
    assert.equal(err.code, status.RESOURCE_EXHAUSTED);
    assert.ok(ms < 3000, `answered in ${ms} ms`);
  });

  it('should still answer after an oversized request', async () => {
    await getConnection('c'.repeat(MAX_REQUEST_BYTES * 4));
    const res = await call(t.gateway.getConnection.bind(t.gateway), { name: 'cluster2' });
    assert.equal(res.connection?.endpoint?.clusterId, 'cluster2');
  });

  it('should cut status details that would not fit in an HTTP/2 trailer', () => {
    const st = toStatus(new Error('y'.repeat(100_000)));
    assert.ok(st.details.length <= MAX_STATUS_DETAILS);
    assert.match(st.details, /cut; 100000 characters/);
  });
});
