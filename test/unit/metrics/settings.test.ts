/** --metrics-listen and its environment variables, through the engine's argument parser. */
import assert from 'node:assert/strict';
import { parseEngineArgs, USAGE } from '../../../src/engine/options.js';

const BASE = ['--cluster-id', 'cluster1', '--endpoints', '/e.yaml'];
const parse = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  parseEngineArgs([...BASE, ...args], env).settings.metricsListen;

describe('metrics settings', () => {
  it('should be off by default', () => {
    assert.equal(parse([]), '');
  });

  it('should take the flag, then CABLED_METRICS_LISTEN, then SUBMARINER_METRICSPORT on every address', () => {
    assert.equal(
      parse(['--metrics-listen', '127.0.0.1:9100'], {
        CABLED_METRICS_LISTEN: '0.0.0.0:1',
        SUBMARINER_METRICSPORT: '2',
      }),
      '127.0.0.1:9100',
    );
    assert.equal(parse([], { CABLED_METRICS_LISTEN: '0.0.0.0:9101', SUBMARINER_METRICSPORT: '32780' }), '0.0.0.0:9101');
    assert.equal(parse([], { SUBMARINER_METRICSPORT: '32780' }), '0.0.0.0:32780');
  });

  it('should reject an address that is not host:port, naming the flag', () => {
    assert.throws(
      () => parse(['--metrics-listen', 'unix:///run/m.sock']),
      /--metrics-listen="unix:\/\/\/run\/m\.sock": expected host:port, e\.g\. 0\.0\.0\.0:32780/,
    );
    assert.throws(
      () => parse(['--metrics-listen', '0.0.0.0:99999']),
      /--metrics-listen="0\.0\.0\.0:99999": .*port 99999 is above 65535/,
    );
  });

  it('should document the flag in --help', () => {
    assert.match(USAGE, /--metrics-listen ADDR .*CABLED_METRICS_LISTEN, SUBMARINER_METRICSPORT/);
  });
});
