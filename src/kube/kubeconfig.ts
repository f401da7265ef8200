/**
 * Where the Kubernetes API is and how to authenticate: an explicit kubeconfig
 * file, else the in-cluster service account (a pod), else $KUBECONFIG or
 * ~/.kube/config. Nothing is contacted here; the first request does that.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { InvalidArgumentError } from '../lib/errors.js';

/** The service account token a pod gets (what KubeConfig.loadFromCluster reads). */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Options of loadKubeConfig. */
export interface KubeConfigOptions {
  /** A kubeconfig file (--kubeconfig). Empty: in-cluster, then $KUBECONFIG / ~/.kube/config. */
  readonly path?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** @default the service account token path; tests point it elsewhere. */
  readonly tokenPath?: string;
}

/** Builds the client configuration; throws InvalidArgumentError naming what is missing. */
export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  if (options.path) {
    if (!existsSync(options.path))
      throw new InvalidArgumentError(`read kubeconfig ${options.path}: no such file; fix --kubeconfig`);
    kc.loadFromFile(options.path);
    return kc;
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync(options.tokenPath ?? SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
    return kc;
  }
  // Not client-node's loadFromDefault: it falls back to http://localhost:8080 instead of failing.
  const candidates = [...(env.KUBECONFIG ?? '').split(':'), env.HOME ? join(env.HOME, '.kube', 'config') : ''];
  const file = candidates.find((f) => f !== '' && existsSync(f));
  if (!file) {
    throw new InvalidArgumentError(
      'find the Kubernetes API: not running in a pod and no kubeconfig file found; pass --kubeconfig PATH or set KUBECONFIG',
    );
  }
  kc.loadFromFile(file);
  return kc;
}

/**
 * A configuration for one API server URL without credentials (tests, `kubectl
 * proxy`). client-node refuses plain http unless skipTLSVerify is set, so it is
 * set for http:// URLs only.
 */
export function kubeConfigForServer(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'api', server, skipTLSVerify: server.startsWith('http://') }],
    users: [{ name: 'none' }],
    contexts: [{ name: 'api', cluster: 'api', user: 'none' }],
    currentContext: 'api',
  });
  return kc;
}
