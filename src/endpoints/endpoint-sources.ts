/**
 * Starts the engine's endpoint sources, as --endpoints-source chooses: the
 * file, the Kubernetes API, or both. With both, a merged snapshot is
 * delivered only once each source has delivered its first one, so a restart
 * never reconciles against half of the endpoints.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../lib/logger.js';
import type { EndpointPolicy } from './endpoint-policy.js';
import { errorMessage } from '../lib/errors.js';
import { mergeSnapshots } from './merge-snapshots.js';
import type { EndpointsSnapshot } from './snapshot.js';
import { watchEndpointsFile } from './watch-endpoints.js';
import { watchKubeEndpoints } from './watch-kube-endpoints.js';

/** --endpoints-source values. */
export const ENDPOINT_SOURCE_KINDS = ['file', 'kubernetes', 'both'] as const;
export type EndpointSourceKind = (typeof ENDPOINT_SOURCE_KINDS)[number];

/** Options of startEndpointSources. */
export interface EndpointSourcesOptions {
  readonly kind: EndpointSourceKind;
  /** The endpoints file (file, both). */
  readonly filePath: string;
  /** The Kubernetes client and namespace ("" = all) (kubernetes, both); built only when needed. */
  readonly kube: () => { kubeConfig: KubeConfig; namespace: string };
  readonly localClusterId: string;
  /** Limits and this gateway, applied to every entry of every source. */
  readonly policy?: EndpointPolicy;
  readonly onChange: (snapshot: EndpointsSnapshot) => void;
  /**
   * A source started failing (`error` says what and what to do) or works
   * again (`error` undefined: it delivered a snapshot since).
   */
  readonly onSourceError?: (source: 'file' | 'kubernetes', error: string | undefined) => void;
  readonly logger: Logger;
}

/** Running sources. */
export interface EndpointSources {
  close(): Promise<void>;
}

/** Starts the sources; rejects if the endpoints file cannot be read at start (as before). */
export async function startEndpointSources(options: EndpointSourcesOptions): Promise<EndpointSources> {
  const { kind, logger } = options;
  const latest: (EndpointsSnapshot | undefined)[] = [];
  const useFile = kind !== 'kubernetes';
  const useKube = kind !== 'file';
  const slots = (useFile ? 1 : 0) + (useKube ? 1 : 0);
  const update = (slot: number, snapshot: EndpointsSnapshot): void => {
    latest[slot] = snapshot;
    const ready = latest.filter((s): s is EndpointsSnapshot => s !== undefined);
    if (ready.length < slots) return;
    options.onChange(slots === 1 ? snapshot : mergeSnapshots(ready));
  };
  const closers: (() => unknown)[] = [];
  if (useFile) {
    const file = await watchEndpointsFile({
      path: options.filePath,
      localClusterId: options.localClusterId,
      policy: options.policy,
      logger,
      // Writers replace the file atomically (kubelet's ..data swap, rename); a short debounce suffices.
      debounceMs: 20,
      onChange: (s) => update(0, s),
      onRecovered: () => options.onSourceError?.('file', undefined),
      onError: (err) => {
        logger.error('endpoints file unreadable; the last good endpoints stay in force', { error: errorMessage(err) });
        options.onSourceError?.('file', `endpoints file ${options.filePath}: ${errorMessage(err)}`);
      },
    });
    closers.push(() => file.close());
    update(0, file.current());
  }
  if (useKube) {
    const { kubeConfig, namespace } = options.kube();
    const kube = watchKubeEndpoints({
      kubeConfig,
      namespace,
      localClusterId: options.localClusterId,
      policy: options.policy,
      logger,
      onChange: (s) => update(useFile ? 1 : 0, s),
      onError: (err) => options.onSourceError?.('kubernetes', `Kubernetes Endpoint resources: ${errorMessage(err)}`),
      onRecovered: () => options.onSourceError?.('kubernetes', undefined),
    });
    closers.push(() => kube.close());
  }
  return { close: async () => void (await Promise.all(closers.map((c) => c()))) };
}
