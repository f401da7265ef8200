/**
 * What cabled accepts from a remote cluster: the limits on every string and
 * list of an endpoint, the address classes a remote gateway may have, and the
 * subnets it may claim. One policy, used by every endpoint source (the file
 * and the Kubernetes API) through parseEndpoint. The checks here need only
 * the entry itself and this gateway; rules between remote clusters (who holds
 * an overlapping subnet) are in src/engine/desired-state.ts.
 * docs/remote-endpoints.md explains each rule and why it exists.
 */
import type { Endpoint } from '../generated/cabled/driver/v1/driver.js';
import { blockOf, containsIp, overlaps, type Block } from './ipv4.js';

/** Limits, each a setting with a documented default (docs/remote-endpoints.md). */
export interface EndpointLimits {
  /** Subnets one endpoint may claim (--endpoint-max-subnets). */
  readonly maxSubnets: number;
  /** The broadest remote subnet accepted, as a prefix length: /N or longer (--endpoint-min-prefix-length). */
  readonly minPrefixLength: number;
  /** Entries one source may hold (--endpoints-max-count). */
  readonly maxEndpoints: number;
  /** Size of the endpoints file in bytes (--endpoints-max-file-bytes). */
  readonly maxFileBytes: number;
  /** Entries in backend_config. */
  readonly maxBackendConfigEntries: number;
  /** Characters of one backend_config value. */
  readonly maxBackendConfigValue: number;
  /** Characters of hostname (a DNS name: 253). */
  readonly maxHostname: number;
  /** Characters of cluster_id, backend and backend_config keys (a DNS label: 63). */
  readonly maxName: number;
}

export const DEFAULT_ENDPOINT_LIMITS: EndpointLimits = Object.freeze({
  maxSubnets: 256,
  minPrefixLength: 8,
  maxEndpoints: 5000,
  maxFileBytes: 4 * 1024 * 1024,
  maxBackendConfigEntries: 32,
  maxBackendConfigValue: 256,
  maxHostname: 253,
  maxName: 63,
});

/** This gateway, as far as remote entries are checked against it. */
export interface LocalGateway {
  readonly clusterId: string;
  /** The local cluster's subnets (--subnets). */
  readonly subnets: readonly string[];
  /** This gateway's own addresses (private, public, health-check IP), each named. */
  readonly addresses: readonly { readonly name: string; readonly ip: string }[];
}

/** The policy a source applies to each entry. */
export interface EndpointPolicy {
  readonly limits: EndpointLimits;
  /** Without it, nothing is checked against this gateway (unit tests of parsing alone). */
  readonly local?: LocalGateway;
}

export const DEFAULT_POLICY: EndpointPolicy = Object.freeze({ limits: DEFAULT_ENDPOINT_LIMITS });

/** The policy for the gateway whose own endpoint is `local`. */
export function policyFor(local: Endpoint, limits: EndpointLimits = DEFAULT_ENDPOINT_LIMITS): EndpointPolicy {
  const addresses = [
    { name: 'private IP', ip: local.privateIp },
    { name: 'public IP', ip: local.publicIp },
    { name: 'health-check IP', ip: local.healthCheckIp },
  ].filter((a) => a.ip !== '');
  return Object.freeze({ limits, local: { clusterId: local.clusterId, subnets: local.subnets, addresses } });
}

/** Address blocks no remote gateway address or subnet may touch, with the reason. */
const RESERVED: readonly { block: Block; cidr: string; why: string }[] = [
  ['0.0.0.0/8', '"this network" (0.0.0.0/8): not a destination'],
  ['127.0.0.0/8', 'loopback (127.0.0.0/8): it never leaves this host'],
  ['169.254.0.0/16', 'link-local (169.254.0.0/16): it is not routed between gateways'],
  ['224.0.0.0/4', 'multicast (224.0.0.0/4): a gateway is one unicast host'],
  ['241.0.0.0/8', "the VXLAN overlay's VTEP range (241.0.0.0/8): the gateways' own tunnel addresses"],
  ['255.255.255.255/32', 'broadcast (255.255.255.255)'],
  ['240.0.0.0/4', 'reserved (240.0.0.0/4): not routable'],
].map(([cidr = '', why = '']) => ({ cidr, why, block: blockOf(cidr) }));

/** Why `ip` cannot be a remote gateway's address (private, public, health-check), or undefined. */
export function checkRemoteIp(ip: string, policy: EndpointPolicy): string | undefined {
  const hit = RESERVED.find((r) => containsIp(r.block, ip));
  if (hit) return `not a unicast address: ${hit.why}`;
  const local = policy.local;
  if (!local) return undefined;
  const own = local.addresses.find((a) => a.ip === ip);
  if (own) return `is this gateway's own ${own.name}; a remote gateway cannot have it`;
  const inside = local.subnets.find((s) => containsIp(blockOf(s), ip));
  if (inside)
    return `inside the local cluster's subnet ${inside}; a remote gateway's address must be outside this cluster`;
  return undefined;
}

/**
 * Why a remote subnet (a valid CIDR) cannot be routed through a cable, or
 * undefined. `gatewayIps` are the entry's own underlay addresses (private,
 * public), which must stay outside its subnets.
 */
export function checkRemoteSubnet(
  cidr: string,
  gatewayIps: readonly { name: string; ip: string }[],
  policy: EndpointPolicy,
): string | undefined {
  const block = blockOf(cidr);
  if (block.prefix === 0)
    return "a default route: every packet of this gateway, its underlay too, would go into the tunnel; list the remote cluster's own subnets";
  if (block.prefix < policy.limits.minPrefixLength)
    return `broader than /${policy.limits.minPrefixLength} (the endpoint-min-prefix-length limit); list the remote cluster's own, narrower subnets`;
  const reserved = RESERVED.find((r) => overlaps(r.block, block));
  if (reserved) return `overlaps ${reserved.why}`;
  for (const g of gatewayIps)
    if (g.ip && containsIp(block, g.ip))
      return `contains the endpoint's own ${g.name} ${g.ip}: its tunnel traffic would be routed into the tunnel`;
  const local = policy.local;
  if (!local) return undefined;
  const mine = local.subnets.find((s) => overlaps(blockOf(s), block));
  if (mine) return `overlaps the local cluster's subnet ${mine}`;
  const addr = local.addresses.find((a) => a.ip && containsIp(block, a.ip));
  if (addr) return `contains this gateway's own ${addr.name} ${addr.ip}: its traffic would be routed into the tunnel`;
  return undefined;
}

/**
 * Cluster ids as Submariner's CRD allows them (1-63 characters, upper case
 * included), restricted to what is safe in a cable name, a libreswan
 * connection name and a file name: letters, digits, '-', '_', '.', starting
 * and ending with a letter or digit.
 */
export function checkClusterId(id: string, limits: EndpointLimits): string | undefined {
  if (id.length > limits.maxName)
    return `longer than ${limits.maxName} characters (${id.length}); Submariner allows at most 63`;
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(id))
    return "not safe in a cable or libreswan connection name; use letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  return undefined;
}

/** Go's strconv.ParseBool, as Submariner reads backend_config booleans: the value, or undefined ("not set"). */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** A raw value for a message, cut to `max` characters with its length said. */
export function clip(text: string, max = 64): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 16))}… (${text.length} characters)`;
}
