/**
 * The hand-encoded grpc.health.v1 messages (src/lib/grpc/health-proto.ts)
 * against the definition grpc-health-check builds from health.proto with
 * proto-loader: each side must read what the other writes, and the bytes
 * are the same except that proto-loader also writes fields holding their
 * default value ("" or UNKNOWN), which proto3 leaves out.
 */
import assert from 'node:assert/strict';
import { service as reference } from 'grpc-health-check';
import { HealthServiceDefinition as ours } from '../../../src/lib/grpc/health-proto.js';

type Codec = {
  requestSerialize: (v: unknown) => Buffer;
  requestDeserialize: (b: Buffer) => unknown;
  responseSerialize: (v: unknown) => Buffer;
  responseDeserialize: (b: Buffer) => unknown;
  path: string;
  responseStream: boolean;
};
const ref = reference as unknown as Record<'Check' | 'Watch' | 'List', Codec>;

describe('grpc.health.v1 messages, hand-encoded, against proto-loader (grpc-health-check)', () => {
  it('should use the same method paths and stream kinds', () => {
    for (const [mine, theirs] of [
      [ours.check, ref.Check],
      [ours.watch, ref.Watch],
      [ours.list, ref.List],
    ] as const) {
      assert.equal(mine.path, theirs.path);
      assert.equal(mine.responseStream, theirs.responseStream);
    }
  });

  it('should write and read HealthCheckRequest as proto-loader does', () => {
    for (const request of [{ service: '' }, { service: 'driver/vxlan' }, { service: 'ü'.repeat(300) }]) {
      if (request.service) assert.deepEqual(ours.check.requestSerialize(request), ref.Check.requestSerialize(request));
      assert.deepEqual(ours.check.requestDeserialize(ref.Check.requestSerialize(request)), request);
      assert.deepEqual(ref.Check.requestDeserialize(ours.check.requestSerialize(request)), request);
    }
  });

  it('should write and read every serving status as proto-loader does', () => {
    for (const status of ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const) {
      const response = { status };
      if (status !== 'UNKNOWN')
        assert.deepEqual(ours.watch.responseSerialize(response), ref.Watch.responseSerialize(response));
      assert.deepEqual(ours.check.responseDeserialize(ref.Check.responseSerialize(response)), response);
      assert.deepEqual(ref.Check.responseDeserialize(ours.check.responseSerialize(response)), response);
    }
  });

  it('should read and write a List response (a map of messages) that proto-loader understands', () => {
    const response = {
      statuses: { '': { status: 'SERVING' }, liveness: { status: 'NOT_SERVING' }, 'driver/x': { status: 'UNKNOWN' } },
    } as const;
    assert.deepEqual(ref.List.responseDeserialize(ours.list.responseSerialize(response)), response);
    assert.deepEqual(ours.list.responseDeserialize(ref.List.responseSerialize(response)), response);
    assert.deepEqual(ours.list.responseDeserialize(Buffer.alloc(0)), { statuses: {} });
  });

  it('should skip fields it does not know', () => {
    // field 2 (varint 7) and field 3 (bytes "ab") before and after the known field 1.
    const bytes = Buffer.from([0x10, 0x07, 0x0a, 0x01, 0x78, 0x1a, 0x02, 0x61, 0x62]);
    assert.deepEqual(ours.check.requestDeserialize(bytes), { service: 'x' });
  });
});
