/**
 * The engine's own settings (not the driver's ceIPSec* config): who this
 * gateway is, where its inputs are, where it serves. Flags win over CABLED_*
 * environment variables, which win over Submariner's SUBMARINER_* ones.
 * Every bad value is reported with the flag, the value and the reason.
 */
import { parseArgs } from 'node:util';
import { isIPv4 } from 'node:net';
import { ConfigError, type ConfigIssue } from '../lib/errors.js';
import { configKeysUsage } from '../config/usage.js';
import { DEFAULT_DRIVER, driversUsage, knownDrivers } from './driver-registry.js';
import {
  HEALTH_CHECK_OPTIONS,
  HEALTH_CHECK_USAGE,
  parseHealthCheckSettings,
  type HealthCheckSettings,
} from '../healthcheck/settings.js';
import { METRICS_OPTIONS, METRICS_USAGE, parseMetricsListen } from '../metrics/settings.js';
import { ENDPOINT_SOURCE_KINDS, type EndpointSourceKind } from '../endpoints/source-kinds.js';
import { DEFAULT_ENDPOINT_LIMITS, type EndpointLimits } from '../endpoints/endpoint-policy.js';
import { HA_OPTIONS, HA_USAGE, parseHaSettings, type HaSettings } from '../ha/settings.js';
import { TLS_OPTIONS, TLS_USAGE, parseTlsSettings, type ApiTlsSettings } from './api/tls-settings.js';

export interface EngineSettings {
  clusterId: string;
  /** Autodetected from the default route when empty. */
  privateIp: string;
  publicIp: string;
  subnets: string[];
  natEnabled: boolean;
  driver: string;
  /** Connect to a driver socket that something else started, instead of starting the driver. */
  driverSocket: string;
  backendConfig: Record<string, string>;
  healthCheckIp: string;
  /** ConfigMap directory or file with ceCustomConfig. Empty: defaults + environment. */
  configPath: string;
  /** Endpoints file (YAML or JSON). */
  endpointsPath: string;
  /** Where remote endpoints come from. @default 'file' */
  endpointsSource: EndpointSourceKind;
  /** Namespace of the Submariner Endpoint resources; "" = every namespace. @default 'submariner-operator' */
  endpointsNamespace: string;
  /** kubeconfig file; empty: in-cluster, then $KUBECONFIG. */
  kubeconfig: string;
  runDir: string;
  /** Engine API listen addresses (unix:///path or host:port). */
  listen: string[];
  /** A TCP address serving only grpc.health.v1 (for kubelet probes). Empty: none. */
  healthListen: string;
  /** Mutual TLS of the TCP `listen` addresses; undefined when there are none. */
  apiTls: ApiTlsSettings | undefined;
  resyncIntervalMs: number;
  statusIntervalMs: number;
  /** The endpoints file counts once two reads this far apart agree. */
  endpointsSettleMs: number;
  /** A file change removing more than half of the endpoints waits until unchanged this long (0: off). */
  endpointsRemovalHoldMs: number;
  cleanupOnExit: boolean;
  /** host:port serving Prometheus metrics at /metrics. Empty: off. */
  metricsListen: string;
  healthCheck: HealthCheckSettings;
  /** Leader election and publication (src/ha). */
  ha: HaSettings;
  /** Limits on what remote endpoints may hold (docs/remote-endpoints.md). */
  endpointLimits: EndpointLimits;
}

export const USAGE = `Usage: cabled [run|cleanup|labeler|version] [flags]

  run       run the gateway (default)
  cleanup   start the driver, remove everything it made, and exit (needs no --cluster-id or --endpoints)
  labeler   label this node when a NIC offloads ESP ("cabled labeler --help")
  version   print the version

Flags (environment variable in brackets):
  --cluster-id ID         this cluster's id [CABLED_CLUSTER_ID, SUBMARINER_CLUSTERID] (required)
  --private-ip IP         this gateway's private IP [CABLED_PRIVATE_IP] (default: source of the default route)
  --public-ip IP          this gateway's public IP [CABLED_PUBLIC_IP]
  --subnets CIDR,...      subnets behind this gateway [CABLED_SUBNETS, SUBMARINER_CLUSTERCIDR + SUBMARINER_SERVICECIDR]
  --nat-enabled           NAT is in the way [CABLED_NAT_ENABLED, SUBMARINER_NATENABLED]
  --driver NAME           cable driver: ${knownDrivers().join(' | ')} [CABLED_DRIVER, SUBMARINER_CABLEDRIVER] (default ${DEFAULT_DRIVER})
  --driver-socket PATH    use a driver already serving on PATH (sidecar) [CABLED_DRIVER_SOCKET_PATH]
  --backend-config K=V    local endpoint backend config, repeatable (e.g. udp-port=4500)
  --health-check-ip IP    address remote gateways probe [CABLED_HEALTH_CHECK_IP]
  --config PATH           ConfigMap directory or file holding ceCustomConfig [CABLED_CONFIG]
  --endpoints PATH        remote endpoints file, YAML or JSON [CABLED_ENDPOINTS] (required with source file or both)
  --endpoints-source S    file | kubernetes | both [CABLED_ENDPOINTS_SOURCE] (default file)
  --endpoints-namespace NS  namespace of Submariner Endpoint resources, "*" for all [CABLED_ENDPOINTS_NAMESPACE] (default submariner-operator)
  --kubeconfig PATH       kubeconfig file [CABLED_KUBECONFIG] (default: in-cluster service account, then KUBECONFIG)
  --run-dir DIR           sockets and driver state [CABLED_RUN_DIR] (default /run/cabled)
  --listen ADDR           API address, repeatable [CABLED_LISTEN] (default unix://<run-dir>/engine.sock)
                          a TCP address needs --tls-cert, --tls-key and --tls-client-ca (mutual TLS)
  --health-listen ADDR    TCP address for grpc.health.v1 only, plaintext [CABLED_HEALTH_LISTEN]
  --endpoints-settle SEC  the endpoints file counts once two reads SEC apart agree (default 0.5)
  --endpoints-removal-hold SEC  a file change removing more than half of 10+ endpoints waits until the
                          file stayed unchanged SEC (default 15; 0: off)
  --resync-interval SEC   full reconcile period (default 30)
  --status-interval SEC   connection status refresh period while status changes (default 2); while
                          nothing changes it backs off, doubling, to 15x that (at most 30 s)
  --cleanup-on-exit       remove the datapath when stopping (default: leave it, so a restart loses nothing)
  --endpoint-max-subnets N          subnets one remote endpoint may claim [CABLED_ENDPOINT_MAX_SUBNETS] (default ${DEFAULT_ENDPOINT_LIMITS.maxSubnets})
  --endpoint-min-prefix-length N    broadest remote subnet accepted, /N [CABLED_ENDPOINT_MIN_PREFIX_LENGTH] (default ${DEFAULT_ENDPOINT_LIMITS.minPrefixLength})
  --endpoints-max-count N           entries one endpoint source may hold [CABLED_ENDPOINTS_MAX_COUNT] (default ${DEFAULT_ENDPOINT_LIMITS.maxEndpoints})
  --endpoints-max-file-bytes N      size of the endpoints file [CABLED_ENDPOINTS_MAX_FILE_BYTES] (default ${DEFAULT_ENDPOINT_LIMITS.maxFileBytes})
${TLS_USAGE}${METRICS_USAGE}${HEALTH_CHECK_USAGE}
${HA_USAGE}
Cable drivers (--driver):
${driversUsage()}
Driver configuration keys, in the --config file or the ConfigMap key ceCustomConfig (environment in brackets;
defaults < environment < ConfigMap):
${configKeysUsage()}
Fixed (not configurable): VXLAN device vxlan-tunnel, VNI 1000, VTEP 241.x.y.z/8 from the private IP, remote
subnets routed in table 100 (rule priority 100). The VXLAN device's MTU is the MTU of the device holding the
private IP (else of the default route's device) minus 50, and in transport mode minus the ESP overhead too.
`;

export function parseEngineArgs(argv: string[], env: NodeJS.ProcessEnv): { command: string; settings: EngineSettings } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'cluster-id': { type: 'string' },
      'private-ip': { type: 'string' },
      'public-ip': { type: 'string' },
      subnets: { type: 'string' },
      'nat-enabled': { type: 'boolean' },
      driver: { type: 'string' },
      'driver-socket': { type: 'string' },
      'backend-config': { type: 'string', multiple: true },
      'health-check-ip': { type: 'string' },
      config: { type: 'string' },
      endpoints: { type: 'string' },
      'endpoints-source': { type: 'string' },
      'endpoints-namespace': { type: 'string' },
      kubeconfig: { type: 'string' },
      'run-dir': { type: 'string' },
      listen: { type: 'string', multiple: true },
      'health-listen': { type: 'string' },
      'resync-interval': { type: 'string' },
      'endpoints-settle': { type: 'string' },
      'endpoints-removal-hold': { type: 'string' },
      'status-interval': { type: 'string' },
      'cleanup-on-exit': { type: 'boolean' },
      'endpoint-max-subnets': { type: 'string' },
      'endpoint-min-prefix-length': { type: 'string' },
      'endpoints-max-count': { type: 'string' },
      'endpoints-max-file-bytes': { type: 'string' },
      ...TLS_OPTIONS,
      ...METRICS_OPTIONS,
      ...HEALTH_CHECK_OPTIONS,
      ...HA_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = values.help ? 'help' : (positionals[0] ?? 'run');
  const issues: ConfigIssue[] = [];
  const pick = (...xs: (string | undefined)[]): string => xs.find((x) => x !== undefined && x !== '') ?? '';

  const runDir = pick(values['run-dir'], env.CABLED_RUN_DIR, '/run/cabled');
  const subnetsText = pick(
    values.subnets,
    env.CABLED_SUBNETS,
    [env.SUBMARINER_CLUSTERCIDR, env.SUBMARINER_SERVICECIDR].filter(Boolean).join(','),
  );
  const listen = values.listen?.length
    ? values.listen
    : env.CABLED_LISTEN
      ? env.CABLED_LISTEN.split(',')
      : [`unix://${runDir}/engine.sock`];
  const tlsIssues: ConfigIssue[] = [];
  const settings: EngineSettings = {
    clusterId: pick(values['cluster-id'], env.CABLED_CLUSTER_ID, env.SUBMARINER_CLUSTERID),
    privateIp: pick(values['private-ip'], env.CABLED_PRIVATE_IP),
    publicIp: pick(values['public-ip'], env.CABLED_PUBLIC_IP),
    subnets: subnetsText
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    natEnabled: values['nat-enabled'] ?? truthy(pick(env.CABLED_NAT_ENABLED, env.SUBMARINER_NATENABLED)),
    driver: pick(values.driver, env.CABLED_DRIVER, env.SUBMARINER_CABLEDRIVER, DEFAULT_DRIVER).toLowerCase(),
    driverSocket: pick(values['driver-socket'], env.CABLED_DRIVER_SOCKET_PATH),
    backendConfig: parseKeyValues(values['backend-config'] ?? [], issues),
    healthCheckIp: pick(values['health-check-ip'], env.CABLED_HEALTH_CHECK_IP),
    configPath: pick(values.config, env.CABLED_CONFIG),
    endpointsPath: pick(values.endpoints, env.CABLED_ENDPOINTS),
    endpointsSource: endpointSource(pick(values['endpoints-source'], env.CABLED_ENDPOINTS_SOURCE, 'file'), issues),
    endpointsNamespace: namespaceOf(
      pick(values['endpoints-namespace'], env.CABLED_ENDPOINTS_NAMESPACE, 'submariner-operator'),
      issues,
    ),
    kubeconfig: pick(values.kubeconfig, env.CABLED_KUBECONFIG),
    runDir,
    listen,
    healthListen: pick(values['health-listen'], env.CABLED_HEALTH_LISTEN),
    apiTls: parseTlsSettings(values, env, listen, tlsIssues),
    resyncIntervalMs: seconds('--resync-interval', pick(values['resync-interval'], '30'), issues),
    statusIntervalMs: seconds('--status-interval', pick(values['status-interval'], '2'), issues),
    endpointsSettleMs: seconds('--endpoints-settle', pick(values['endpoints-settle'], '0.5'), issues, true),
    endpointsRemovalHoldMs: seconds(
      '--endpoints-removal-hold',
      pick(values['endpoints-removal-hold'], '15'),
      issues,
      true,
    ),
    cleanupOnExit: values['cleanup-on-exit'] ?? false,
    metricsListen: parseMetricsListen(values['metrics-listen'], env, issues),
    healthCheck: parseHealthCheckSettings(values, env, issues),
    ha: parseHaSettings(values, env, issues),
    endpointLimits: {
      ...DEFAULT_ENDPOINT_LIMITS,
      maxSubnets: limit(
        '--endpoint-max-subnets',
        pick(values['endpoint-max-subnets'], env.CABLED_ENDPOINT_MAX_SUBNETS),
        DEFAULT_ENDPOINT_LIMITS.maxSubnets,
        1,
        100000,
        issues,
      ),
      minPrefixLength: limit(
        '--endpoint-min-prefix-length',
        pick(values['endpoint-min-prefix-length'], env.CABLED_ENDPOINT_MIN_PREFIX_LENGTH),
        DEFAULT_ENDPOINT_LIMITS.minPrefixLength,
        1,
        32,
        issues,
      ),
      maxEndpoints: limit(
        '--endpoints-max-count',
        pick(values['endpoints-max-count'], env.CABLED_ENDPOINTS_MAX_COUNT),
        DEFAULT_ENDPOINT_LIMITS.maxEndpoints,
        1,
        1000000,
        issues,
      ),
      maxFileBytes: limit(
        '--endpoints-max-file-bytes',
        pick(values['endpoints-max-file-bytes'], env.CABLED_ENDPOINTS_MAX_FILE_BYTES),
        DEFAULT_ENDPOINT_LIMITS.maxFileBytes,
        1024,
        1024 ** 3,
        issues,
      ),
    },
  };
  if (command === 'run' || command === 'cleanup') validate(settings, issues, command);
  if (command === 'run') issues.push(...tlsIssues);
  if (issues.length) throw new ConfigError('command-line flags and environment', issues);
  return { command, settings };
}

/** `cleanup` removes what the driver made: it needs no cluster id and no endpoints. */
function validate(s: EngineSettings, issues: ConfigIssue[], command: 'run' | 'cleanup'): void {
  if (!s.clusterId && command === 'run')
    issues.push({ key: '--cluster-id', value: '', reason: 'required: name this cluster (e.g. --cluster-id cluster1)' });
  else if (s.clusterId && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(s.clusterId)) {
    issues.push({
      key: '--cluster-id',
      value: s.clusterId,
      reason: 'must be a DNS label: lower-case letters, digits and "-", at most 63',
    });
  }
  for (const [key, ip] of [
    ['--private-ip', s.privateIp],
    ['--public-ip', s.publicIp],
    ['--health-check-ip', s.healthCheckIp],
  ] as const) {
    if (ip && !isIPv4(ip)) issues.push({ key, value: ip, reason: 'not an IPv4 address' });
  }
  for (const cidr of s.subnets)
    if (!isCidr(cidr)) issues.push({ key: '--subnets', value: cidr, reason: 'not an IPv4 CIDR (a.b.c.d/n)' });
  if (!s.endpointsPath && s.endpointsSource !== 'kubernetes' && command === 'run') {
    issues.push({
      key: '--endpoints',
      value: '',
      reason: `required with --endpoints-source ${s.endpointsSource}: the file listing remote endpoints (or use --endpoints-source kubernetes)`,
    });
  }
}

export function isCidr(text: string): boolean {
  const [ip, len, ...rest] = text.split('/');
  return rest.length === 0 && !!ip && isIPv4(ip) && !!len && /^\d+$/.test(len) && Number(len) <= 32;
}

function parseKeyValues(pairs: string[], issues: ConfigIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) issues.push({ key: '--backend-config', value: pair, reason: 'expected KEY=VALUE, e.g. udp-port=4500' });
    else out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

function seconds(key: string, text: string, issues: ConfigIssue[], zeroOk = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) {
    issues.push({ key, value: text, reason: `expected a ${zeroOk ? 'non-negative' : 'positive'} number of seconds` });
    return 1000;
  }
  return Math.round(n * 1000);
}

/** An integer limit in [min, max]; `text` empty: the default. */
function limit(key: string, text: string, fallback: number, min: number, max: number, issues: ConfigIssue[]): number {
  if (text === '') return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    issues.push({ key, value: text, reason: `expected a whole number from ${min} to ${max} (default ${fallback})` });
    return fallback;
  }
  return n;
}

function truthy(text: string): boolean {
  return /^(1|true|yes)$/i.test(text);
}

function endpointSource(text: string, issues: ConfigIssue[]): EndpointSourceKind {
  const kind = ENDPOINT_SOURCE_KINDS.find((k) => k === text.toLowerCase());
  if (!kind)
    issues.push({
      key: '--endpoints-source',
      value: text,
      reason: `expected one of ${ENDPOINT_SOURCE_KINDS.join(', ')}`,
    });
  return kind ?? 'file';
}

/** "*" means every namespace (""); anything else must be a DNS label. */
function namespaceOf(text: string, issues: ConfigIssue[]): string {
  if (text === '*') return '';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(text)) {
    issues.push({
      key: '--endpoints-namespace',
      value: text,
      reason: 'not a namespace name (a DNS label); use e.g. submariner-operator, or "*" for every namespace',
    });
  }
  return text;
}
