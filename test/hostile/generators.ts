/**
 * fast-check generators of hostile inputs: endpoint entries as another
 * cluster (or a careless person) could write them, endpoints files,
 * ceCustomConfig text and engine API requests. Each mixes valid values with
 * the cases that once hurt a gateway (issue 11): default routes, the local
 * cluster's subnets, non-unicast and own addresses, huge strings and lists.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';

/** The gateway the generators attack (the hostile suites use the same values). */
export const LOCAL = {
  clusterId: 'cluster1',
  privateIp: '172.31.7.1',
  subnets: ['10.1.0.0/16'],
};

const BIG = 'h'.repeat(100 * 1024);

/** A network address with `prefix` (host bits cleared). */
export function networkOf(ip: string, prefix: number): string {
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  const net = n - (n % size);
  return `${[24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.')}/${prefix}`;
}

export const specialIp = fc.constantFrom(
  '0.0.0.0',
  '127.0.0.1',
  '255.255.255.255',
  '224.0.0.1',
  '169.254.1.1',
  '241.31.7.2',
  '240.0.0.1',
  LOCAL.privateIp,
  '10.1.5.9',
);
export const unicastIp = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .filter(([a, b]) => a !== 127 && a !== 10 && !(a === 169 && b === 254))
  .map((o) => o.join('.'));
export const anyIp = fc.oneof(unicastIp, specialIp, fc.ipV4(), fc.string({ maxLength: 20 }));

export const cidr = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, p]) => networkOf(ip, p));
export const specialCidr = fc.constantFrom(
  '0.0.0.0/0',
  '0.0.0.0/1',
  '10.1.5.0/24',
  '10.0.0.0/8',
  '127.0.0.0/8',
  '224.0.0.0/4',
  '241.0.0.0/8',
  '255.255.255.255/32',
  '169.254.0.0/16',
  `${LOCAL.privateIp}/32`,
  '172.31.0.0/16',
);
export const anyCidr = fc.oneof(
  { weight: 4, arbitrary: cidr },
  { weight: 3, arbitrary: specialCidr },
  { weight: 1, arbitrary: fc.string({ maxLength: 24 }) },
);

const hostileString = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant(BIG) },
  { weight: 1, arbitrary: fc.string({ minLength: 60, maxLength: 300 }) },
);
const clusterId = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('cluster2', 'cluster3', 'Cluster_4', 'c.5', LOCAL.clusterId) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,70}$/) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.boolean()) },
);
const subnets = fc.oneof(
  { weight: 6, arbitrary: fc.array(anyCidr, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 5000 }, (_, i) => `10.${100 + (i >> 8)}.${i & 255}.0/24`)) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 40 }), fc.dictionary(fc.string(), fc.string())) },
);
const backendConfig = fc.oneof(
  fc.dictionary(
    fc.oneof(fc.constantFrom('udp-port', 'natt-discovery-port', 'preferred-server'), fc.string({ maxLength: 70 })),
    fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(BIG), fc.array(fc.string())),
    { maxKeys: 40 },
  ),
  fc.anything({ maxDepth: 1 }),
);

/** Mostly `good`, sometimes `bad`: so entries are often valid and each field is attacked alone. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: bad });
const goodSubnet = fc
  .tuple(fc.integer({ min: 11, max: 99 }), fc.nat(255), fc.integer({ min: 16, max: 24 }))
  .map(([b, c, p]) => networkOf(`10.${b}.${c}.0`, p));

/** One entry of an endpoints file: an EndpointSpec or an Endpoint resource, often valid. */
export const endpointEntry: fc.Arbitrary<unknown> = fc
  .record(
    {
      cluster_id: mostly(fc.constantFrom('cluster2', 'cluster3', 'Cluster_4', 'c.5'), clusterId),
      private_ip: mostly(unicastIp, anyIp),
      public_ip: mostly(fc.constantFrom('', '198.51.100.7'), anyIp),
      healthCheckIP: mostly(fc.constantFrom('', '10.2.0.1'), anyIp),
      hostname: mostly(fc.constantFrom('gw-a', 'node-1.example'), hostileString),
      subnets: mostly(fc.array(goodSubnet, { maxLength: 4 }), fc.oneof(subnets, fc.array(anyCidr, { maxLength: 4 }))),
      nat_enabled: mostly(
        fc.boolean(),
        fc.string({ maxLength: 6 }).map((x) => x as unknown as boolean),
      ),
      backend: mostly(fc.constantFrom('vxlan', 'libreswan'), hostileString),
      backend_config: mostly(
        fc.constantFrom({}, { 'udp-port': '4500' }, { 'preferred-server': 'T' }, { 'udp-port': 'x' }),
        backendConfig as fc.Arbitrary<Record<string, string>>,
      ),
      cable_name: fc.string({ maxLength: 80 }),
      creationTimestamp: mostly(
        fc
          .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString()),
        fc.string({ maxLength: 30 }),
      ),
    },
    { requiredKeys: ['cluster_id', 'private_ip'] },
  )
  .map((spec) => {
    // A random cable_name would nearly always be refused; keep one in a few entries.
    const { cable_name, ...rest } = spec;
    return cable_name && cable_name.length % 7 === 0 ? spec : rest;
  })
  .chain((spec) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(spec as unknown) },
      {
        weight: 2,
        arbitrary: fc.constant({
          apiVersion: 'submariner.io/v1',
          kind: 'Endpoint',
          metadata: { name: 'x', creationTimestamp: spec.creationTimestamp },
          spec,
        } as unknown),
      },
      { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
    ),
  );

/** Endpoints file text: YAML or JSON lists, wrapped shapes, and garbage. */
export const endpointsFileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.array(endpointEntry, { maxLength: 6 }).map((l) => JSON.stringify(l)) },
  { weight: 3, arbitrary: fc.array(endpointEntry, { maxLength: 6 }).map((l) => stringify({ endpoints: l })) },
  { weight: 1, arbitrary: fc.array(endpointEntry, { maxLength: 3 }).map((l) => stringify({ items: l })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '[', '{endpoints: 5}', '- &a [*a]', '!!binary x', '---\n---\n') },
);

const configKey = fc.constantFrom(
  'ceIPSecPSK',
  'ceIPSecNATTPort',
  'ceIPSecIKEPort',
  'ceIPSecDebug',
  'ceIPSecForceUDPEncaps',
  'ceIPSecMode',
  'ceIPSecOverlay',
  'ceIPSecPfsGroup',
  'ceIPSecPKS',
  'ceIPSecIKE',
  'ceIPSecESP',
);
const configValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('"transport"', 'vxlan', '4500', '70000', 'true', '["modp2048"]', '*x', '|', '> y', '!tag z', '&a b'),
  fc.integer().map(String),
);
/** ceCustomConfig text: key: value lines (with Submariner's trailing commas), JSON, and garbage. */
export const customConfigText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.tuple(configKey, configValue, fc.boolean()), { maxLength: 8 })
      .map((lines) => lines.map(([k, v, comma]) => `${k}: ${v}${comma ? ',' : ''}`).join('\n')),
  },
  { weight: 1, arbitrary: fc.dictionary(configKey, fc.jsonValue({ maxDepth: 1 })).map((d) => JSON.stringify(d)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

/** A GetConnection name: cluster ids and cable names, unicode, and huge. */
export const connectionName: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('cluster2', 'submariner-cable-cluster2-10-0-0-2', '', ' ', 'cluster9') },
  { weight: 3, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 100 }) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 200_000 }).map((n) => 'n'.repeat(n)) },
);
