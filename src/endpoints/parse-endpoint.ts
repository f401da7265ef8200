/**
 * Parses one remote endpoint in Submariner's shape: either an EndpointSpec
 * with its JSON names (cluster_id, cable_name, hostname, subnets, private_ip,
 * public_ip, nat_enabled, backend, backend_config, healthCheckIP) or a whole
 * Endpoint resource (apiVersion submariner.io/v1, kind Endpoint, metadata,
 * spec). Every problem is collected; the EndpointError names the entry, and
 * each issue the field, the value and the reason.
 */
import type { Endpoint } from '../generated/cabled/driver/v1/driver.js';
import { ConfigError, type ConfigIssue } from '../lib/errors.js';
import { coerceBool, coerceList, coercePort, showValue } from '../config/coerce.js';
import { parseRfc3339 } from './created-at.js';
import { checkIPv4, checkIPv4Cidr } from './ipv4.js';
import { cableName } from './naming.js';

/** A valid endpoint and the creation time it carried, if any (ms since the epoch). */
export interface ParsedEndpoint {
  readonly spec: Endpoint;
  readonly createdAt?: number;
}

/** An entry that is not a valid endpoint; `where` names it, with its cluster ID when known. */
export class EndpointError extends ConfigError {
  readonly where: string;
  constructor(where: string, issues: readonly ConfigIssue[]) {
    super(where, issues);
    this.where = where;
  }
}

/** backend_config keys that hold ports (Submariner's udp-port and natt-discovery-port). */
const PORT_KEYS = ['udp-port', 'natt-discovery-port'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Names people write instead of the JSON names. */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  cluster_id: ['clusterID', 'clusterId', 'ClusterID'],
  private_ip: ['privateIP', 'privateIp', 'PrivateIP'],
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the spec fields; `p` prefixes field names in messages ("spec." for a resource). */
function parseSpec(s: Obj, p: string, issues: ConfigIssue[]): Endpoint | undefined {
  const add = (field: string, value: unknown, reason: string): void => {
    issues.push({ key: p + field, value: showValue(value), reason });
  };
  const str = (field: string): string => {
    const v = s[field];
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return v.trim();
    add(field, v, 'not a string; quote it');
    return '';
  };
  const required = (field: string): string => {
    const v = str(field);
    if (v === '' && s[field] === undefined) {
      const alias = ALIASES[field]?.find((a) => a in s);
      add(
        field,
        '',
        alias ? `missing; "${alias}" is not a field, write ${field} (Submariner's JSON name)` : `missing; set ${field}`,
      );
    }
    return v;
  };
  const ip = (field: string, value: string, optional: boolean): void => {
    if (value === '' && optional) return;
    const reason = value === '' ? undefined : checkIPv4(value);
    if (reason) add(field, value, reason);
  };

  const clusterId = required('cluster_id');
  if (clusterId && (clusterId.length > 63 || !DNS_LABEL.test(clusterId))) {
    add(
      'cluster_id',
      clusterId,
      clusterId.length > 63
        ? `longer than 63 characters (${clusterId.length}); use a shorter cluster ID`
        : "not a DNS label; use lowercase letters, digits and '-', starting and ending with a letter or digit",
    );
  }
  const privateIp = required('private_ip');
  ip('private_ip', privateIp, false);
  const publicIp = str('public_ip');
  ip('public_ip', publicIp, true);

  let healthCheckIp = str('healthCheckIP');
  const snake = str('health_check_ip');
  if (healthCheckIp && snake && healthCheckIp !== snake)
    add('health_check_ip', snake, `differs from healthCheckIP "${healthCheckIp}"; keep one of them`);
  healthCheckIp ||= snake;
  ip(s.healthCheckIP !== undefined ? 'healthCheckIP' : 'health_check_ip', healthCheckIp, true);

  const subnets: string[] = [];
  if (s.subnets !== undefined && s.subnets !== null) {
    const list = coerceList(s.subnets);
    if (!list.ok) add('subnets', s.subnets, list.reason);
    else
      for (const cidr of list.value) {
        const reason = checkIPv4Cidr(cidr);
        if (reason) add('subnets', cidr, reason);
        else subnets.push(cidr);
      }
  }

  let natEnabled = false;
  if (s.nat_enabled !== undefined && s.nat_enabled !== null) {
    const b = coerceBool(s.nat_enabled);
    if (b.ok) natEnabled = b.value;
    else add('nat_enabled', s.nat_enabled, b.reason);
  }

  const backendConfig: Record<string, string> = {};
  const bc = s.backend_config;
  if (bc !== undefined && bc !== null && !isObj(bc)) add('backend_config', bc, 'not a map; write key: "value" pairs');
  for (const [k, v] of Object.entries(isObj(bc) ? bc : {})) {
    if (typeof v === 'string') backendConfig[k] = v;
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') backendConfig[k] = String(v);
    else {
      add(`backend_config.${k}`, v, 'not a string; quote the value');
      continue;
    }
    if (PORT_KEYS.includes(k)) {
      const port = coercePort(backendConfig[k]);
      if (!port.ok) add(`backend_config.${k}`, v, port.reason);
    }
  }

  const computed = cableName(clusterId, privateIp);
  const given = str('cable_name');
  if (given && clusterId && privateIp && given !== computed)
    add('cable_name', given, `does not match cluster_id and private_ip; use ${computed} or leave it out`);

  if (issues.length) return undefined;
  return {
    clusterId,
    cableName: computed,
    hostname: str('hostname'),
    subnets,
    privateIp,
    publicIp,
    natEnabled,
    backend: str('backend'),
    backendConfig,
    healthCheckIp,
  };
}

/** A creation time field, or an issue if it is not RFC 3339. */
function createdAtOf(value: unknown, field: string, issues: ConfigIssue[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' ? parseRfc3339(value) : undefined;
  if (ms === undefined)
    issues.push({
      key: field,
      value: showValue(value),
      reason: 'not an RFC 3339 time; write e.g. 2026-11-22T10:00:00Z',
    });
  return ms;
}

/**
 * Parses one entry. `where` names it in errors (e.g. "/etc/cabled/endpoints.yaml[2]");
 * the cluster ID is added when known. Throws EndpointError (a ConfigError) listing every problem.
 */
export function parseEndpoint(raw: unknown, where: string): ParsedEndpoint {
  const issues: ConfigIssue[] = [];
  const fail = (cluster?: unknown): never => {
    throw new EndpointError(
      typeof cluster === 'string' && cluster ? `${where} (cluster_id "${cluster}")` : where,
      issues,
    );
  };
  if (!isObj(raw)) {
    issues.push({
      key: '(entry)',
      value: showValue(raw),
      reason: 'not a map; write an EndpointSpec or an Endpoint resource',
    });
    return fail();
  }
  const resource = raw.kind !== undefined || isObj(raw.spec);
  if (!resource) {
    const spec = parseSpec(raw, '', issues);
    const createdAt = createdAtOf(raw.creationTimestamp, 'creationTimestamp', issues);
    return spec && !issues.length ? { spec, createdAt } : fail(raw.cluster_id);
  }
  if (raw.kind !== 'Endpoint')
    issues.push({ key: 'kind', value: showValue(raw.kind), reason: 'not an Endpoint; use kind: Endpoint' });
  if (raw.apiVersion !== 'submariner.io/v1')
    issues.push({ key: 'apiVersion', value: showValue(raw.apiVersion), reason: 'use apiVersion: submariner.io/v1' });
  const meta = isObj(raw.metadata) ? raw.metadata : {};
  if (!isObj(raw.spec)) {
    issues.push({ key: 'spec', value: showValue(raw.spec), reason: 'missing; put the EndpointSpec fields under spec' });
    return fail();
  }
  const spec = parseSpec(raw.spec, 'spec.', issues);
  const createdAt =
    createdAtOf(meta.creationTimestamp, 'metadata.creationTimestamp', issues) ??
    createdAtOf(raw.creationTimestamp, 'creationTimestamp', issues);
  return spec && !issues.length ? { spec, createdAt } : fail(raw.spec.cluster_id);
}
