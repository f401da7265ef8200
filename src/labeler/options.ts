/**
 * Flags of `cabled labeler`, with environment fallbacks; every bad value is
 * reported with the flag, the value and the reason.
 */
import { parseArgs } from 'node:util';
import { ConfigError, type ConfigIssue } from '../lib/errors.js';

export interface LabelerSettings {
  nodeName: string;
  intervalMs: number;
  /** Empty: no NFD feature file. */
  nfdFeaturesDir: string;
  /** Empty: in-cluster, then KUBECONFIG. */
  kubeconfig: string;
  /** One check, then exit (exit code 0 only if the node write worked). */
  once: boolean;
  help: boolean;
}

export const LABELER_USAGE = `Usage: cabled labeler --node-name NAME [flags]

Labels this node cabled.io/ipsec-offload=true (annotation
cabled.io/ipsec-offload-interfaces=<list>) while one of its interfaces has
ethtool's esp-hw-offload on, and removes both when none has. Re-checks
periodically and on link changes.

  --node-name NAME        this node [NODE_NAME] (required)
  --interval SEC          re-check period [CABLED_LABELER_INTERVAL] (default 60)
  --nfd-features-dir DIR  also write DIR/cabled-ipsec-offload for NFD's local source [CABLED_NFD_FEATURES_DIR]
  --kubeconfig PATH       kubeconfig file [CABLED_KUBECONFIG] (default: in-cluster, then KUBECONFIG)
  --once                  check once and exit
`;

/** Parses argv (after "labeler"). Throws ConfigError listing every problem. */
export function parseLabelerArgs(argv: string[], env: NodeJS.ProcessEnv): LabelerSettings {
  const { values } = parseArgs({
    args: argv,
    options: {
      'node-name': { type: 'string' },
      interval: { type: 'string' },
      'nfd-features-dir': { type: 'string' },
      kubeconfig: { type: 'string' },
      once: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const pick = (...xs: (string | undefined)[]): string => xs.find((x) => x !== undefined && x !== '') ?? '';
  const issues: ConfigIssue[] = [];
  const nodeName = pick(values['node-name'], env.NODE_NAME);
  if (!values.help && !nodeName)
    issues.push({
      key: '--node-name',
      value: '',
      reason: 'required: the node to label (NODE_NAME from the downward API spec.nodeName)',
    });
  const intervalText = pick(values.interval, env.CABLED_LABELER_INTERVAL, '60');
  const interval = Number(intervalText);
  if (!Number.isFinite(interval) || interval < 1)
    issues.push({ key: '--interval', value: intervalText, reason: 'expected a number of seconds, at least 1' });
  if (issues.length) throw new ConfigError('labeler flags and environment', issues);
  return {
    nodeName,
    intervalMs: Math.round(interval * 1000),
    nfdFeaturesDir: pick(values['nfd-features-dir'], env.CABLED_NFD_FEATURES_DIR),
    kubeconfig: pick(values.kubeconfig, env.CABLED_KUBECONFIG),
    once: values.once ?? false,
    help: values.help ?? false,
  };
}
