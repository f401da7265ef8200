/**
 * Watches a file or a directory and calls back, debounced and never
 * concurrently, when something in it may have changed. Shared by the config
 * watcher and the endpoints watcher, which re-read and compare content
 * themselves, so a spurious call costs one read and nothing else.
 *
 * What it catches:
 * - a ConfigMap mounted as a directory: kubelet swaps the `..data` symlink
 *   (events on `..data` / `..data_tmp` in the directory);
 * - a file: the parent directory is watched, so rename-over (atomic writes),
 *   delete/recreate and in-place writes all show, and so does a `..data` swap
 *   when the file is a key of a mounted ConfigMap;
 * - anything inotify misses (a symlinked file elsewhere, a directory that was
 *   replaced, a watch that failed): a slow poll re-arms the watch and calls
 *   back anyway, or, with `pollSigned`, only when what it watches looks
 *   different from when the last callback began (a stat signature: device,
 *   inode, size, modification and change times of the path, and in a
 *   directory of each entry, symlinks followed). An idle gateway's poll of
 *   its endpoints file is then a stat, not two reads and a compare. Not for
 *   a watcher whose callback also reads files outside `path` (the config's
 *   PSK file): the poll is what notices those.
 */
import { watch, statSync, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../lib/logger.js';

/** Options of watchPath. */
export interface WatchPathOptions {
  /** The file or directory to watch. */
  readonly path: string;
  /** Called after a change (debounced); a returned promise is awaited before the next call. */
  readonly onEvent: () => Promise<void> | void;
  /** Quiet time after the last event before calling back. @default 100 */
  readonly debounceMs?: number;
  /** Safety-net poll interval; 0 turns it off. @default 5000 */
  readonly pollMs?: number;
  /** The poll calls back only when `path`'s stat signature changed (see the module comment). @default false */
  readonly pollSigned?: boolean;
  readonly logger?: Logger;
}

/** A running watch. */
export interface PathWatch {
  /** Stops watching; no callback starts after this returns. */
  close(): void;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A directory with more entries than this is not signed: the poll always calls back. */
const MAX_SIGNED_ENTRIES = 64;

async function statSignature(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
}

/**
 * What the poll compares: the path's stat, and for a directory each entry's
 * (an in-place write to a file in it changes no directory time). Undefined
 * when it cannot tell (too many entries): call back anyway.
 */
export async function pathSignature(path: string, dirMode: boolean): Promise<string | undefined> {
  const own = await statSignature(path);
  if (!dirMode) return own;
  let names: string[];
  try {
    names = await readdir(path);
  } catch (err) {
    return `${own}|readdir:${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
  if (names.length > MAX_SIGNED_ENTRIES) return undefined;
  names.sort();
  const parts = await Promise.all(names.map(async (n) => `${n}=${await statSignature(`${path}/${n}`)}`));
  return `${own}|${parts.join('|')}`;
}

/** Starts watching `path` (see the module comment for what is caught). */
export function watchPath(options: WatchPathOptions): PathWatch {
  const { path, onEvent, logger } = options;
  const debounceMs = options.debounceMs ?? 100;
  const pollMs = options.pollMs ?? 5000;
  const dirMode = isDirectory(path);
  const dir = dirMode ? path : dirname(path);
  const name = basename(path);
  const relevant = (file: string | null): boolean => dirMode || file === null || file === name || file.startsWith('..');

  let closed = false;
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  /** The signature taken as the last callback began (before it read anything). */
  let seen: string | undefined;

  const run = async (): Promise<void> => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      if (options.pollSigned) seen = await pathSignature(path, dirMode);
      await onEvent();
    } catch (err) {
      logger?.error('watch callback failed', { path, error: err instanceof Error ? err.message : String(err) });
    } finally {
      running = false;
    }
    if (again && !closed) {
      again = false;
      schedule();
    }
  };

  function schedule(): void {
    if (closed) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      void run();
    }, debounceMs);
    debounce.unref();
  }

  const arm = (): void => {
    if (watcher || closed) return;
    try {
      const w = watch(dir, { persistent: false }, (_event, file) => {
        if (relevant(typeof file === 'string' ? file : null)) schedule();
      });
      w.on('error', (err) => {
        logger?.debug('watch failed; polling until it can be re-armed', { path: dir, error: err.message });
        w.close();
        if (watcher === w) watcher = undefined;
      });
      watcher = w;
    } catch (err) {
      logger?.debug('cannot watch yet; polling', {
        path: dir,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };

  arm();
  const poll =
    pollMs > 0
      ? setInterval(() => {
          arm();
          if (!options.pollSigned) schedule();
          else
            void pathSignature(path, dirMode).then((now) => {
              if (now === undefined || now !== seen) schedule();
            });
        }, pollMs)
      : undefined;
  poll?.unref();

  return {
    close(): void {
      closed = true;
      if (debounce) clearTimeout(debounce);
      if (poll) clearInterval(poll);
      watcher?.close();
      watcher = undefined;
    },
  };
}
