/**
 * Keeps the remote endpoints from a file current. The file is read once
 * (if it cannot be read or parsed, the returned promise rejects), then
 * re-read when it changes: a ConfigMap-mounted file (kubelet's `..data`
 * swap), rename-over or in-place writes, plus a slow poll (watch-file.ts).
 *
 * - onChange gets a new snapshot only when it differs from the last one
 *   (an edit of comments or formatting calls nothing).
 * - A bad entry is rejected alone (snapshot.rejected) and the rest apply.
 * - A file that does not parse at all, or is missing or empty, changes
 *   nothing: the previous snapshot stays in force and onError receives the
 *   error (once per distinct error). So does a file larger than the
 *   endpoints-max-file-bytes limit, which is refused before it is read.
 */
import { InvalidArgumentError } from '../lib/errors.js';
import { watchPath } from '../config/watch-file.js';
import { DEFAULT_POLICY } from './endpoint-policy.js';
import { parseEndpointsText } from './endpoints-file.js';
import { readFileBounded } from './file-size.js';
import { buildSnapshot, type EndpointsSnapshot } from './snapshot.js';
import { SnapshotPublisher, type EndpointSourceOptions } from './snapshot-publisher.js';

/** Options of watchEndpointsFile. */
export interface WatchEndpointsOptions extends EndpointSourceOptions {
  /** The endpoints file (YAML or JSON). */
  readonly path: string;
  /** @default 5000 */
  readonly pollMs?: number;
}

/** A running endpoints watch. */
export interface EndpointsWatch {
  /** The snapshot in force. */
  current(): EndpointsSnapshot;
  /** The error of the latest read, or undefined if it succeeded. */
  lastError(): Error | undefined;
  close(): void;
}

/** Reads `path` once and keeps its snapshot current; rejects if the first read fails. */
export async function watchEndpointsFile(options: WatchEndpointsOptions): Promise<EndpointsWatch> {
  const { path, logger: log } = options;
  const policy = options.policy ?? DEFAULT_POLICY;

  const read = async (): Promise<EndpointsSnapshot> => {
    let text: string;
    try {
      text = await readFileBounded(path, policy.limits.maxFileBytes, 'endpoints-max-file-bytes');
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new InvalidArgumentError(`read endpoints file ${path}: ${code}; create it or fix the path`, { cause: err });
    }
    const parsed = parseEndpointsText(text);
    if (!parsed.ok) throw new InvalidArgumentError(`read endpoints file ${path}: ${parsed.reason}`);
    return buildSnapshot({ entries: parsed.entries, path, policy, localClusterId: options.localClusterId });
  };

  const snapshots = new SnapshotPublisher(options, { path });
  // The first snapshot is handed out by current(), not announced.
  snapshots.publish(await read(), false);
  let error: Error | undefined;

  const reload = async (): Promise<void> => {
    let next: EndpointsSnapshot;
    try {
      next = await read();
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const repeated = error?.message === e.message;
      error = e;
      if (repeated) return;
      log?.warn('endpoints file unusable; keeping the previous endpoints', { path, error: e.message });
      options.onError?.(e);
      return;
    }
    if (error) {
      error = undefined;
      options.onRecovered?.();
    }
    snapshots.publish(next);
  };

  const watch = watchPath({
    path,
    onEvent: reload,
    debounceMs: options.debounceMs,
    pollMs: options.pollMs,
    logger: log,
  });
  return {
    current: () => snapshots.current!,
    lastError: () => error,
    close: () => watch.close(),
  };
}
