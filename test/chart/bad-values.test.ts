/**
 * Wrong chart values fail `helm template` (as they would fail `helm install`)
 * with a message that names the bad key: values.schema.json for single
 * values, the chart's own checks for combinations. Real helm binary.
 */
import { strict as assert } from 'node:assert';
import { CHART_DIR, ensureHelm, helm, setArgs } from './helm.js';

const GOOD = { clusterId: 'cluster1', 'ipsec.psk': 'a-test-psk-of-at-least-thirty-two-bytes-0123456789' };

/** [what, --set values (merged over GOOD; '' removes a key), extra args, expected message]. */
const BAD: [string, Record<string, string>, string[], RegExp][] = [
  ['no clusterId', { clusterId: '' }, [], /missing property 'clusterId'/],
  ['clusterId not a DNS label', { clusterId: 'Cluster_1' }, [], /at '\/clusterId': 'Cluster_1' does not match pattern/],
  [
    'unknown driver',
    { 'engine.driver': 'wireguard' },
    [],
    /at '\/engine\/driver': value must be one of 'vxlan', 'libreswan'/,
  ],
  [
    'unknown pluto mode',
    { 'ipsec.plutoMode': 'shared' },
    [],
    /at '\/ipsec\/plutoMode': value must be one of 'own', 'host'/,
  ],
  [
    'unknown offload affinity',
    { 'gateway.offloadAffinity': 'sometimes' },
    [],
    /at '\/gateway\/offloadAffinity': value must be one of 'preferred', 'required', 'none'/,
  ],
  [
    'subnet not a CIDR',
    {},
    ['--set-json', 'engine.subnets=["10.1.0.0/33"]'],
    /at '\/engine\/subnets\/0': '10.1.0.0\/33' does not match pattern/,
  ],
  [
    'private IP not an IPv4 address',
    { 'engine.privateIp': '10.0.0.300' },
    [],
    /at '\/engine\/privateIp': '10.0.0.300' does not match pattern/,
  ],
  [
    'TCP API without its TLS Secret',
    { 'api.tcp.enabled': 'true' },
    [],
    /api\.tcp\.enabled needs api\.tcp\.tls\.secretName: the TCP API is served with mutual TLS only.*docs\/deploy\.md/,
  ],
  [
    'TLS admin name with a comma',
    { 'api.tcp.enabled': 'true', 'api.tcp.tls.secretName': 's' },
    ['--set-json', 'api.tcp.tls.admins=["a,b"]'],
    /at '\/api\/tcp\/tls\/admins\/0': 'a,b' does not match pattern/,
  ],
  [
    'health port out of range',
    { 'api.healthPort': '70000' },
    [],
    /at '\/api\/healthPort': maximum: got 70,000, want 65,535/,
  ],
  [
    'typo in a key (hostPid)',
    { 'gateway.hostPid': 'true' },
    [],
    /at '\/gateway': additional properties 'hostPid' not allowed/,
  ],
  [
    'typo at the top level (clusterID)',
    { clusterID: 'cluster1' },
    [],
    /at '': additional properties 'clusterID' not allowed/,
  ],
  [
    'unknown ceIPSecMode',
    { 'ipsec.config.ceIPSecMode': 'tunel' },
    [],
    /at '\/ipsec\/config\/ceIPSecMode': value must be one of 'tunnel', 'transport'/,
  ],
  [
    'unknown ceIPSec key',
    { 'ipsec.config.ceIPSecModes': 'tunnel' },
    [],
    /at '\/ipsec\/config': additional properties 'ceIPSecModes' not allowed/,
  ],
  [
    'the PSK in the ConfigMap',
    { 'ipsec.config.ceIPSecPSK': 'secret' },
    [],
    /at '\/ipsec\/config': additional properties 'ceIPSecPSK' not allowed/,
  ],
  [
    'the pluto mode in ipsec.config (it is ipsec.plutoMode)',
    { 'ipsec.config.ceIPSecPlutoMode': 'host' },
    [],
    /at '\/ipsec\/config': additional properties 'ceIPSecPlutoMode' not allowed/,
  ],
  [
    'remote endpoint without subnets',
    {},
    ['--set-json', 'engine.endpoints=[{"cluster_id":"dc1","private_ip":"192.0.2.1"}]'],
    /at '\/engine\/endpoints\/0': missing property 'subnets'/,
  ],
  ['health-check interval below 1', { 'healthCheck.interval': '0' }, [], /at '\/healthCheck\/interval': .*minimum/],
  [
    'libreswan without a PSK',
    { 'ipsec.psk': '' },
    [],
    /engine.driver=libreswan needs a PSK: set ipsec.psk .* or ipsec.existingSecret/,
  ],
  [
    'vxlan without privileged',
    { 'engine.driver': 'vxlan' },
    [],
    /gateway.privileged must be true with engine.driver=vxlan .*\/proc\/sys is read-only/,
  ],
  [
    'transport-mode VXLAN overlay without privileged',
    { 'ipsec.config.ceIPSecOverlay': 'vxlan' },
    [],
    /gateway.privileged must be true with engine.driver=vxlan or ipsec.config.ceIPSecOverlay=vxlan/,
  ],
  [
    'host pluto with the vxlan driver',
    { 'ipsec.plutoMode': 'host', 'engine.driver': 'vxlan', 'gateway.privileged': 'true' },
    [],
    /ipsec.plutoMode=host needs engine.driver=libreswan/,
  ],
  [
    'PSK given twice',
    { 'ipsec.existingSecret': 'submariner-ipsec-psk' },
    [],
    /ipsec.psk and ipsec.existingSecret are both set/,
  ],
];

describe('Helm chart charts/cabled rejects bad values with the key named (real helm binary)', function () {
  this.timeout(120_000);
  before(async () => {
    await ensureHelm();
  });

  it('should render with the good values (the baseline every case below changes)', async () => {
    const r = await helm(['template', 'rel', CHART_DIR, ...setArgs(GOOD)]);
    assert.match(r.stdout, /kind: DaemonSet/);
  });

  for (const [what, change, extra, message] of BAD) {
    it(`should reject ${what}`, async () => {
      const values = Object.fromEntries(Object.entries({ ...GOOD, ...change }).filter(([, v]) => v !== ''));
      await assert.rejects(helm(['template', 'rel', CHART_DIR, ...setArgs(values), ...extra]), (err: Error) => {
        assert.match(err.message, /: exit 1: /);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
