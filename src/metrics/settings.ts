/**
 * Where metrics are served: --metrics-listen host:port [CABLED_METRICS_LISTEN],
 * or Submariner's SUBMARINER_METRICSPORT (served on 0.0.0.0:<port>). Empty: off.
 */
import type { ConfigIssue } from '../lib/errors.js';
import { parseAddress } from '../lib/grpc/address.js';
import { errorMessage } from '../lib/errors.js';

export const METRICS_OPTIONS = { 'metrics-listen': { type: 'string' } } as const;

export const METRICS_USAGE = `  --metrics-listen ADDR   serve Prometheus metrics at http://ADDR/metrics, e.g. 0.0.0.0:32780 [CABLED_METRICS_LISTEN, SUBMARINER_METRICSPORT] (default: off)
`;

export function parseMetricsListen(flag: string | undefined, env: NodeJS.ProcessEnv, issues: ConfigIssue[]): string {
  const port = env.SUBMARINER_METRICSPORT;
  const text =
    [flag, env.CABLED_METRICS_LISTEN, port ? `0.0.0.0:${port}` : undefined].find((x) => x !== undefined && x !== '') ??
    '';
  if (!text) return '';
  try {
    if (parseAddress(text).kind !== 'tcp')
      issues.push({ key: '--metrics-listen', value: text, reason: 'expected host:port, e.g. 0.0.0.0:32780' });
  } catch (err) {
    issues.push({ key: '--metrics-listen', value: text, reason: errorMessage(err) });
  }
  return text;
}
