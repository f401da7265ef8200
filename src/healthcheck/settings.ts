/**
 * The health checker's settings from flags and environment, named as
 * Submariner names them (subctl join --health-check,
 * --health-check-interval, --health-check-max-packet-loss-count;
 * SUBMARINER_HEALTHCHECKENABLED, _HEALTHCHECKINTERVAL,
 * _HEALTHCHECKMAXPACKETLOSSCOUNT). Flags win over CABLED_* over SUBMARINER_*.
 */
import type { ConfigIssue } from '../lib/errors.js';

export interface HealthCheckSettings {
  /** @default true (as Submariner) */
  enabled: boolean;
  /** @default 1000 */
  intervalMs: number;
  /** @default 5 */
  maxPacketLossCount: number;
}

/** The raw flag values, as node:util parseArgs gives them. */
export interface HealthCheckFlags {
  'health-check'?: boolean;
  'no-health-check'?: boolean;
  'health-check-interval'?: string;
  'health-check-max-packet-loss-count'?: string;
}

/** The parseArgs declarations of these flags. */
export const HEALTH_CHECK_OPTIONS = {
  'health-check': { type: 'boolean' },
  'no-health-check': { type: 'boolean' },
  'health-check-interval': { type: 'string' },
  'health-check-max-packet-loss-count': { type: 'string' },
} as const;

export const HEALTH_CHECK_USAGE = `  --health-check, --no-health-check   probe each remote's health-check IP through the cable [CABLED_HEALTH_CHECK, SUBMARINER_HEALTHCHECKENABLED] (default on)
  --health-check-interval SEC   time between probes [CABLED_HEALTH_CHECK_INTERVAL, SUBMARINER_HEALTHCHECKINTERVAL] (default 1, at least 0.2)
  --health-check-max-packet-loss-count N   lost probes in a row that make a connection error [CABLED_HEALTH_CHECK_MAX_PACKET_LOSS_COUNT, SUBMARINER_HEALTHCHECKMAXPACKETLOSSCOUNT] (default 5)
`;

const first = (...xs: (string | undefined)[]): string | undefined => xs.find((x) => x !== undefined && x !== '');

export function parseHealthCheckSettings(
  flags: HealthCheckFlags,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
): HealthCheckSettings {
  let enabled = true;
  if (flags['health-check'] && flags['no-health-check']) {
    issues.push({
      key: '--health-check',
      value: 'true',
      reason: 'given together with --no-health-check; keep one of them',
    });
  } else if (flags['health-check'] !== undefined || flags['no-health-check'] !== undefined) {
    enabled = !flags['no-health-check'];
  } else {
    const key = env.CABLED_HEALTH_CHECK ? 'CABLED_HEALTH_CHECK' : 'SUBMARINER_HEALTHCHECKENABLED';
    const text = first(env.CABLED_HEALTH_CHECK, env.SUBMARINER_HEALTHCHECKENABLED);
    if (text !== undefined) {
      if (/^(1|true|yes|on)$/i.test(text)) enabled = true;
      else if (/^(0|false|no|off)$/i.test(text)) enabled = false;
      else issues.push({ key, value: text, reason: 'expected true or false' });
    }
  }

  const intervalText =
    first(flags['health-check-interval'], env.CABLED_HEALTH_CHECK_INTERVAL, env.SUBMARINER_HEALTHCHECKINTERVAL) ?? '1';
  const interval = Number(intervalText);
  if (!Number.isFinite(interval) || interval < 0.2) {
    issues.push({
      key: '--health-check-interval',
      value: intervalText,
      reason: "expected a number of seconds, at least 0.2 (ping's smallest interval)",
    });
  }

  const lossText =
    first(
      flags['health-check-max-packet-loss-count'],
      env.CABLED_HEALTH_CHECK_MAX_PACKET_LOSS_COUNT,
      env.SUBMARINER_HEALTHCHECKMAXPACKETLOSSCOUNT,
    ) ?? '5';
  const loss = Number(lossText);
  if (!/^\d+$/.test(lossText) || loss < 1) {
    issues.push({
      key: '--health-check-max-packet-loss-count',
      value: lossText,
      reason: 'expected a whole number of probes, at least 1',
    });
  }
  return { enabled, intervalMs: Math.round(interval * 1000) || 1000, maxPacketLossCount: loss || 5 };
}
