/**
 * Tests for parseEndpoint: both of Submariner's shapes, each field's
 * checks, and error messages naming entry, field, value and reason.
 */
import assert from 'node:assert/strict';
import { EndpointError, parseEndpoint, publishableHostname } from '../../../src/endpoints/parse-endpoint.js';

const SPEC = {
  cluster_id: 'cluster2',
  hostname: 'cluster2-worker',
  subnets: ['10.2.0.0/16'],
  private_ip: '172.18.0.7',
  public_ip: '203.0.113.7',
  nat_enabled: true,
  backend: 'libreswan',
  backend_config: { 'udp-port': '4500' },
  healthCheckIP: '10.2.0.1',
};

function errorOf(raw: unknown, where = 'endpoints.yaml[3]'): EndpointError {
  try {
    parseEndpoint(raw, where);
  } catch (err) {
    assert.ok(err instanceof EndpointError, String(err));
    return err;
  }
  assert.fail('expected the entry to be rejected');
}

const reasonFor = (raw: unknown, field: string): string => {
  const issue = errorOf(raw).issues.find((i) => i.key === field);
  assert.ok(issue, `no issue for ${field}`);
  return `${issue.value} | ${issue.reason}`;
};

describe('parseEndpoint', () => {
  context('when given an EndpointSpec with JSON names', () => {
    it('should give the Endpoint with the computed cable name', () => {
      const { spec, createdAt } = parseEndpoint(SPEC, 'x');
      assert.deepEqual(spec, {
        clusterId: 'cluster2',
        cableName: 'submariner-cable-cluster2-172-18-0-7',
        hostname: 'cluster2-worker',
        subnets: ['10.2.0.0/16'],
        privateIp: '172.18.0.7',
        publicIp: '203.0.113.7',
        natEnabled: true,
        backend: 'libreswan',
        backendConfig: { 'udp-port': '4500' },
        healthCheckIp: '10.2.0.1',
      });
      assert.equal(createdAt, undefined);
    });
    it('should accept only the required fields', () => {
      const { spec } = parseEndpoint({ cluster_id: 'c3', private_ip: '10.0.0.1' }, 'x');
      assert.deepEqual(
        [spec.publicIp, spec.subnets, spec.natEnabled, spec.healthCheckIp, spec.backendConfig],
        ['', [], false, '', {}],
      );
    });
    it('should accept health_check_ip and a top-level creationTimestamp', () => {
      const r = parseEndpoint(
        {
          cluster_id: 'c3',
          private_ip: '10.0.0.1',
          health_check_ip: '10.3.0.1',
          creationTimestamp: '2026-11-22T10:00:00Z',
        },
        'x',
      );
      assert.equal(r.spec.healthCheckIp, '10.3.0.1');
      assert.equal(r.createdAt, Date.parse('2026-11-22T10:00:00Z'));
    });
    it('should accept upper case in cluster_id, as Submariner does', () => {
      assert.equal(
        parseEndpoint({ ...SPEC, cluster_id: 'Cluster_2' }, 'x').spec.cableName,
        'submariner-cable-Cluster_2-172-18-0-7',
      );
    });
    it('should leave out a malformed port with a warning, as Submariner does', () => {
      for (const bad of ['70000', 'ipsec', '-1']) {
        const r = parseEndpoint({ ...SPEC, backend_config: { 'udp-port': bad, x: 'y' } }, 'x');
        assert.deepEqual(r.spec.backendConfig, { x: 'y' });
        assert.match(r.warnings[0] ?? '', /^backend_config\.udp-port=".*": .*; left out, so the default port applies/);
      }
    });
    it("should read backend_config booleans as Go's strconv.ParseBool, anything else as not set", () => {
      const read = (v: string) => parseEndpoint({ ...SPEC, backend_config: { 'preferred-server': v } }, 'x');
      for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True'])
        assert.deepEqual(read(t).spec.backendConfig, { 'preferred-server': 'true' }, t);
      for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False'])
        assert.deepEqual(read(f).spec.backendConfig, { 'preferred-server': 'false' }, f);
      for (const other of ['yes', 'on', 'tRUE', ' true', '']) {
        const r = read(other);
        assert.deepEqual(r.spec.backendConfig, {}, other);
        assert.match(r.warnings[0] ?? '', /not a boolean as Go's strconv\.ParseBool reads it/);
      }
    });
    it("should leave out the endpoint's own private_ip /32 from subnets, as Submariner does", () => {
      const r = parseEndpoint({ ...SPEC, subnets: ['10.2.0.0/16', '172.18.0.7/32'] }, 'x');
      assert.deepEqual(r.spec.subnets, ['10.2.0.0/16']);
      assert.match(r.warnings[0] ?? '', /172\.18\.0\.7\/32 is the endpoint's own private_ip/);
    });
    it('should convert numbers and booleans in backend_config to strings', () => {
      const { spec } = parseEndpoint({ ...SPEC, backend_config: { 'udp-port': 4501, 'preferred-server': true } }, 'x');
      assert.deepEqual(spec.backendConfig, { 'udp-port': '4501', 'preferred-server': 'true' });
    });
    it('should accept a matching cable_name', () => {
      assert.equal(
        parseEndpoint({ ...SPEC, cable_name: 'submariner-cable-cluster2-172-18-0-7' }, 'x').spec.cableName,
        'submariner-cable-cluster2-172-18-0-7',
      );
    });
  });

  context('when given an Endpoint resource', () => {
    it('should read spec and metadata.creationTimestamp', () => {
      const r = parseEndpoint(
        {
          apiVersion: 'submariner.io/v1',
          kind: 'Endpoint',
          metadata: { name: 'n', creationTimestamp: '2026-11-22T10:00:00+01:00' },
          spec: SPEC,
        },
        'x',
      );
      assert.equal(r.spec.clusterId, 'cluster2');
      assert.equal(r.createdAt, Date.parse('2026-11-22T09:00:00Z'));
    });
    it('should reject another kind or apiVersion', () => {
      const err = errorOf({ apiVersion: 'v1', kind: 'Endpoints', spec: SPEC });
      assert.deepEqual(
        err.issues.map((i) => i.key),
        ['kind', 'apiVersion'],
      );
    });
    it('should prefix spec fields in messages', () => {
      assert.match(
        reasonFor(
          { apiVersion: 'submariner.io/v1', kind: 'Endpoint', spec: { ...SPEC, private_ip: '1.2.3' } },
          'spec.private_ip',
        ),
        /^1\.2\.3 \| not an IPv4 address/,
      );
    });
    it('should reject a bad creationTimestamp', () => {
      assert.match(
        reasonFor(
          {
            apiVersion: 'submariner.io/v1',
            kind: 'Endpoint',
            metadata: { creationTimestamp: 'yesterday' },
            spec: SPEC,
          },
          'metadata.creationTimestamp',
        ),
        /not an RFC 3339 time/,
      );
    });
  });

  describe('field checks', () => {
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ['a missing cluster_id', { ...SPEC, cluster_id: undefined }, 'cluster_id', /missing; set cluster_id/],
      [
        'a camelCase clusterID',
        { ...SPEC, cluster_id: undefined, clusterID: 'c' },
        'cluster_id',
        /"clusterID" is not a field, write cluster_id/,
      ],
      [
        'a cluster_id over 63 characters',
        { ...SPEC, cluster_id: 'c'.repeat(64) },
        'cluster_id',
        /longer than 63 characters \(64\)/,
      ],
      [
        'a cluster_id unsafe in a connection name',
        { ...SPEC, cluster_id: 'c2/../x' },
        'cluster_id',
        /^c2\/\.\.\/x \| not safe in a cable or libreswan connection name/,
      ],
      ['a numeric cluster_id', { ...SPEC, cluster_id: 42 }, 'cluster_id', /not a string/],
      ['a missing private_ip', { ...SPEC, private_ip: undefined }, 'private_ip', /missing; set private_ip/],
      ['an IPv6 private_ip', { ...SPEC, private_ip: 'fd00::1' }, 'private_ip', /^fd00::1 \| not an IPv4 address/],
      ['a bad public_ip', { ...SPEC, public_ip: '300.1.1.1' }, 'public_ip', /not an IPv4 address/],
      [
        'a subnet with host bits',
        { ...SPEC, subnets: ['10.2.0.1/16'] },
        'subnets',
        /^10\.2\.0\.1\/16 \| host bits are set; use 10\.2\.0\.0\/16/,
      ],
      ['a subnet without a prefix', { ...SPEC, subnets: ['10.2.0.0'] }, 'subnets', /not a CIDR/],
      ['a prefix over 32', { ...SPEC, subnets: ['10.2.0.0/33'] }, 'subnets', /prefix length above 32/],
      ['subnets that are a map', { ...SPEC, subnets: { a: 1 } }, 'subnets', /not a list/],
      ['a non-boolean nat_enabled', { ...SPEC, nat_enabled: 'perhaps' }, 'nat_enabled', /not a boolean/],
      ['a list in backend_config', { ...SPEC, backend_config: { x: ['a'] } }, 'backend_config.x', /not a string/],
      ['a backend_config that is a list', { ...SPEC, backend_config: ['a'] }, 'backend_config', /not a map/],
      ['a bad healthCheckIP', { ...SPEC, healthCheckIP: 'localhost' }, 'healthCheckIP', /not an IPv4 address/],
      [
        'a wrong cable_name',
        { ...SPEC, cable_name: 'submariner-cable-cluster2-172-18-0-8' },
        'cable_name',
        /does not match cluster_id and private_ip; use submariner-cable-cluster2-172-18-0-7/,
      ],
      [
        'a bad top-level creationTimestamp',
        { ...SPEC, creationTimestamp: 1700000000 },
        'creationTimestamp',
        /not an RFC 3339 time/,
      ],
    ];
    for (const [what, raw, field, re] of cases) {
      context(`when given ${what}`, () => {
        it(`should reject ${field} with the value and the reason`, () => assert.match(reasonFor(raw, field), re));
      });
    }
  });

  describe('errors', () => {
    it('should name the entry and its cluster ID, and collect every issue', () => {
      const err = errorOf({ ...SPEC, private_ip: '1.2.3', public_ip: 'x' });
      assert.equal(err.where, 'endpoints.yaml[3] (cluster_id "cluster2")');
      assert.equal(err.issues.length, 2);
      assert.match(
        err.message,
        /^invalid configuration in endpoints\.yaml\[3\] \(cluster_id "cluster2"\): private_ip="1\.2\.3": not an IPv4 address/,
      );
    });
    it('should name only the entry when the cluster ID is unknown', () => {
      assert.equal(errorOf({ private_ip: '10.0.0.1' }).where, 'endpoints.yaml[3]');
      assert.equal(
        errorOf('just a string').issues[0]?.reason,
        'not a map; write an EndpointSpec or an Endpoint resource',
      );
    });
  });
});

describe('publishableHostname (the hostname a gateway publishes in its own Endpoint)', () => {
  it('should keep a valid host name, and make any other one a name every remote parser accepts', () => {
    const fallback = 'submariner-cable-cluster1-172-29-60-11';
    const cases: [string, string][] = [
      ['gw-1.example.org', 'gw-1.example.org'],
      ['(none)', 'none'], // what a bare VM (the e2e guest) reports; remotes rejected the Endpoint
      ['gw_1!', 'gw_1'],
      ['-._', fallback],
      ['', fallback],
      ['a'.repeat(300), 'a'.repeat(253)],
    ];
    for (const [host, want] of cases) {
      const got = publishableHostname(host, fallback);
      assert.equal(got, want, host);
      assert.doesNotThrow(() => parseEndpoint({ ...SPEC, hostname: got }, 'x'), host);
    }
  });
});
