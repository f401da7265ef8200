/** The health-check flags and environment variables, through the engine's argument parser. */
import assert from 'node:assert/strict';
import { parseEngineArgs, USAGE } from '../../../src/engine/options.js';
import { ConfigError } from '../../../src/lib/errors.js';

const BASE = ['--cluster-id', 'cluster1', '--endpoints', '/e.yaml'];
const parse = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  parseEngineArgs([...BASE, ...args], env).settings.healthCheck;

describe('health-check settings', () => {
  it("should default to Submariner's: on, every second, error after 5 lost probes", () => {
    assert.deepEqual(parse([]), { enabled: true, intervalMs: 1000, maxPacketLossCount: 5 });
  });

  it('should read the flags', () => {
    assert.deepEqual(parse(['--health-check-interval', '0.5', '--health-check-max-packet-loss-count', '3']), {
      enabled: true,
      intervalMs: 500,
      maxPacketLossCount: 3,
    });
    assert.equal(parse(['--no-health-check']).enabled, false);
    assert.equal(
      parse(['--health-check'], { SUBMARINER_HEALTHCHECKENABLED: 'false' }).enabled,
      true,
      'the flag wins over the environment',
    );
  });

  it("should fall back to CABLED_* and then to Submariner's environment variables", () => {
    assert.deepEqual(
      parse([], {
        SUBMARINER_HEALTHCHECKENABLED: 'false',
        SUBMARINER_HEALTHCHECKINTERVAL: '2',
        SUBMARINER_HEALTHCHECKMAXPACKETLOSSCOUNT: '7',
      }),
      {
        enabled: false,
        intervalMs: 2000,
        maxPacketLossCount: 7,
      },
    );
    assert.deepEqual(
      parse([], {
        CABLED_HEALTH_CHECK: 'true',
        SUBMARINER_HEALTHCHECKENABLED: 'false',
        CABLED_HEALTH_CHECK_INTERVAL: '3',
        SUBMARINER_HEALTHCHECKINTERVAL: '2',
      }),
      {
        enabled: true,
        intervalMs: 3000,
        maxPacketLossCount: 5,
      },
    );
  });

  it('should reject bad values naming the flag or variable, the value and the reason', () => {
    assert.throws(
      () =>
        parse(['--health-check-interval', '0.05', '--health-check-max-packet-loss-count', '2.5'], {
          SUBMARINER_HEALTHCHECKENABLED: 'maybe',
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(
          err.issues.map((i) => i.key),
          ['SUBMARINER_HEALTHCHECKENABLED', '--health-check-interval', '--health-check-max-packet-loss-count'],
        );
        assert.match(err.message, /--health-check-interval="0\.05": expected a number of seconds, at least 0\.2/);
        assert.match(
          err.message,
          /--health-check-max-packet-loss-count="2\.5": expected a whole number of probes, at least 1/,
        );
        return true;
      },
    );
    assert.throws(
      () => parse(['--health-check', '--no-health-check']),
      /--health-check="true": given together with --no-health-check/,
    );
  });

  it('should document the flags in --help', () => {
    for (const flag of [
      '--health-check, --no-health-check',
      '--health-check-interval',
      '--health-check-max-packet-loss-count',
      'SUBMARINER_HEALTHCHECKMAXPACKETLOSSCOUNT',
    ]) {
      assert.ok(USAGE.includes(flag), flag);
    }
  });
});
