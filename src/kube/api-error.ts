/**
 * Turns a failed Kubernetes API call into a message that says what failed and
 * what to do: the HTTP status (403 → the RBAC rule to grant, 404 → what is
 * missing), or the transport error (API server unreachable).
 */
import { errorMessage } from '../lib/errors.js';

/** The HTTP status of a client-node error (ApiException.code, Watch's statusCode), if any. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  return typeof e.code === 'number' ? e.code : undefined;
}

/** What to do about a failed call. */
export interface KubeErrorHints {
  /** The RBAC grant needed, e.g. "get and patch on nodes". */
  readonly rbac: string;
  /** What a 404 means, e.g. "node n1 does not exist; check --node-name". */
  readonly notFound: string;
}

/** "<action>: <why>; <what to do>". */
export function describeKubeError(action: string, err: unknown, hints: KubeErrorHints): string {
  const code = httpStatusOf(err);
  if (code === 401)
    return `${action}: HTTP 401 Unauthorized; check the kubeconfig credentials or the service account token`;
  if (code === 403)
    return `${action}: HTTP 403 Forbidden; grant the service account ${hints.rbac} (ClusterRole + binding)`;
  if (code === 404) return `${action}: HTTP 404 Not Found; ${hints.notFound}`;
  if (code !== undefined) return `${action}: HTTP ${code}: ${firstLine(errorMessage(err))}`;
  return `${action}: ${firstLine(errorMessage(err))}; check that the API server is reachable`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
