/** `cablectl shutdown [--cleanup]` on the command line. */
import { strict as assert } from 'node:assert';
import { parseCliArgs, SHUTDOWN_TIMEOUT_S, UsageError } from '../../../src/cli/args.js';

describe('cablectl shutdown arguments', function () {
  it('defaults to leaving the datapath, with a longer default timeout', () => {
    const o = parseCliArgs(['shutdown'], {});
    assert.deepEqual([o.command, o.cleanup, o.timeoutMs], ['shutdown', false, SHUTDOWN_TIMEOUT_S * 1000]);
  });

  it('takes --cleanup and an explicit --timeout', () => {
    const o = parseCliArgs(['shutdown', '--cleanup', '--timeout', '7'], {});
    assert.deepEqual([o.cleanup, o.timeoutMs], [true, 7000]);
  });

  it('rejects --cleanup on other commands and arguments after shutdown', () => {
    assert.throws(
      () => parseCliArgs(['status', '--cleanup'], {}),
      (e: unknown) => e instanceof UsageError && /--cleanup belongs to shutdown, not status/.test(e.message),
    );
    assert.throws(
      () => parseCliArgs(['shutdown', 'now'], {}),
      (e: unknown) =>
        e instanceof UsageError && /usage: cablectl shutdown \[--cleanup\] \(unexpected "now"\)/.test(e.message),
    );
  });
});
