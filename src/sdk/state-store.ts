/**
 * A driver's memory of the cables it installed, kept as one JSON file in its
 * run directory (tmpfs: it lives exactly as long as the kernel state it
 * describes). A restarted driver reads it back, so GetActiveConnections tells
 * the truth and the engine can remove cables that went away while it was down.
 * Writes are atomic (temp file + rename) and coalesced: every change made
 * before a write takes its snapshot goes into that write, and one made while
 * a write is on its way costs exactly one more, so a burst of N changes costs
 * one or two serialisations of the whole map, not one per change (issue 15:
 * at 5000 cables the file was serialised several times per burst). The file
 * is compact JSON. `flush()` waits for the last write.
 *
 * Degrade, don't crash (issue 12, item 5): when the directory is full or
 * read-only the write fails, its temp file is removed, the record stays in
 * memory (the driver keeps serving), the problem is reported (problems.ts:
 * status and readiness show it, with what to do), and the write is retried
 * with a backoff until it works, when the problem clears by itself.
 */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { reportProblem } from './problems.js';

export interface StateStoreOptions {
  /** First retry delay after a failed write. @default 1000 */
  readonly retryMs?: number;
  /** Cap of the retry delay. @default 15000 */
  readonly maxRetryMs?: number;
  /** Told when a write fails (with the problem) and when writes work again (undefined). */
  readonly onProblem?: (problem: string | undefined) => void;
}

/** A write waits this many times as long as the last one took (at most MAX_WRITE_GAP_MS). */
const WRITE_GAP_FACTOR = 3;
const MAX_WRITE_GAP_MS = 1000;

export class StateStore<T> {
  private data = new Map<string, T>();
  private writing: Promise<void> | undefined;
  /** Changes not yet in a snapshot taken by a write. */
  private dirty = false;
  private writesStarted = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private problemText: string | undefined;
  /** How long the last write took (serialisation and file), ms. */
  private lastWriteMs = 0;

  constructor(
    readonly path: string,
    private readonly options: StateStoreOptions = {},
  ) {}

  /** How many writes (serialisations of the whole map) were started; for tests and benchmarks. */
  get writes(): number {
    return this.writesStarted;
  }

  /** The standing write problem (what is wrong and what to do), or undefined. */
  get problem(): string | undefined {
    return this.problemText;
  }

  /** Loads the file; a missing file is an empty store. A corrupt one is reported. Removes a stale temp file. */
  async load(): Promise<void> {
    await unlink(this.tmpPath).catch(() => undefined);
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      this.data = new Map(Object.entries(JSON.parse(text) as Record<string, T>));
    } catch (err) {
      throw new Error(
        `driver state file ${this.path} is corrupt (${(err as Error).message}); delete it to start afresh`,
      );
    }
  }

  get(key: string): T | undefined {
    return this.data.get(key);
  }

  values(): T[] {
    return [...this.data.values()];
  }

  entries(): [string, T][] {
    return [...this.data.entries()];
  }

  set(key: string, value: T): void {
    this.data.set(key, value);
    this.schedule();
  }

  delete(key: string): void {
    if (this.data.delete(key)) this.schedule();
  }

  clear(): void {
    this.data.clear();
    this.schedule();
  }

  /** Resolves when everything set so far is on disk, or the write failed (see `problem`). Never rejects. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private get tmpPath(): string {
    return `${this.path}.tmp`;
  }

  private schedule(): void {
    this.dirty = true;
    if (this.writing !== undefined) return; // the write on its way, or the one after it, takes this change
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.writing = this.write().finally(() => {
      this.writing = undefined;
      if (this.dirty) this.schedule();
    });
  }

  /**
   * One write; a failure is recorded and retried later, never thrown. It
   * starts a while after the last one: as long as the last one took, times
   * WRITE_GAP_FACTOR (nothing for a small map). A burst arriving as many
   * calls (ApplyCables batches of 500, back to back) then costs a few
   * serialisations of the whole map, not one per call, whose total grew with
   * the square of the cables (issue 15, P2: ~0.4 s of 5000 cables' burst).
   */
  private async write(): Promise<void> {
    const gap = Math.min(this.lastWriteMs * WRITE_GAP_FACTOR, MAX_WRITE_GAP_MS);
    await new Promise((r) => (gap >= 1 ? setTimeout(r, gap) : setImmediate(r)));
    this.dirty = false;
    this.writesStarted++;
    const started = performance.now();
    const text = JSON.stringify(Object.fromEntries(this.data));
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeFile(this.tmpPath, text, { mode: 0o600 });
      await rename(this.tmpPath, this.path);
    } catch (err) {
      await unlink(this.tmpPath).catch(() => undefined);
      this.failed(err as NodeJS.ErrnoException);
      return;
    } finally {
      this.lastWriteMs = performance.now() - started;
    }
    if (this.problemText !== undefined) this.setProblem(undefined);
    this.failures = 0;
  }

  private failed(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'error';
    const dir = dirname(this.path);
    const todo =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? `free space in ${dir} (or give the run directory's tmpfs more)`
        : code === 'EROFS'
          ? `${dir} is read-only: remount it read-write`
          : code === 'EACCES' || code === 'EPERM'
            ? `let the driver write to ${dir}`
            : `check ${dir}`;
    this.setProblem(
      `cannot write the driver state file ${this.path} (${code}): ${todo}; the driver keeps serving from memory and ` +
        'retries, but a driver restart now would forget the cables changed since the last good write',
    );
    const delay = Math.min((this.options.retryMs ?? 1000) * 2 ** this.failures, this.options.maxRetryMs ?? 15000);
    this.failures++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.schedule(), delay);
    this.retryTimer.unref();
  }

  private setProblem(problem: string | undefined): void {
    if (problem === this.problemText) return;
    this.problemText = problem;
    reportProblem(`state-store:${this.path}`, problem);
    this.options.onProblem?.(problem);
  }
}
