import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/lib/errors.js';
import { parseEngineArgs } from '../../../src/engine/options.js';

describe('engine options', () => {
  it('should read flags, with defaults for the rest', () => {
    const { command, settings } = parseEngineArgs(
      [
        '--cluster-id',
        'cluster1',
        '--endpoints',
        '/e.yaml',
        '--subnets',
        '10.1.0.0/16,10.96.0.0/16',
        '--backend-config',
        'udp-port=4600',
      ],
      {},
    );
    assert.equal(command, 'run');
    assert.equal(settings.clusterId, 'cluster1');
    assert.deepEqual(settings.subnets, ['10.1.0.0/16', '10.96.0.0/16']);
    assert.deepEqual(settings.backendConfig, { 'udp-port': '4600' });
    assert.equal(settings.driver, 'vxlan');
    assert.deepEqual(settings.listen, ['unix:///run/cabled/engine.sock']);
  });

  it("should fall back to Submariner's environment variables", () => {
    const { settings } = parseEngineArgs(['--endpoints', '/e.yaml'], {
      SUBMARINER_CLUSTERID: 'east',
      SUBMARINER_CLUSTERCIDR: '10.1.0.0/16',
      SUBMARINER_SERVICECIDR: '10.96.0.0/12',
      SUBMARINER_CABLEDRIVER: 'VXLAN',
    });
    assert.equal(settings.clusterId, 'east');
    assert.deepEqual(settings.subnets, ['10.1.0.0/16', '10.96.0.0/12']);
    assert.equal(settings.driver, 'vxlan');
  });

  it('should reject bad values naming the flag, the value and the reason', () => {
    assert.throws(
      () =>
        parseEngineArgs(
          ['--cluster-id', 'Cluster_1', '--private-ip', '10.0.0.300', '--subnets', '10.1.0.0', '--endpoints', 'e'],
          {},
        ),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const keys = err.issues.map((i) => i.key);
        assert.deepEqual(keys, ['--cluster-id', '--private-ip', '--subnets']);
        assert.match(err.message, /--private-ip="10\.0\.0\.300": not an IPv4 address/);
        return true;
      },
    );
  });

  it('should require the cluster id and the endpoints file', () => {
    assert.throws(() => parseEngineArgs([], {}), /--cluster-id="": required.*--endpoints="": required/);
  });

  it('should read the endpoint limits, with documented defaults, and refuse bad ones naming the flag', () => {
    const base = ['--cluster-id', 'c1', '--endpoints', '/e.yaml'];
    const { settings } = parseEngineArgs(base, {});
    assert.deepEqual(
      [
        settings.endpointLimits.maxSubnets,
        settings.endpointLimits.minPrefixLength,
        settings.endpointLimits.maxEndpoints,
        settings.endpointLimits.maxFileBytes,
      ],
      [256, 8, 5000, 4194304],
    );
    const set = parseEngineArgs([...base, '--endpoint-max-subnets', '32', '--endpoint-min-prefix-length', '12'], {
      CABLED_ENDPOINTS_MAX_FILE_BYTES: '65536',
    }).settings.endpointLimits;
    assert.deepEqual([set.maxSubnets, set.minPrefixLength, set.maxFileBytes], [32, 12, 65536]);
    assert.throws(
      () => parseEngineArgs([...base, '--endpoint-min-prefix-length', '0', '--endpoints-max-count', 'many'], {}),
      /--endpoint-min-prefix-length="0": expected a whole number from 1 to 32 \(default 8\).*--endpoints-max-count="many"/,
    );
  });

  it('should refuse a TCP --listen address without the mutual TLS files, saying how to make them', () => {
    const base = [
      '--cluster-id',
      'c1',
      '--endpoints',
      '/e.yaml',
      '--listen',
      'unix:///r/e.sock',
      '--listen',
      '0.0.0.0:50051',
    ];
    assert.throws(
      () => parseEngineArgs([...base, '--tls-cert', '/t/tls.crt'], {}),
      /--listen="0\.0\.0\.0:50051": the TCP API requires mutual TLS, and --tls-key, --tls-client-ca are missing: .*openssl commands are in docs\/deploy\.md/,
    );
    const { settings } = parseEngineArgs(
      [...base, '--tls-cert', '/t/tls.crt', '--tls-key', '/t/tls.key', '--tls-admin', 'ops,ci-bot', '--tls-admin', 'x'],
      { CABLED_TLS_CLIENT_CA: '/t/ca.crt' },
    );
    assert.deepEqual(settings.apiTls, {
      certFile: '/t/tls.crt',
      keyFile: '/t/tls.key',
      clientCaFile: '/t/ca.crt',
      admins: ['ops', 'ci-bot', 'x'],
    });
    assert.throws(
      () => parseEngineArgs(['--cluster-id', 'c1', '--endpoints', '/e.yaml', '--tls-cert', '/t/tls.crt'], {}),
      /--tls-cert="\/t\/tls\.crt": only used with a TCP --listen address/,
    );
  });
});
