/**
 * Settings of the active/passive gateway election and of the publication of
 * this gateway's Endpoint and Gateway resources. Submariner's defaults and
 * names: Lease `submariner-gateway-lock`, lease 10 s / renew deadline 5 s /
 * retry 2 s (its chart; LEADERSHIP_LEASEDURATION, _RENEWDEADLINE,
 * _RETRYPERIOD in seconds), identity `<node>-submariner-gateway`. Flags win
 * over CABLED_* over Submariner's variables. Without --leader-election the
 * gateway is always active (standalone: file endpoints, host service).
 */
import { hostname } from 'node:os';
import type { ConfigIssue } from '../lib/errors.js';

export interface HaSettings {
  /** Elect one active gateway per cluster with a coordination.k8s.io/v1 Lease. @default false */
  leaderElection: boolean;
  /** @default 'submariner-gateway-lock' */
  leaseName: string;
  /** Namespace of the Lease and of the Gateway resources. @default 'submariner-operator' */
  namespace: string;
  /** @default 10000 */
  leaseDurationMs: number;
  /** A leader that has not renewed for this long stops acting as leader. @default 5000 */
  renewDeadlineMs: number;
  /** Time between attempts to acquire or renew. @default 2000 */
  retryPeriodMs: number;
  /** Holder identity in the Lease. @default '<node name>-submariner-gateway' */
  identity: string;
  /** This node's name (Gateway resource name). @default NODE_NAME, else the host name */
  nodeName: string;
  /** Publish the local Endpoint (while active) and this gateway's Gateway status. @default = leaderElection */
  publish: boolean;
  /** Namespace the Endpoint is published in; "" = the endpoints namespace, else `namespace`. */
  publishNamespace: string;
  /**
   * This gateway's pod, labelled gateway.submariner.io/status=active|passive
   * as Submariner labels its gateway pods (while publishing). "" = not
   * labelled (not in a pod). @default POD_NAME
   */
  podName: string;
  /** @default POD_NAMESPACE, else `namespace` */
  podNamespace: string;
}

export const HA_OPTIONS = {
  'leader-election': { type: 'boolean' },
  'no-leader-election': { type: 'boolean' },
  'lease-name': { type: 'string' },
  'lease-namespace': { type: 'string' },
  'lease-duration': { type: 'string' },
  'renew-deadline': { type: 'string' },
  'retry-period': { type: 'string' },
  identity: { type: 'string' },
  'node-name': { type: 'string' },
  publish: { type: 'boolean' },
  'no-publish': { type: 'boolean' },
  'publish-namespace': { type: 'string' },
  'pod-name': { type: 'string' },
  'pod-namespace': { type: 'string' },
} as const;

export interface HaFlags {
  'leader-election'?: boolean;
  'no-leader-election'?: boolean;
  'lease-name'?: string;
  'lease-namespace'?: string;
  'lease-duration'?: string;
  'renew-deadline'?: string;
  'retry-period'?: string;
  identity?: string;
  'node-name'?: string;
  publish?: boolean;
  'no-publish'?: boolean;
  'publish-namespace'?: string;
  'pod-name'?: string;
  'pod-namespace'?: string;
}

export const HA_USAGE = `High availability (docs/ha.md; needs the Kubernetes API):
  --leader-election       one active gateway per cluster, elected with a Lease; the others stand by [CABLED_LEADER_ELECTION] (default off: always active)
  --lease-name NAME       [CABLED_LEASE_NAME] (default submariner-gateway-lock)
  --lease-namespace NS    namespace of the Lease and the Gateway resources [CABLED_LEASE_NAMESPACE, SUBMARINER_NAMESPACE] (default submariner-operator)
  --lease-duration SEC    [CABLED_LEASE_DURATION, LEADERSHIP_LEASEDURATION] (default 10)
  --renew-deadline SEC    an active gateway that cannot renew for this long removes its cables and stands by [CABLED_RENEW_DEADLINE, LEADERSHIP_RENEWDEADLINE] (default 5)
  --retry-period SEC      [CABLED_RETRY_PERIOD, LEADERSHIP_RETRYPERIOD] (default 2)
  --identity NAME         holder identity in the Lease [CABLED_IDENTITY] (default <node-name>-submariner-gateway)
  --node-name NAME        [NODE_NAME] (default: the host name)
  --publish, --no-publish   publish the local Endpoint while active and a Gateway status resource [CABLED_PUBLISH] (default: on with --leader-election)
  --publish-namespace NS  namespace of the published Endpoint [CABLED_PUBLISH_NAMESPACE] (default: --endpoints-namespace, or the lease namespace when that is "*")
  --pod-name NAME         this gateway's pod, labelled gateway.submariner.io/status=active|passive while publishing [POD_NAME] (default: none)
  --pod-namespace NS      [POD_NAMESPACE] (default: the lease namespace)
`;

const first = (...xs: (string | undefined)[]): string | undefined => xs.find((x) => x !== undefined && x !== '');
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function bool(
  on: boolean | undefined,
  off: boolean | undefined,
  key: string,
  envName: string,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
): boolean | undefined {
  if (on && off) {
    issues.push({ key: `--${key}`, value: 'true', reason: `given together with --no-${key}; keep one of them` });
    return undefined;
  }
  if (on !== undefined || off !== undefined) return !off;
  const text = env[envName];
  if (text === undefined || text === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  issues.push({ key: envName, value: text, reason: 'expected true or false' });
  return undefined;
}

function seconds(key: string, text: string, issues: ConfigIssue[]): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) {
    issues.push({ key, value: text, reason: 'expected a number of seconds above 0 (at most 3600)' });
    return 1000;
  }
  return Math.round(n * 1000);
}

/** Reads the HA settings; every bad value goes to `issues`. */
export function parseHaSettings(
  flags: HaFlags,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  host: () => string = hostname,
): HaSettings {
  const leaderElection =
    bool(
      flags['leader-election'],
      flags['no-leader-election'],
      'leader-election',
      'CABLED_LEADER_ELECTION',
      env,
      issues,
    ) ?? false;
  const publish = bool(flags.publish, flags['no-publish'], 'publish', 'CABLED_PUBLISH', env, issues) ?? leaderElection;
  const nodeName = first(flags['node-name'], env.NODE_NAME) ?? host();
  const s: HaSettings = {
    leaderElection,
    leaseName: first(flags['lease-name'], env.CABLED_LEASE_NAME) ?? 'submariner-gateway-lock',
    namespace:
      first(flags['lease-namespace'], env.CABLED_LEASE_NAMESPACE, env.SUBMARINER_NAMESPACE) ?? 'submariner-operator',
    leaseDurationMs: seconds(
      '--lease-duration',
      first(flags['lease-duration'], env.CABLED_LEASE_DURATION, env.LEADERSHIP_LEASEDURATION) ?? '10',
      issues,
    ),
    renewDeadlineMs: seconds(
      '--renew-deadline',
      first(flags['renew-deadline'], env.CABLED_RENEW_DEADLINE, env.LEADERSHIP_RENEWDEADLINE) ?? '5',
      issues,
    ),
    retryPeriodMs: seconds(
      '--retry-period',
      first(flags['retry-period'], env.CABLED_RETRY_PERIOD, env.LEADERSHIP_RETRYPERIOD) ?? '2',
      issues,
    ),
    identity: first(flags.identity, env.CABLED_IDENTITY) ?? `${nodeName}-submariner-gateway`,
    nodeName,
    publish,
    publishNamespace: first(flags['publish-namespace'], env.CABLED_PUBLISH_NAMESPACE) ?? '',
    podName: first(flags['pod-name'], env.POD_NAME) ?? '',
    podNamespace: '',
  };
  s.podNamespace = first(flags['pod-namespace'], env.POD_NAMESPACE) ?? s.namespace;
  validate(s, issues);
  return s;
}

function validate(s: HaSettings, issues: ConfigIssue[]): void {
  if (!DNS_SUBDOMAIN.test(s.leaseName))
    issues.push({ key: '--lease-name', value: s.leaseName, reason: 'not a resource name (lower-case DNS subdomain)' });
  for (const [key, ns] of [
    ['--lease-namespace', s.namespace],
    ['--publish-namespace', s.publishNamespace],
    // It defaults to the lease namespace: said once, under that name.
    ['--pod-namespace', s.podNamespace === s.namespace ? '' : s.podNamespace],
  ] as const) {
    if (ns && !DNS_LABEL.test(ns)) issues.push({ key, value: ns, reason: 'not a namespace name (a DNS label)' });
  }
  // The node name matters only to election and publication: a standalone host (or a guest whose host name is
  // "(none)") runs without one.
  if ((s.leaderElection || s.publish) && !DNS_SUBDOMAIN.test(s.nodeName.toLowerCase()))
    issues.push({ key: '--node-name', value: s.nodeName, reason: 'not a node name (DNS subdomain)' });
  if (s.podName && !DNS_SUBDOMAIN.test(s.podName))
    issues.push({ key: '--pod-name', value: s.podName, reason: 'not a pod name (lower-case DNS subdomain)' });
  if ((s.leaderElection || s.publish) && (!s.identity || s.identity.length > 253 || /[\s]/.test(s.identity)))
    issues.push({ key: '--identity', value: s.identity, reason: 'expected 1 to 253 characters without spaces' });
  if (!s.leaderElection) return;
  // client-go's rules: the lease outlives the renew deadline, which allows more than one retry.
  if (s.renewDeadlineMs >= s.leaseDurationMs)
    issues.push({
      key: '--renew-deadline',
      value: String(s.renewDeadlineMs / 1000),
      reason: `must be below --lease-duration (${s.leaseDurationMs / 1000}): an active gateway must stand down before another may take over`,
    });
  if (s.retryPeriodMs * 1.2 >= s.renewDeadlineMs)
    issues.push({
      key: '--retry-period',
      value: String(s.retryPeriodMs / 1000),
      reason: `must be below --renew-deadline / 1.2 (${(s.renewDeadlineMs / 1200).toFixed(2)}) so a renewal can be retried before the deadline`,
    });
}
