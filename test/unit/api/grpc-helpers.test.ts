/**
 * The shared gRPC helpers of src/lib/grpc: statuses, addresses,
 * and the unary call wrapper.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { CabledError, ConfigError, UnavailableError } from '../../../src/lib/errors.js';
import { formatAddress, normalizeAddress, parseAddress } from '../../../src/lib/grpc/address.js';
import { call } from '../../../src/lib/grpc/call.js';
import { isServiceError, statusName, toStatus } from '../../../src/lib/grpc/status.js';

describe('grpc helpers', function () {
  describe('toStatus', function () {
    it('keeps the code of a CabledError', () => {
      assert.deepEqual(toStatus(new UnavailableError('pluto not up')), {
        code: status.UNAVAILABLE,
        details: 'pluto not up',
      });
      const config = toStatus(new ConfigError('flags', [{ key: 'k', value: 'v', reason: 'bad' }]));
      assert.equal(config.code, status.INVALID_ARGUMENT);
      assert.equal(toStatus(new CabledError('gone', status.NOT_FOUND)).code, status.NOT_FOUND);
    });

    it('turns anything else into INTERNAL, never passing an errno code through', () => {
      const errno = Object.assign(new Error('EACCES: permission denied, open /x'), { code: 13, errno: -13 });
      assert.deepEqual(toStatus(errno), { code: status.INTERNAL, details: 'EACCES: permission denied, open /x' });
      const stringCode = Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' });
      assert.equal(toStatus(stringCode).code, status.INTERNAL);
      assert.deepEqual(toStatus('plain string'), { code: status.INTERNAL, details: 'plain string' });
      assert.equal(toStatus(undefined).code, status.INTERNAL);
    });

    it('names status codes and recognises grpc ServiceErrors', () => {
      assert.equal(statusName(status.NOT_FOUND), 'NOT_FOUND');
      assert.equal(statusName(99), 'code 99');
      const err = Object.assign(new Error('x'), { code: 14, details: 'x', metadata: new Metadata() });
      assert.ok(isServiceError(err));
      assert.ok(!isServiceError(Object.assign(new Error('x'), { code: 14 })));
    });
  });

  describe('addresses', function () {
    it('parses unix sockets in every spelling', () => {
      assert.deepEqual(parseAddress('unix:///run/cabled/engine.sock'), {
        kind: 'unix',
        path: '/run/cabled/engine.sock',
      });
      assert.deepEqual(parseAddress('unix:/run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
      assert.deepEqual(parseAddress('/run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
      assert.deepEqual(parseAddress('unix:rel.sock'), { kind: 'unix', path: join(process.cwd(), 'rel.sock') });
    });

    it('parses TCP addresses, IPv6 included', () => {
      assert.deepEqual(parseAddress('127.0.0.1:50051'), { kind: 'tcp', host: '127.0.0.1', port: 50051 });
      assert.deepEqual(parseAddress('tcp://localhost:8080'), { kind: 'tcp', host: 'localhost', port: 8080 });
      assert.deepEqual(parseAddress('[::1]:0'), { kind: 'tcp', host: '::1', port: 0 });
    });

    it('formats grpc-js targets', () => {
      assert.equal(formatAddress({ kind: 'unix', path: '/run/a.sock' }), 'unix:///run/a.sock');
      assert.equal(formatAddress({ kind: 'tcp', host: '::1', port: 5 }), '[::1]:5');
      assert.equal(normalizeAddress('tcp://0.0.0.0:9090'), '0.0.0.0:9090');
    });

    it('rejects bad addresses with the expected form', () => {
      assert.throws(() => parseAddress(''), { code: status.INVALID_ARGUMENT });
      assert.throws(() => parseAddress('localhost'), /expected host:port/);
      assert.throws(() => parseAddress('host:70000'), /above 65535/);
      assert.throws(() => parseAddress('http://x:1'), /unsupported address/);
      assert.throws(() => parseAddress('unix://'), /socket path is empty/);
    });
  });

  describe('call', function () {
    type Callback = (err: ServiceError | null, res: string) => void;
    const fakeCall = (onCancel: () => void = () => undefined) => ({ cancel: onCancel }) as never;

    it('passes a deadline and resolves with the response', async () => {
      let deadline: unknown;
      const method = (req: string, _md: Metadata, options: { deadline?: unknown }, cb: Callback) => {
        deadline = options.deadline;
        setImmediate(() => cb(null, `echo ${req}`));
        return fakeCall();
      };
      const before = Date.now();
      assert.equal(await call(method, 'hi', { timeoutMs: 1234 }), 'echo hi');
      assert.ok(typeof deadline === 'number' && deadline >= before + 1234 && deadline <= Date.now() + 1234);
    });

    it('rejects with the ServiceError, and cancels on abort', async () => {
      const failing = (_r: string, _m: Metadata, _o: object, cb: Callback) => {
        setImmediate(() =>
          cb(Object.assign(new Error('nope'), { code: 5, details: 'nope', metadata: new Metadata() }), ''),
        );
        return fakeCall();
      };
      await assert.rejects(call(failing, 'x'), { code: 5 });

      let cancelled = false;
      let pending: Callback | undefined;
      const hanging = (_r: string, _m: Metadata, _o: object, cb: Callback) => {
        pending = cb;
        return fakeCall(() => {
          cancelled = true;
          pending?.(
            Object.assign(new Error('cancelled'), { code: 1, details: 'cancelled', metadata: new Metadata() }),
            '',
          );
        });
      };
      const abort = new AbortController();
      const result = call(hanging, 'x', { signal: abort.signal, timeoutMs: Infinity });
      abort.abort();
      await assert.rejects(result, { code: status.CANCELLED });
      assert.ok(cancelled);
    });
  });
});
