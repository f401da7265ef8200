/**
 * Keeps the remote endpoints from the Kubernetes API current: Submariner
 * Endpoint resources (submariner.io/v1), in one namespace or in all.
 *
 * - client-node's ListWatch lists, then watches from the list's
 *   resourceVersion; a watch that ends cleanly is re-opened from the last
 *   resourceVersion seen, and a 410 Gone (history compacted) relists.
 * - A watch or list that fails (connection dropped, API server down, 403)
 *   is retried with backoff (1 s doubling to 30 s) from the last
 *   resourceVersion, so nothing is listed again unless the server says 410.
 * - After each change (debounced), onChange gets a full snapshot built by the
 *   same validation as the file source (buildSnapshot/parseEndpoint): a bad
 *   resource is rejected alone, named "kubernetes:<namespace>/<name>".
 *   The local cluster's own Endpoint is left out.
 */
import {
  CustomObjectsApi,
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { Backoff } from '../lib/backoff.js';
import { describeKubeError } from '../kube/index.js';
import { buildSnapshot, type EndpointsSnapshot } from './snapshot.js';
import { SnapshotPublisher, type EndpointSourceOptions } from './snapshot-publisher.js';

const GROUP = 'submariner.io';
const VERSION = 'v1';
const PLURAL = 'endpoints';

/** Options of watchKubeEndpoints (onError: a list or watch failed; it is retried with backoff). */
export interface KubeEndpointsOptions extends EndpointSourceOptions {
  readonly kubeConfig: KubeConfig;
  /** Only Endpoints in this namespace; empty: every namespace. */
  readonly namespace: string;
  /** First retry delay. @default 1000 */
  readonly retryInitialMs?: number;
}

/** A running Kubernetes endpoints watch. */
export interface KubeEndpointsWatch {
  /** Resolves once the first list has been delivered as a snapshot. */
  readonly ready: Promise<void>;
  /** The snapshot in force, undefined before the first list. */
  current(): EndpointsSnapshot | undefined;
  /** The latest list/watch error, or undefined once it worked again. */
  lastError(): Error | undefined;
  close(): Promise<void>;
}

/** The API path of Endpoints in `namespace` (empty: all namespaces). */
export function endpointsPath(namespace: string): string {
  return namespace
    ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`
    : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
}

const nameOf = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** Starts listing and watching; never throws (failures go to onError and are retried). */
export function watchKubeEndpoints(options: KubeEndpointsOptions): KubeEndpointsWatch {
  const { kubeConfig, namespace, logger: log } = options;
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const path = endpointsPath(namespace);
  const backoff = new Backoff({ initialMs: options.retryInitialMs ?? 1000, maxMs: 30000 });
  const snapshots = new SnapshotPublisher(options, { source: 'kubernetes', namespace: namespace || '(all)' });
  let error: Error | undefined;
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
    const result = (await (namespace
      ? api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })
      : api.listClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
        }))) as KubernetesListObject<KubernetesObject>;
    schedule(); // an unchanged (or empty) list fires no change callbacks, yet the first one must deliver
    return result;
  };
  const informer = new ListWatch<KubernetesObject>(path, new Watch(kubeConfig), list, false);

  const deliver = (): void => {
    debounce = undefined;
    // Items of a list omit nothing for custom resources, but fill kind/apiVersion in case.
    const items = [...informer.list()].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
    const entries = items.map((o) => ({ apiVersion: `${GROUP}/${VERSION}`, kind: 'Endpoint', ...o }));
    const next = buildSnapshot({
      entries,
      path,
      policy: options.policy,
      localClusterId: options.localClusterId,
      whereOf: (i) => `kubernetes:${nameOf(items[i] as KubernetesObject)}`,
      source: `kubernetes:${namespace || '*'}`,
    });
    snapshots.publish(next);
    markReady();
  };

  function healthy(): void {
    backoff.healthy();
    if (!error) return;
    error = undefined;
    options.onRecovered?.();
  }

  function schedule(): void {
    healthy();
    if (closed || debounce) return;
    debounce = setTimeout(deliver, options.debounceMs ?? 100);
  }

  const restart = (): void => {
    retry = undefined;
    if (closed) return;
    // start() resolves once the watch request is answered; a failure on the way schedules another retry.
    void informer.start().then(
      () => retry === undefined && !closed && healthy(),
      () => undefined,
    );
  };

  informer.on('change', schedule);
  informer.on('error', (err: unknown) => {
    if (closed) return;
    const message = describeKubeError(`list/watch Submariner Endpoints at ${path}`, err, {
      rbac: `get, list and watch on endpoints.submariner.io${namespace ? ` in namespace ${namespace}` : ' (cluster-wide)'}`,
      notFound:
        "the Endpoint CRD (endpoints.submariner.io) is not installed; install Submariner's CRDs or use --endpoints-source file",
    });
    const delay = backoff.next();
    const e = new Error(`${message}; retrying in ${delay} ms`, { cause: err });
    const repeated = error?.message.split('; retrying')[0] === message;
    error = e;
    if (!repeated)
      log?.warn('kubernetes endpoints watch failed; the last endpoints stay in force', { error: e.message });
    options.onError?.(e);
    retry = setTimeout(restart, delay);
  });
  void informer.start();

  return {
    ready,
    current: () => snapshots.current,
    lastError: () => error,
    close: async () => {
      closed = true;
      clearTimeout(debounce);
      clearTimeout(retry);
      await informer.stop();
    },
  };
}
