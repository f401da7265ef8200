/**
 * The engine flags that choose the endpoint source: --endpoints-source,
 * --endpoints-namespace, --kubeconfig, and their CABLED_* variables.
 */
import assert from 'node:assert/strict';
import { parseEngineArgs } from '../../../src/engine/options.js';
import { ConfigError } from '../../../src/lib/errors.js';

const base = ['run', '--cluster-id', 'c1'];

describe('engine options: endpoint source', () => {
  it('should default to the file source in the submariner-operator namespace', () => {
    const { settings } = parseEngineArgs([...base, '--endpoints', '/e.yaml'], {});
    assert.equal(settings.endpointsSource, 'file');
    assert.equal(settings.endpointsNamespace, 'submariner-operator');
    assert.equal(settings.kubeconfig, '');
  });

  it('should run with the Kubernetes source alone, without an endpoints file', () => {
    const { settings } = parseEngineArgs([...base, '--endpoints-source', 'kubernetes', '--kubeconfig', '/k.yaml'], {});
    assert.equal(settings.endpointsSource, 'kubernetes');
    assert.equal(settings.kubeconfig, '/k.yaml');
  });

  it('should read CABLED_ENDPOINTS_SOURCE, CABLED_ENDPOINTS_NAMESPACE ("*" = every namespace) and CABLED_KUBECONFIG', () => {
    const { settings } = parseEngineArgs([...base, '--endpoints', '/e.yaml'], {
      CABLED_ENDPOINTS_SOURCE: 'both',
      CABLED_ENDPOINTS_NAMESPACE: '*',
      CABLED_KUBECONFIG: '/k',
    });
    assert.deepEqual([settings.endpointsSource, settings.endpointsNamespace, settings.kubeconfig], ['both', '', '/k']);
  });

  it('should require --endpoints with both, and reject an unknown source or namespace naming flag, value and reason', () => {
    assert.throws(
      () => parseEngineArgs([...base, '--endpoints-source', 'both'], {}),
      /--endpoints="": required with --endpoints-source both/,
    );
    assert.throws(
      () =>
        parseEngineArgs(
          [...base, '--endpoints-source', 'crd', '--endpoints-namespace', 'Bad_NS', '--endpoints', 'e'],
          {},
        ),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(
          err.issues.map((i) => [i.key, i.value]),
          [
            ['--endpoints-source', 'crd'],
            ['--endpoints-namespace', 'Bad_NS'],
          ],
        );
        assert.match(err.message, /expected one of file, kubernetes, both/);
        return true;
      },
    );
  });
});
