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
 * - Only whole files count (file-stability.ts): content is taken once two
 *   reads `settleMs` apart agree, and a change that removes more than half of
 *   the endpoints is held until the file has stayed the same for
 *   `removalHoldMs` (onHold tells, and again when the hold ends).
 */
import { InvalidArgumentError } from '../lib/errors.js';
import { loadYaml } from '../lib/yaml.js';
import { watchPath } from '../config/watch-file.js';
import { DEFAULT_POLICY } from './endpoint-policy.js';
import { RemovalHold, readSettled, readUntilSettled } from './file-stability.js';
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
  /** Two reads this far apart must agree before a content counts. @default 500 */
  readonly settleMs?: number;
  /** A change removing more than half of the endpoints waits until unchanged this long; 0: off. @default 15000 */
  readonly removalHoldMs?: number;
  /** The removal hold applies only with at least this many endpoints in force. @default 10 */
  readonly removalHoldMinimum?: number;
  /** A change is being held (the message says why and what to do), or no longer (undefined). */
  readonly onHold?: (message: string | undefined) => void;
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

  const settleMs = options.settleMs ?? 500;
  const hold = new RemovalHold({
    holdMs: options.removalHoldMs ?? 15000,
    minimum: options.removalHoldMinimum ?? 10,
  });
  const readText = async (): Promise<string> => {
    try {
      const text = await readFileBounded(path, policy.limits.maxFileBytes, 'endpoints-max-file-bytes');
      // JSON is read without the YAML parser (endpoints-file.ts).
      if (!/^\s*[[{]/.test(text)) await loadYaml();
      return text;
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new InvalidArgumentError(`read endpoints file ${path}: ${code}; create it or fix the path`, { cause: err });
    }
  };
  const toSnapshot = (text: string): EndpointsSnapshot => {
    const parsed = parseEndpointsText(text);
    if (!parsed.ok) throw new InvalidArgumentError(`read endpoints file ${path}: ${parsed.reason}`);
    return buildSnapshot({ entries: parsed.entries, path, policy, localClusterId: options.localClusterId });
  };

  const snapshots = new SnapshotPublisher(options, { path });
  // The first snapshot is handed out by current(), not announced.
  const first = await readUntilSettled(readText, settleMs);
  if (!first.settled) log?.warn('endpoints file kept changing at start; using the latest read', { path });
  snapshots.publish(toSnapshot(first.text), false);
  // The text of the published snapshot, and whether a change is held: the safety-net poll (every 5 s)
  // re-reads the file, and parsing 1000 endpoints again to find them unchanged was most of an idle engine's CPU.
  let publishedText: string | undefined = first.text;
  let holding = false;
  let error: Error | undefined;
  let closed = false;
  let recheck: NodeJS.Timeout | undefined;
  const later = (ms: number): void => {
    clearTimeout(recheck);
    if (closed) return;
    recheck = setTimeout(() => void serial(), ms);
    recheck.unref();
  };

  const reload = async (): Promise<void> => {
    let next: EndpointsSnapshot;
    let text: string | undefined;
    try {
      text = await readSettled(readText, settleMs);
      if (text === undefined) {
        // Still being written: look again once it may have settled (watch events also call again).
        log?.debug('endpoints file still changing; waiting for it to settle', { path });
        later(settleMs);
        return;
      }
      if (text === publishedText && !holding) {
        // The same bytes as the endpoints in use: nothing to parse (a file that was unusable is usable again).
        if (error) {
          error = undefined;
          options.onRecovered?.();
        }
        return;
      }
      next = toSnapshot(text);
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
    const decision = hold.decide(snapshots.current, next, text);
    if (!decision.apply) {
      holding = true;
      if (decision.started) {
        log?.warn('endpoints change held: it would remove most endpoints', { path, reason: decision.message });
        options.onHold?.(decision.message);
      }
      later(decision.retryInMs);
      return;
    }
    if (decision.released) {
      log?.info('endpoints change no longer held', { path, why: decision.released });
      options.onHold?.(undefined);
    }
    holding = false;
    publishedText = text;
    snapshots.publish(next);
  };
  // Watch events and rechecks never overlap.
  let queue: Promise<void> = Promise.resolve();
  const serial = (): Promise<void> => {
    queue = queue.then(reload, reload);
    return queue;
  };

  const watch = watchPath({
    path,
    onEvent: serial,
    debounceMs: options.debounceMs,
    pollMs: options.pollMs,
    // The callback reads only this file: a poll that finds its stat unchanged reads nothing.
    pollSigned: true,
    logger: log,
  });
  return {
    current: () => snapshots.current!,
    lastError: () => error,
    close: () => {
      closed = true;
      clearTimeout(recheck);
      watch.close();
    },
  };
}
