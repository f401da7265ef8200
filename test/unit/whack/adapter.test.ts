/** The whack adapter with a fake process runner: argv shape, version detection, error mapping. */
import assert from 'node:assert/strict';
import { FailedPreconditionError, UnavailableError } from '../../../src/lib/errors.js';
import type { RunOptions, RunResult } from '../../../src/lib/exec/index.js';
import {
  ConnectionExistsError,
  mapBounded,
  WhackAdapter,
  WhackError,
  WhackOptionError,
} from '../../../src/lib/whack/index.js';

interface Call {
  file: string;
  args: readonly string[];
  options: RunOptions;
}

function fakeRunner(answer: (args: readonly string[]) => Partial<RunResult>) {
  const calls: Call[] = [];
  const runner = async (file: string, args: readonly string[], options: RunOptions): Promise<RunResult> => {
    calls.push({ file, args, options });
    const a = args.includes('--version') ? { stdout: 'Libreswan 4.10\n' } : answer(args);
    return { exitCode: 0, stdout: '', stderr: '', durationMs: 1, ...a };
  };
  return { calls, runner };
}

const spec = {
  name: 'c1',
  mode: 'transport' as const,
  left: { host: '10.0.0.1', protoPort: 'udp/4789' },
  right: { host: '10.0.0.2', protoPort: 'udp' },
};

describe('whack adapter', () => {
  it('should run whack directly with --ctlsocket first, a timeout, and detect the version once', async () => {
    const { calls, runner } = fakeRunner(() => ({ stdout: '002 "c1": added IKEv2 connection\n' }));
    const w = new WhackAdapter({ socket: '/run/x/pluto.ctl', runner, timeoutMs: 1234 });
    assert.equal(await w.addConnection(spec), 'added');
    await w.route('c1');
    assert.equal(calls.filter((c) => c.args.includes('--version')).length, 1);
    for (const c of calls) {
      assert.equal(c.file, '/usr/libexec/ipsec/whack');
      assert.deepEqual(c.args.slice(0, 2), ['--ctlsocket', '/run/x/pluto.ctl']);
      assert.equal(c.options.timeoutMs, 1234);
    }
    assert.deepEqual(calls.at(-1)?.args, ['--ctlsocket', '/run/x/pluto.ctl', '--route', '--name', 'c1']);
  });

  it('should refuse a connection pluto could not orient (5.4 "added unoriented"), saying why', async () => {
    const { runner } = fakeRunner(() => ({ stdout: '"c1": added unoriented IKEv2 connection\n' }));
    await assert.rejects(
      new WhackAdapter({ socket: '/s', runner }).addConnection(spec),
      (e: unknown) =>
        e instanceof FailedPreconditionError &&
        /^connection c1: pluto could not orient the connection \(unoriented\): neither end's address/.test(e.message) &&
        /ceIPSecNicOffload/.test(e.message),
    );
  });

  it('should delete one state by serial (--deletestate), tolerating one already gone', async () => {
    const { calls, runner } = fakeRunner(() => ({}));
    await new WhackAdapter({ socket: '/s', runner }).deleteState(2);
    assert.deepEqual(calls.at(-1)?.args, ['--ctlsocket', '/s', '--deletestate', '2']);
  });

  it('should prefix ip netns exec when asked', async () => {
    const { calls, runner } = fakeRunner(() => ({}));
    await new WhackAdapter({ socket: '/s', runner, netns: 'ns1' }).initiate('c1');
    assert.equal(calls.at(-1)?.file, 'ip');
    assert.deepEqual(calls.at(-1)?.args, [
      'netns',
      'exec',
      'ns1',
      '/usr/libexec/ipsec/whack',
      '--ctlsocket',
      '/s',
      '--initiate',
      '--asynchronous',
      '--name',
      'c1',
    ]);
  });

  it('should map a missing socket to UnavailableError', async () => {
    const { runner } = fakeRunner(() => ({ exitCode: 33, stderr: 'whack: Pluto is not running (no "/s")\n' }));
    await assert.rejects(
      new WhackAdapter({ socket: '/s', runner }).briefStatus(),
      (e: unknown) => e instanceof UnavailableError && e.message === 'pluto is not running (no /s)',
    );
    const stale = fakeRunner(() => ({
      exitCode: 33,
      stderr: 'whack: is Pluto running?  connect() for "/s" failed (111 Connection refused)\n',
    }));
    await assert.rejects(new WhackAdapter({ socket: '/s', runner: stale.runner }).briefStatus(), UnavailableError);
  });

  it('should map rc 20 to ConnectionExistsError, and honour ifExists', async () => {
    let deleted = false;
    const { runner } = fakeRunner((args) => {
      if (args.includes('--delete')) {
        deleted = true;
        return {};
      }
      return deleted
        ? { stdout: '002 "c1": added IKEv2 connection\n' }
        : { exitCode: 20, stdout: '020 attempt to redefine connection "c1"\n' };
    });
    const w = new WhackAdapter({ socket: '/s', runner });
    await assert.rejects(
      w.addConnection(spec),
      (e: unknown) => e instanceof ConnectionExistsError && e.connection === 'c1',
    );
    assert.equal(await w.addConnection(spec, 'ignore'), 'exists');
    assert.equal(await w.addConnection(spec, 'replace'), 'replaced');
  });

  it('should treat the 5.x redefine text (no RC prefix) as exists too', async () => {
    const { runner } = fakeRunner(() => ({ exitCode: 20, stdout: 'attempt to redefine connection "c1"\n' }));
    assert.equal(await new WhackAdapter({ socket: '/s', runner }).addConnection(spec, 'ignore'), 'exists');
  });

  it('should name the flag and the version for an unknown option', async () => {
    const { runner } = fakeRunner(() => ({
      exitCode: 33,
      stderr: "/usr/libexec/ipsec/whack: unrecognized option '--transport'\n",
    }));
    await assert.rejects(
      new WhackAdapter({ socket: '/s', runner }).call(['--name', 'x', '--transport']),
      (e: unknown) =>
        e instanceof WhackOptionError && e.message === 'whack (libreswan 4.10) does not know option --transport',
    );
  });

  it('should fail on an error RC line even when whack exits 0, and not on stderr warnings', async () => {
    const bad = fakeRunner(() => ({
      stdout: '036 "x": failed to add connection: ESP encryption algorithm \'bogus\' is not recognized\n004 ok\n',
    }));
    await assert.rejects(
      new WhackAdapter({ socket: '/s', runner: bad.runner }).call(['--name', 'x']),
      (e: unknown) => e instanceof WhackError && e.rc === 36,
    );
    const warn = fakeRunner(() => ({
      stdout: '"x": added IKEv2 connection\n',
      stderr: 'warning: option "--authby" was replaced by "--auth" in libreswan version 5.3\n',
    }));
    const r = await new WhackAdapter({ socket: '/s', runner: warn.runner }).call(['--name', 'x']);
    assert.deepEqual(r.warnings, ['warning: option "--authby" was replaced by "--auth" in libreswan version 5.3']);
  });

  it('should fail on a non-zero exit without RC lines (5.x), quoting the last line', async () => {
    const { runner } = fakeRunner(() => ({ exitCode: 56, stdout: '"x": failed to add connection: bad\n' }));
    await assert.rejects(
      new WhackAdapter({ socket: '/s', runner }).call(['--name', 'x']),
      /whack exit code 56: "x": failed to add connection: bad/,
    );
  });

  it('should run batches with bounded concurrency and keep order and failures', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (n === 4) throw new Error('four');
      return n * 10;
    });
    assert.equal(peak, 3);
    assert.deepEqual(
      results.map((r) => (r.ok ? r.value : 'x')),
      [10, 20, 30, 'x', 50, 60, 70],
    );
  });
});
