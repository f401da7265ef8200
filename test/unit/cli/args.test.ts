/** cablectl's argument parsing and error messages. */
import { Metadata, status } from '@grpc/grpc-js';
import { strict as assert } from 'node:assert';
import { DEFAULT_SOCKET, parseCliArgs, UsageError } from '../../../src/cli/args.js';
import { describeError } from '../../../src/cli/client.js';

describe('cablectl arguments', function () {
  it('defaults to the engine socket, table output and 5s', () => {
    const o = parseCliArgs(['status'], {});
    assert.deepEqual(o, {
      command: 'status',
      args: [],
      target: `unix://${DEFAULT_SOCKET}`,
      targetFlag: '--socket',
      output: 'table',
      timeoutMs: 5000,
    });
  });

  it('reads flags before or after the command, and CABLED_SOCKET', () => {
    assert.equal(parseCliArgs(['status'], { CABLED_SOCKET: '/tmp/e.sock' }).target, 'unix:///tmp/e.sock');
    const o = parseCliArgs(['connection', 'cluster2', '-o', 'wide', '--socket', '/x/y.sock', '--timeout', '1.5'], {});
    assert.deepEqual(
      [o.command, o.args, o.output, o.target, o.timeoutMs],
      ['connection', ['cluster2'], 'wide', 'unix:///x/y.sock', 1500],
    );
    const tcp = parseCliArgs(['--address', 'tcp://127.0.0.1:50051', 'health', 'driver/vxlan'], {
      CABLED_SOCKET: '/ignored',
    });
    assert.deepEqual([tcp.target, tcp.targetFlag, tcp.args], ['127.0.0.1:50051', '--address', ['driver/vxlan']]);
  });

  it('needs mutual TLS flags with --address, except for health; refuses them with the socket', () => {
    const tls = ['--tls-ca', '/c/ca.crt', '--tls-cert', '/c/me.crt', '--tls-key', '/c/me.key'];
    const o = parseCliArgs(['--address', '10.0.0.1:50051', ...tls, '--tls-server-name', 'gw1', 'status'], {});
    assert.deepEqual(o.tls, { caFile: '/c/ca.crt', certFile: '/c/me.crt', keyFile: '/c/me.key', serverName: 'gw1' });
    assert.equal(parseCliArgs(['--address', '10.0.0.1:8081', 'health'], {}).tls, undefined);
    const bad: [string[], RegExp][] = [
      [
        ['--address', 'h:1', 'status'],
        /--address needs --tls-ca, --tls-cert, --tls-key: the engine's TCP API requires mutual TLS/,
      ],
      [['--address', 'h:1', '--tls-ca', '/ca', 'shutdown'], /--address needs --tls-cert, --tls-key/],
      [['--address', 'h:1', '--tls-cert', '/c', 'health'], /--address needs --tls-ca, --tls-key/],
      [['--socket', '/s', '--tls-ca', '/ca', 'status'], /--tls-ca: only used with --address/],
    ];
    for (const [argv, message] of bad)
      assert.throws(
        () => parseCliArgs(argv, {}),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
        argv.join(' '),
      );
  });

  it('treats -h and help as help', () => {
    assert.equal(parseCliArgs(['-h'], {}).command, 'help');
    assert.equal(parseCliArgs(['help'], {}).command, 'help');
  });

  it('rejects bad command lines with a UsageError saying what to do', () => {
    const bad: [string[], RegExp][] = [
      [[], /no command given/],
      [['nope'], /unknown command "nope"; commands: status/],
      [['connection'], /usage: cablectl connection NAME/],
      [['status', 'extra'], /unexpected "extra"/],
      [['-o', 'yaml', 'status'], /use table, wide or json/],
      [['--timeout', 'soon', 'status'], /--timeout "soon"/],
      [['--socket', '/a', '--address', 'h:1', 'status'], /pass one/],
      [['--address', 'nohost', 'status'], /expected host:port/],
      [['--frob', 'status'], /Unknown option '--frob'/],
    ];
    for (const [argv, message] of bad)
      assert.throws(
        () => parseCliArgs(argv, {}),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
        argv.join(' '),
      );
  });

  describe('describeError', function () {
    const ctx = { target: 'unix:///run/cabled/engine.sock', targetFlag: '--socket', timeoutMs: 5000 } as const;
    const grpcError = (code: status, details: string) =>
      Object.assign(new Error(details), { code, details, metadata: new Metadata() });

    it('explains an unreachable engine and how to point at it', () => {
      const err = grpcError(
        status.UNAVAILABLE,
        'No connection established. Last error: Error: connect ENOENT /run/cabled/engine.sock. Resolution note: ',
      );
      assert.equal(
        describeError(err, ctx),
        'cannot reach the engine at unix:///run/cabled/engine.sock: no such file; is cabled running? pass --socket',
      );
      const denied = grpcError(
        status.UNAVAILABLE,
        'No connection established. Last error: Error: connect EACCES /run/cabled/engine.sock',
      );
      assert.match(describeError(denied, ctx), /permission denied; the socket is 0600/);
      const tcp = grpcError(
        status.UNAVAILABLE,
        'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1',
      );
      assert.match(
        describeError(tcp, { ...ctx, target: '127.0.0.1:1', targetFlag: '--address' }),
        /connection refused; is cabled running and listening there\? pass --address/,
      );
    });

    it('explains timeouts and passes the server message through otherwise', () => {
      assert.match(
        describeError(grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), ctx),
        /did not answer within 5s; .* pass --timeout/,
      );
      assert.equal(
        describeError(grpcError(status.NOT_FOUND, 'no connection matches "x"'), ctx),
        'no connection matches "x"',
      );
      assert.match(
        describeError(grpcError(status.UNAVAILABLE, 'the engine is shutting down'), ctx),
        /is unavailable: the engine is shutting down/,
      );
      assert.equal(describeError(new Error('plain'), ctx), 'plain');
    });
  });
});
