/**
 * HA settings (flags, CABLED_*, Submariner's LEADERSHIP_* and
 * SUBMARINER_NAMESPACE; client-go's timing rules) and the resources a
 * gateway publishes in Submariner's shapes.
 */
import assert from 'node:assert/strict';
import { parseEngineArgs } from '../../../src/engine/options.js';
import { ConnectionStatus, type Connection, type Endpoint } from '../../../src/generated/cabled/driver/v1/driver.js';
import { endpointName, endpointObject, gatewayObject, goDuration } from '../../../src/ha/resources.js';
import { parseHaSettings } from '../../../src/ha/settings.js';
import type { ConfigIssue } from '../../../src/lib/errors.js';

const local: Endpoint = {
  clusterId: 'cluster1',
  cableName: 'submariner-cable-cluster1-172-18-0-8',
  hostname: 'node-a',
  subnets: ['10.1.0.0/16'],
  privateIp: '172.18.0.8',
  publicIp: '1.2.3.4',
  natEnabled: false,
  backend: 'libreswan',
  backendConfig: { 'udp-port': '4500' },
  healthCheckIp: '10.1.0.5',
};

describe('HA settings', () => {
  const parse = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    const issues: ConfigIssue[] = [];
    const s = parseHaSettings(flags, env, issues, () => 'host1');
    return { s, issues };
  };

  it("should default to Submariner's lock, 10/5/2 s, <node>-submariner-gateway, and no election", () => {
    const { s, issues } = parse({});
    assert.deepEqual(issues, []);
    assert.deepEqual(s, {
      leaderElection: false,
      leaseName: 'submariner-gateway-lock',
      namespace: 'submariner-operator',
      leaseDurationMs: 10000,
      renewDeadlineMs: 5000,
      retryPeriodMs: 2000,
      identity: 'host1-submariner-gateway',
      nodeName: 'host1',
      publish: false,
      publishNamespace: '',
      podName: '',
      podNamespace: 'submariner-operator',
    });
  });

  it("should read Submariner's LEADERSHIP_* and SUBMARINER_NAMESPACE, NODE_NAME, and let flags win", () => {
    const env = {
      LEADERSHIP_LEASEDURATION: '15',
      LEADERSHIP_RENEWDEADLINE: '10',
      LEADERSHIP_RETRYPERIOD: '2',
      SUBMARINER_NAMESPACE: 'submariner-operator-x',
      NODE_NAME: 'worker-3',
      CABLED_LEADER_ELECTION: 'true',
    };
    const { s, issues } = parse({ 'retry-period': '1' }, env);
    assert.deepEqual(issues, []);
    assert.equal(s.leaderElection, true);
    assert.equal(s.publish, true, 'publication follows the election by default');
    assert.equal(s.leaseDurationMs, 15000);
    assert.equal(s.renewDeadlineMs, 10000);
    assert.equal(s.retryPeriodMs, 1000);
    assert.equal(s.namespace, 'submariner-operator-x');
    assert.equal(s.identity, 'worker-3-submariner-gateway');
  });

  it("should take the pod to label from the downward API's POD_NAME and POD_NAMESPACE, and reject a bad pod name", () => {
    const { s, issues } = parse({}, { POD_NAME: 'cabled-gateway-x7k2p', POD_NAMESPACE: 'cabled' });
    assert.deepEqual(issues, []);
    assert.deepEqual([s.podName, s.podNamespace], ['cabled-gateway-x7k2p', 'cabled']);
    const bad = parse({ 'pod-name': 'Not a pod' });
    assert.deepEqual(
      bad.issues.map((i) => [i.key, i.reason]),
      [['--pod-name', 'not a pod name (lower-case DNS subdomain)']],
    );
  });

  it('should reject a renew deadline not below the lease, a retry period too close to it, and bad names', () => {
    const { issues } = parse({
      'leader-election': true,
      'lease-duration': '5',
      'renew-deadline': '5',
      'retry-period': '4.5',
      'lease-namespace': 'Not_A_Namespace',
    });
    const keys = issues.map((i) => i.key).sort();
    assert.deepEqual(keys, ['--lease-namespace', '--renew-deadline', '--retry-period']);
    assert.match(issues.find((i) => i.key === '--renew-deadline')?.reason ?? '', /must be below --lease-duration/);
  });

  it('should accept any host name when neither election nor publication is on (a host whose name is "(none)")', () => {
    const issues: ConfigIssue[] = [];
    parseHaSettings({}, {}, issues, () => '(none)');
    assert.deepEqual(issues, []);
    const electing: ConfigIssue[] = [];
    parseHaSettings({ 'leader-election': true }, {}, electing, () => '(none)');
    assert.deepEqual(
      electing.map((i) => i.key),
      ['--node-name'],
    );
  });

  it('should be part of the engine flags (cabled --leader-election ...)', () => {
    const { settings } = parseEngineArgs(
      ['run', '--cluster-id', 'c1', '--endpoints-source', 'kubernetes', '--leader-election', '--node-name', 'n1'],
      {},
    );
    assert.equal(settings.ha.leaderElection, true);
    assert.equal(settings.ha.identity, 'n1-submariner-gateway');
  });
});

describe('published resources (Submariner shapes)', () => {
  it('should name the Endpoint <cluster>-<cable> and use the EndpointSpec JSON names', () => {
    assert.equal(endpointName(local), 'cluster1-submariner-cable-cluster1-172-18-0-8');
    assert.deepEqual(endpointObject(local, 'submariner-operator'), {
      apiVersion: 'submariner.io/v1',
      kind: 'Endpoint',
      metadata: {
        name: 'cluster1-submariner-cable-cluster1-172-18-0-8',
        namespace: 'submariner-operator',
        labels: { 'submariner-io/clusterID': 'cluster1' },
      },
      spec: {
        cluster_id: 'cluster1',
        cable_name: 'submariner-cable-cluster1-172-18-0-8',
        healthCheckIP: '10.1.0.5',
        hostname: 'node-a',
        subnets: ['10.1.0.0/16'],
        private_ip: '172.18.0.8',
        public_ip: '1.2.3.4',
        nat_enabled: false,
        backend: 'libreswan',
        backend_config: { 'udp-port': '4500' },
      },
    });
  });

  it('should write the Gateway status as Submariner does: haStatus, connections with Go-duration RTTs, update-timestamp', () => {
    const c: Connection = {
      status: ConnectionStatus.CONNECTION_STATUS_CONNECTED,
      statusMessage: 'up',
      endpoint: { ...local, clusterId: 'cluster2' },
      usingIp: '172.18.0.9',
      usingNat: false,
      latencyRtt: { lastNs: 176_502, minNs: 900, averageNs: 1_500_000, maxNs: 2_000_000_000, stddevNs: 0 },
      sas: [],
      rxBytes: 0,
      txBytes: 0,
      establishedUnixMs: 1,
    };
    const status = {
      version: '0.1.0',
      haStatus: 'active',
      localEndpoint: local,
      statusFailure: '',
      desiredEndpoints: 1,
      rejectedEndpoints: [],
      config: {},
      configError: '',
      lastReconcileUnixMs: 0,
      inSync: true,
      endpointSourceErrors: [],
      supersededEndpoints: [],
      endpointConflicts: [],
      endpointWarnings: [],
    };
    const g = gatewayObject('node-a', 'ns', status, [c], 1_700_000_000_900) as {
      metadata: { annotations: Record<string, string> };
      status: { haStatus: string; connections: Record<string, unknown>[] };
    };
    assert.equal(g.metadata.annotations['update-timestamp'], '1700000000');
    assert.equal(g.status.haStatus, 'active');
    assert.deepEqual(g.status.connections[0]?.latencyRTT, {
      last: '176.502µs',
      min: '900ns',
      average: '1.5ms',
      max: '2s',
      stdDev: '0s',
    });
    assert.equal(g.status.connections[0]?.status, 'connected');
    assert.equal(g.status.connections[0]?.usingIP, '172.18.0.9');
    assert.equal(goDuration(0), '0s');
  });
});
