/**
 * The endpoint policy: what a remote cluster may claim, checked against
 * this gateway (its subnets and addresses), with reasons that name the rule.
 */
import assert from 'node:assert/strict';
import {
  DEFAULT_ENDPOINT_LIMITS,
  checkClusterId,
  checkRemoteIp,
  checkRemoteSubnet,
  clip,
  parseGoBool,
  policyFor,
} from '../../../src/endpoints/endpoint-policy.js';
import { EndpointError, parseEndpoint } from '../../../src/endpoints/parse-endpoint.js';
import type { Endpoint } from '../../../src/generated/cabled/driver/v1/driver.js';

const local: Endpoint = {
  clusterId: 'cluster1',
  cableName: 'submariner-cable-cluster1-172-18-0-1',
  hostname: 'gw1',
  subnets: ['10.1.0.0/16', '100.64.0.0/16'],
  privateIp: '172.18.0.1',
  publicIp: '203.0.113.1',
  natEnabled: false,
  backend: 'vxlan',
  backendConfig: {},
  healthCheckIp: '10.1.0.1',
};
const policy = policyFor(local);
const underlay = [{ name: 'private_ip', ip: '172.18.0.2' }];

function rejection(raw: Record<string, unknown>): string {
  try {
    parseEndpoint({ cluster_id: 'cluster2', private_ip: '172.18.0.2', ...raw }, 'e[0]', policy);
  } catch (err) {
    assert.ok(err instanceof EndpointError);
    return err.message;
  }
  return assert.fail('expected a rejection');
}

describe('endpoint policy', () => {
  describe('remote gateway addresses', () => {
    const cases: [string, RegExp][] = [
      ['0.0.0.0', /"this network"/],
      ['0.1.2.3', /"this network"/],
      ['127.0.0.1', /loopback/],
      ['169.254.10.1', /link-local/],
      ['224.0.0.1', /multicast/],
      ['239.255.255.250', /multicast/],
      ['241.18.0.2', /VTEP range/],
      ['255.255.255.255', /broadcast/],
      ['250.0.0.1', /reserved/],
      ['172.18.0.1', /this gateway's own private IP/],
      ['203.0.113.1', /this gateway's own public IP/],
      ['10.1.0.1', /this gateway's own health-check IP/],
      ['10.1.99.1', /inside the local cluster's subnet 10\.1\.0\.0\/16/],
    ];
    for (const [ip, re] of cases) it(`should refuse ${ip}`, () => assert.match(checkRemoteIp(ip, policy) ?? '', re));
    it('should accept a unicast address elsewhere', () => {
      assert.equal(checkRemoteIp('172.18.0.2', policy), undefined);
      assert.equal(checkRemoteIp('198.51.100.9', policy), undefined);
    });
    it('should check private_ip, public_ip and healthCheckIP alike, naming the field', () => {
      assert.match(
        rejection({ private_ip: '127.0.0.1' }),
        /private_ip="127\.0\.0\.1": not a unicast address: loopback/,
      );
      assert.match(rejection({ public_ip: '224.0.0.1' }), /public_ip="224\.0\.0\.1": not a unicast address: multicast/);
      assert.match(rejection({ healthCheckIP: '172.18.0.1' }), /healthCheckIP="172\.18\.0\.1": is this gateway's own/);
    });
  });

  describe('remote subnets', () => {
    const cases: [string, RegExp][] = [
      ['0.0.0.0/0', /a default route/],
      ['0.0.0.0/1', /broader than \/8 \(the endpoint-min-prefix-length limit\)/],
      ['10.1.5.0/24', /overlaps the local cluster's subnet 10\.1\.0\.0\/16/],
      ['10.0.0.0/8', /overlaps the local cluster's subnet 10\.1\.0\.0\/16/],
      ['100.64.0.0/10', /overlaps the local cluster's subnet 100\.64\.0\.0\/16/],
      ['127.0.0.0/8', /loopback/],
      ['169.254.0.0/16', /link-local/],
      ['224.0.0.0/8', /multicast/],
      ['241.0.0.0/8', /VTEP range/],
      ['255.255.255.255/32', /broadcast/],
      ['172.18.0.0/24', /contains the endpoint's own private_ip 172\.18\.0\.2/],
      ['203.0.113.0/24', /contains this gateway's own public IP 203\.0\.113\.1/],
    ];
    for (const [cidr, re] of cases)
      it(`should refuse ${cidr}`, () => assert.match(checkRemoteSubnet(cidr, underlay, policy) ?? '', re));
    it('should accept a remote cluster subnet', () => {
      assert.equal(checkRemoteSubnet('10.2.0.0/16', underlay, policy), undefined);
    });
    it('should honour a narrower prefix-breadth setting', () => {
      const strict = policyFor(local, { ...DEFAULT_ENDPOINT_LIMITS, minPrefixLength: 16 });
      assert.match(checkRemoteSubnet('10.0.0.0/12', [], strict) ?? '', /broader than \/16/);
      assert.equal(checkRemoteSubnet('10.2.0.0/16', [], strict), undefined);
    });
    it('should name the field and the subnet in the rejection', () => {
      assert.match(rejection({ subnets: ['10.2.0.0/16', '0.0.0.0/0'] }), /subnets="0\.0\.0\.0\/0": a default route/);
    });
    it('should refuse more subnets than the limit, naming it, without listing each', () => {
      const many = Array.from({ length: 5000 }, (_, i) => `10.${100 + (i >> 8)}.${i & 255}.0/24`);
      const msg = rejection({ subnets: many });
      assert.match(msg, /subnets="5000 subnets": more than 256 subnets \(the endpoint-max-subnets limit\)/);
      assert.ok(msg.length < 600);
    });
  });

  describe('strings and lists', () => {
    it('should refuse a 100 KB hostname, showing only its start and length', () => {
      const msg = rejection({ hostname: 'h'.repeat(100 * 1024) });
      assert.match(msg, /hostname="h+… \(102400 characters\)": longer than 253 characters \(102400\)/);
      assert.ok(msg.length < 400);
    });
    it('should refuse control characters in backend_config values and too many entries', () => {
      assert.match(rejection({ backend_config: { x: 'a\nb' } }), /backend_config\.x=.*holds control characters/);
      const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v']));
      assert.match(rejection({ backend_config: big }), /more than 32 entries \(the backend_config limit\)/);
    });
    it('should list at most 10 issues of one entry and count the rest', () => {
      const subnets = Array.from({ length: 30 }, (_, i) => `1.2.3.${i}/24`);
      const msg = rejection({ subnets });
      assert.match(msg, /\(more\)="": and 19 more problems/);
    });
  });

  describe('cluster ids (Submariner: 1-63 characters)', () => {
    it('should accept upper case, digits, dots and underscores', () => {
      for (const id of ['Cluster-A', 'eu.west_1', 'C', '0'.repeat(63)])
        assert.equal(checkClusterId(id, DEFAULT_ENDPOINT_LIMITS), undefined, id);
    });
    it('should refuse what is unsafe in a libreswan connection name or a file name', () => {
      for (const id of ['a/b', 'a b', '-a', 'a-', 'a"b', 'ä', 'a;b'])
        assert.match(
          checkClusterId(id, DEFAULT_ENDPOINT_LIMITS) ?? '',
          /not safe in a cable or libreswan connection name/,
          id,
        );
      assert.match(checkClusterId('c'.repeat(64), DEFAULT_ENDPOINT_LIMITS) ?? '', /longer than 63 characters \(64\)/);
    });
  });

  it("should read booleans as Go's strconv.ParseBool does", () => {
    assert.deepEqual(['1', 't', 'T', 'TRUE', 'true', 'True'].map(parseGoBool), Array(6).fill(true));
    assert.deepEqual(['0', 'f', 'F', 'FALSE', 'false', 'False'].map(parseGoBool), Array(6).fill(false));
    assert.deepEqual(['yes', 'no', 'on', 'tRuE', ' 1', ''].map(parseGoBool), Array(6).fill(undefined));
  });

  it('should clip long values and say how long they were', () => {
    assert.equal(clip('short'), 'short');
    assert.match(clip('x'.repeat(1000)), /^x{48}… \(1000 characters\)$/);
  });
});
