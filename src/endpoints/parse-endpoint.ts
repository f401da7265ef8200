/**
 * Parses one remote endpoint in Submariner's shape: either an EndpointSpec
 * with its JSON names (cluster_id, cable_name, hostname, subnets, private_ip,
 * public_ip, nat_enabled, backend, backend_config, healthCheckIP) or a whole
 * Endpoint resource (apiVersion submariner.io/v1, kind Endpoint, metadata,
 * spec). Every field is checked against the endpoint policy
 * (endpoint-policy.ts): limits, address classes, subnets this gateway can
 * route. Every problem is collected; the EndpointError names the entry, and
 * each issue the field, the value (cut short) and the reason. What Submariner
 * only warns about (a malformed port, a backend_config boolean it cannot
 * read) is a warning here too, and the value is left out.
 */
import type { Endpoint } from '../generated/cabled/driver/v1/driver.js';
import { ConfigError, type ConfigIssue } from '../lib/errors.js';
import { coerceBool, coerceList, coercePort, showValue } from '../config/coerce.js';
import { parseRfc3339 } from './created-at.js';
import {
  checkClusterId,
  checkRemoteIp,
  checkRemoteSubnet,
  clip,
  DEFAULT_POLICY,
  parseGoBool,
  type EndpointPolicy,
} from './endpoint-policy.js';
import { checkIPv4, checkIPv4Cidr } from './ipv4.js';
import { cableName } from './naming.js';

/** A valid endpoint, the creation time it carried if any (ms since the epoch), and warnings. */
export interface ParsedEndpoint {
  readonly spec: Endpoint;
  readonly createdAt?: number;
  /** What was left out or changed, as Submariner does (e.g. a malformed port), each naming the field. */
  readonly warnings: readonly string[];
}

/** Issues listed in one error; the rest are counted. */
const MAX_ISSUES = 10;

/** An entry that is not a valid endpoint; `where` names it, with its cluster ID when known. */
export class EndpointError extends ConfigError {
  readonly where: string;
  constructor(where: string, issues: readonly ConfigIssue[]) {
    const shown =
      issues.length > MAX_ISSUES
        ? [
            ...issues.slice(0, MAX_ISSUES),
            { key: '(more)', value: '', reason: `and ${issues.length - MAX_ISSUES} more problems` },
          ]
        : issues;
    super(where, shown);
    this.where = where;
  }
}

/** backend_config keys that hold ports (Submariner's udp-port and natt-discovery-port). */
const PORT_KEYS = ['udp-port', 'natt-discovery-port'];
/** backend_config keys Submariner reads as booleans (GetBackendBool). */
const BOOL_KEYS = ['preferred-server'];
const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/**
 * `host` as a host name every engine's parser accepts (the rule above, at most
 * 253 characters): itself when it already is one; else with each run of other
 * characters made '-' and the ends trimmed; `fallback` when nothing is left.
 * A gateway publishes its own Endpoint with it: a machine named "(none)" (a
 * bare VM) or "gw_1!" must not publish an Endpoint every remote rejects.
 */
export function publishableHostname(host: string, fallback: string): string {
  if (host.length <= 253 && NAME.test(host)) return host;
  const cleaned = host
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, 253)
    .replace(/[^A-Za-z0-9]+$/, '');
  return cleaned || fallback;
}
const CONFIG_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** Names people write instead of the JSON names. */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  cluster_id: ['clusterID', 'clusterId', 'ClusterID'],
  private_ip: ['privateIP', 'privateIp', 'PrivateIP'],
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown): string => clip(typeof v === 'string' ? v : showValue(v));

/** Reads the spec fields; `p` prefixes field names in messages ("spec." for a resource). */
function parseSpec(
  s: Obj,
  p: string,
  policy: EndpointPolicy,
  issues: ConfigIssue[],
  warnings: string[],
): Endpoint | undefined {
  const { limits } = policy;
  const add = (field: string, value: unknown, reason: string): void => {
    issues.push({ key: p + field, value: shown(value), reason });
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
    if (v === '' && (s[field] === undefined || s[field] === null)) {
      const alias = ALIASES[field]?.find((a) => a in s);
      add(
        field,
        '',
        alias ? `missing; "${alias}" is not a field, write ${field} (Submariner's JSON name)` : `missing; set ${field}`,
      );
    } else if (v === '' && typeof s[field] === 'string') add(field, '', `empty; set ${field}`);
    return v;
  };
  /** An IPv4 address a remote gateway may have; '' when bad or absent. */
  const ip = (field: string, value: string, optional: boolean): string => {
    if (value === '' && optional) return '';
    const reason = value === '' ? undefined : (checkIPv4(value) ?? checkRemoteIp(value, policy));
    if (reason) add(field, value, reason);
    return reason ? '' : value;
  };
  const name = (field: string, value: string, max: number, what: string): void => {
    if (value.length > max) add(field, value, `longer than ${max} characters (${value.length})`);
    else if (value && !NAME.test(value))
      add(
        field,
        value,
        `not ${what}; use letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
      );
  };

  const clusterId = required('cluster_id');
  const idReason = clusterId ? checkClusterId(clusterId, limits) : undefined;
  if (idReason) add('cluster_id', clusterId, idReason);
  const privateIp = required('private_ip');
  const goodPrivate = ip('private_ip', privateIp, false);
  const publicIp = str('public_ip');
  const goodPublic = ip('public_ip', publicIp, true);

  let healthCheckIp = str('healthCheckIP');
  const snake = str('health_check_ip');
  if (healthCheckIp && snake && healthCheckIp !== snake)
    add('health_check_ip', snake, `differs from healthCheckIP "${clip(healthCheckIp)}"; keep one of them`);
  healthCheckIp ||= snake;
  ip(s.healthCheckIP !== undefined ? 'healthCheckIP' : 'health_check_ip', healthCheckIp, true);

  const hostname = str('hostname');
  name('hostname', hostname, limits.maxHostname, 'a host name');
  const backend = str('backend');
  name('backend', backend, limits.maxName, 'a backend name');

  const subnets = new Set<string>();
  if (s.subnets !== undefined && s.subnets !== null) {
    const count = Array.isArray(s.subnets) ? s.subnets.length : undefined;
    const list = count !== undefined && count > limits.maxSubnets ? undefined : coerceList(s.subnets);
    if (!list || (list.ok && list.value.length > limits.maxSubnets))
      add(
        'subnets',
        `${count ?? (list?.ok ? list.value.length : 0)} subnets`,
        `more than ${limits.maxSubnets} subnets (the endpoint-max-subnets limit); summarise them into fewer, broader CIDRs`,
      );
    else if (!list.ok) add('subnets', s.subnets, list.reason);
    else {
      const underlay = [
        { name: 'private_ip', ip: goodPrivate },
        { name: 'public_ip', ip: goodPublic },
      ];
      for (const cidr of list.value) {
        if (goodPrivate && cidr === `${goodPrivate}/32`) {
          // Submariner's extractSubnets drops the gateway's own /32, which old Endpoints list.
          warnings.push(`${p}subnets: ${cidr} is the endpoint's own private_ip; left out, as Submariner does`);
          continue;
        }
        const reason = checkIPv4Cidr(cidr) ?? checkRemoteSubnet(cidr, underlay, policy);
        if (reason) add('subnets', cidr, reason);
        else subnets.add(cidr);
      }
    }
  }

  let natEnabled = false;
  if (s.nat_enabled !== undefined && s.nat_enabled !== null) {
    const b = coerceBool(s.nat_enabled);
    if (b.ok) natEnabled = b.value;
    else add('nat_enabled', s.nat_enabled, b.reason);
  }

  const backendConfig = parseBackendConfig(s.backend_config, p, policy, add, warnings);

  const computed = cableName(clusterId, privateIp);
  const given = str('cable_name');
  if (given && clusterId && privateIp && given !== computed)
    add('cable_name', given, `does not match cluster_id and private_ip; use ${clip(computed, 128)} or leave it out`);

  if (issues.length) return undefined;
  return {
    clusterId,
    cableName: computed,
    hostname,
    subnets: [...subnets],
    privateIp,
    publicIp,
    natEnabled,
    backend,
    backendConfig,
    healthCheckIp,
  };
}

/** backend_config: string values (numbers and booleans converted), bounded; ports and booleans as Submariner reads them. */
function parseBackendConfig(
  bc: unknown,
  p: string,
  policy: EndpointPolicy,
  add: (field: string, value: unknown, reason: string) => void,
  warnings: string[],
): Record<string, string> {
  const { limits } = policy;
  const out: Record<string, string> = {};
  if (bc === undefined || bc === null) return out;
  if (!isObj(bc)) {
    add('backend_config', bc, 'not a map; write key: "value" pairs');
    return out;
  }
  const entries = Object.entries(bc);
  if (entries.length > limits.maxBackendConfigEntries) {
    add(
      'backend_config',
      `${entries.length} entries`,
      `more than ${limits.maxBackendConfigEntries} entries (the backend_config limit)`,
    );
    return out;
  }
  for (const [k, v] of entries) {
    const field = `backend_config.${clip(k)}`;
    if (k.length > limits.maxName || !CONFIG_KEY.test(k)) {
      add(
        'backend_config',
        k,
        k.length > limits.maxName
          ? `a key longer than ${limits.maxName} characters (${k.length})`
          : "a key that is not a name; use letters, digits, '-', '_', '.' and '/'",
      );
      continue;
    }
    let text: string;
    if (typeof v === 'string') text = v;
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') text = String(v);
    else {
      add(field, v, 'not a string; quote the value');
      continue;
    }
    if (text.length > limits.maxBackendConfigValue) {
      add(field, text, `longer than ${limits.maxBackendConfigValue} characters (${text.length})`);
      continue;
    }
    if (CONTROL.test(text)) {
      add(field, text, 'holds control characters; write printable text');
      continue;
    }
    if (PORT_KEYS.includes(k)) {
      const port = coercePort(text);
      if (!port.ok) {
        warnings.push(
          `${p}${field}="${clip(text)}": ${port.reason}; left out, so the default port applies (as Submariner)`,
        );
        continue;
      }
    }
    if (BOOL_KEYS.includes(k)) {
      const b = parseGoBool(text);
      if (b === undefined) {
        warnings.push(
          `${p}${field}="${clip(text)}": not a boolean as Go's strconv.ParseBool reads it (true, false, 1, 0, t, f, ...); treated as not set, as Submariner does`,
        );
        continue;
      }
      text = String(b);
    }
    out[k] = text;
  }
  return out;
}

/** A creation time field, or an issue if it is not RFC 3339. */
function createdAtOf(value: unknown, field: string, issues: ConfigIssue[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' && value.length <= 64 ? parseRfc3339(value) : undefined;
  if (ms === undefined)
    issues.push({
      key: field,
      value: shown(value),
      reason: 'not an RFC 3339 time; write e.g. 2026-11-22T10:00:00Z',
    });
  return ms;
}

/** The entry's name in errors, with its cluster ID when that is a short string. */
function named(where: string, cluster: unknown): string {
  return typeof cluster === 'string' && cluster.trim() ? `${where} (cluster_id "${clip(cluster.trim())}")` : where;
}

/**
 * Parses one entry. `where` names it in errors (e.g. "/etc/cabled/endpoints.yaml[2]");
 * the cluster ID is added when known. Throws EndpointError (a ConfigError) listing every problem.
 * @param policy limits and this gateway's addresses and subnets. @default DEFAULT_POLICY (no local checks)
 */
export function parseEndpoint(raw: unknown, where: string, policy: EndpointPolicy = DEFAULT_POLICY): ParsedEndpoint {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const fail = (cluster?: unknown): never => {
    throw new EndpointError(named(where, cluster), issues);
  };
  if (!isObj(raw)) {
    issues.push({
      key: '(entry)',
      value: shown(raw),
      reason: 'not a map; write an EndpointSpec or an Endpoint resource',
    });
    return fail();
  }
  const resource = raw.kind !== undefined || isObj(raw.spec);
  if (!resource) {
    const spec = parseSpec(raw, '', policy, issues, warnings);
    const createdAt = createdAtOf(raw.creationTimestamp, 'creationTimestamp', issues);
    return spec && !issues.length ? { spec, createdAt, warnings } : fail(raw.cluster_id);
  }
  if (raw.kind !== 'Endpoint')
    issues.push({ key: 'kind', value: shown(raw.kind), reason: 'not an Endpoint; use kind: Endpoint' });
  if (raw.apiVersion !== 'submariner.io/v1')
    issues.push({ key: 'apiVersion', value: shown(raw.apiVersion), reason: 'use apiVersion: submariner.io/v1' });
  const meta = isObj(raw.metadata) ? raw.metadata : {};
  if (!isObj(raw.spec)) {
    issues.push({ key: 'spec', value: shown(raw.spec), reason: 'missing; put the EndpointSpec fields under spec' });
    return fail();
  }
  const spec = parseSpec(raw.spec, 'spec.', policy, issues, warnings);
  const createdAt =
    createdAtOf(meta.creationTimestamp, 'metadata.creationTimestamp', issues) ??
    createdAtOf(raw.creationTimestamp, 'creationTimestamp', issues);
  return spec && !issues.length ? { spec, createdAt, warnings } : fail(raw.spec.cluster_id);
}
