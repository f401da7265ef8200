/**
 * Starts the engine's endpoint sources, as --endpoints-source chooses: the
 * file, the Kubernetes API, or both. With both, a merged snapshot is
 * delivered only once each source has delivered its first one, so a restart
 * never reconciles against half of the endpoints. The Kubernetes client is
 * loaded here, and only when a Kubernetes source is asked for (it is the
 * heaviest module of the project: ~70 MB and most of a second of start-up).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../lib/logger.js';
import type { EndpointPolicy } from './endpoint-policy.js';
import { errorMessage } from '../lib/errors.js';
import { mergeSnapshots } from './merge-snapshots.js';
import type { EndpointsSnapshot } from './snapshot.js';
import type { EndpointSourceKind } from './source-kinds.js';
import { watchEndpointsFile } from './watch-endpoints.js';

export { ENDPOINT_SOURCE_KINDS, type EndpointSourceKind } from './source-kinds.js';

/** Options of startEndpointSources. */
export interface EndpointSourcesOptions {
  readonly kind: EndpointSourceKind;
  /** The endpoints file (file, both). */
  readonly filePath: string;
  /** The Kubernetes client and namespace ("" = all) (kubernetes, both); built only when needed. */
  readonly kube: () => Promise<{ kubeConfig: KubeConfig; namespace: string }>;
  readonly localClusterId: string;
  /** Limits and this gateway, applied to every entry of every source. */
  readonly policy?: EndpointPolicy;
  readonly onChange: (snapshot: EndpointsSnapshot) => void;
  /**
   * A source started failing (`error` says what and what to do) or works
   * again (`error` undefined: it delivered a snapshot since).
   */
  readonly onSourceError?: (source: 'file' | 'file-hold' | 'kubernetes', error: string | undefined) => void;
  /** The file source's settle time and removal hold (watch-endpoints.ts); defaults there. */
  readonly fileSettleMs?: number;
  readonly fileRemovalHoldMs?: number;
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
      // Writers should replace the file atomically (kubelet's ..data swap, rename); one that writes it in
      // place is caught by the settle time and the removal hold (file-stability.ts).
      debounceMs: 20,
      settleMs: options.fileSettleMs,
      removalHoldMs: options.fileRemovalHoldMs,
      onHold: (message) =>
        options.onSourceError?.('file-hold', message && `endpoints file ${options.filePath}: ${message}`),
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
    const { kubeConfig, namespace } = await options.kube();
    const { watchKubeEndpoints } = await import('./watch-kube-endpoints.js');
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
