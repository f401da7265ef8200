/**
 * What must hold of every endpoint cabled accepts, checked independently of
 * the code under test (plain arithmetic here, not endpoint-policy.ts), and
 * of every desired state.
 */
import { isIPv4 } from 'node:net';
import type { Endpoint } from '../../src/generated/cabled/driver/v1/driver.js';
import type { DesiredState } from '../../src/engine/desired-state.js';

const int = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
function range(cidr: string): [number, number] {
  const [ip = '', p = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(p));
  return [int(ip), int(ip) + size - 1];
}
const overlap = (a: string, b: string) => {
  const [a1, a2] = range(a);
  const [b1, b2] = range(b);
  return a1 <= b2 && b1 <= a2;
};
const inside = (cidr: string, ip: string) => {
  const [lo, hi] = range(cidr);
  return int(ip) >= lo && int(ip) <= hi;
};
const FORBIDDEN = ['0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '240.0.0.0/4'];

/** Why an accepted endpoint breaks the rules (empty: it does not). */
export function acceptedViolations(
  ep: Endpoint,
  local: { clusterId: string; privateIp: string; subnets: readonly string[] },
  limits: { maxSubnets: number; minPrefixLength: number },
): string[] {
  const out: string[] = [];
  if (ep.clusterId === local.clusterId) out.push('the local cluster was accepted as a remote');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(ep.clusterId)) out.push(`cluster id ${ep.clusterId.slice(0, 80)}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/.test(ep.cableName)) out.push('cable name unsafe for libreswan');
  if (ep.hostname.length > 253) out.push('hostname too long');
  for (const [field, ip] of [
    ['privateIp', ep.privateIp],
    ['publicIp', ep.publicIp],
    ['healthCheckIp', ep.healthCheckIp],
  ] as const) {
    if (ip === '' && field !== 'privateIp') continue;
    if (!isIPv4(ip)) out.push(`${field} not IPv4`);
    else if (FORBIDDEN.some((c) => inside(c, ip))) out.push(`${field} ${ip} not unicast`);
    else if (ip === local.privateIp) out.push(`${field} is the local gateway's`);
    else if (local.subnets.some((s) => inside(s, ip))) out.push(`${field} inside the local cluster`);
  }
  if (ep.subnets.length > limits.maxSubnets) out.push(`${ep.subnets.length} subnets`);
  for (const s of ep.subnets) {
    const prefix = Number(s.split('/')[1]);
    if (prefix < limits.minPrefixLength) out.push(`${s} broader than /${limits.minPrefixLength}`);
    if (FORBIDDEN.some((c) => overlap(c, s))) out.push(`${s} overlaps a reserved block`);
    if (local.subnets.some((l) => overlap(l, s))) out.push(`${s} overlaps the local cluster`);
    for (const ip of [local.privateIp, ep.privateIp, ep.publicIp])
      if (ip && inside(s, ip)) out.push(`${s} holds ${ip}`);
  }
  for (const [k, v] of Object.entries(ep.backendConfig)) {
    if (k.length > 63 || v.length > 256) out.push(`backend_config ${k.slice(0, 70)} too long`);
    if (k === 'udp-port' && !/^\d+$/.test(v)) out.push('a malformed udp-port was kept');
    if (k === 'preferred-server' && v !== 'true' && v !== 'false') out.push('preferred-server not normalised');
  }
  return out;
}

/** Why a desired state would let two cables fight over address space (empty: it would not). */
export function desiredViolations(state: DesiredState): string[] {
  const out: string[] = [];
  const cables = [...state.cables.values()].map((c) => c.remote.endpoint as Endpoint);
  for (const [i, a] of cables.entries()) {
    for (const b of cables.slice(i + 1)) {
      for (const sa of a.subnets)
        for (const sb of b.subnets)
          if (overlap(sa, sb)) out.push(`${a.clusterId} ${sa} and ${b.clusterId} ${sb} overlap`);
      const ipsA = [a.privateIp, a.publicIp].filter(Boolean);
      const ipsB = [b.privateIp, b.publicIp].filter(Boolean);
      if (ipsA.some((ip) => ipsB.includes(ip))) out.push(`${a.clusterId} and ${b.clusterId} share a gateway address`);
      for (const s of a.subnets) for (const ip of ipsB) if (inside(s, ip)) out.push(`${a.clusterId} ${s} holds ${ip}`);
      for (const s of b.subnets) for (const ip of ipsA) if (inside(s, ip)) out.push(`${b.clusterId} ${s} holds ${ip}`);
    }
  }
  return out;
}
