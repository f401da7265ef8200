/**
 * A driver's memory of the cables it installed, kept as one JSON file in its
 * run directory (tmpfs: it lives exactly as long as the kernel state it
 * describes). A restarted driver reads it back, so GetActiveConnections tells
 * the truth and the engine can remove cables that went away while it was down.
 * Writes are atomic (temp file + rename) and coalesced: many changes in a
 * burst cost a few writes, and `flush()` waits for the last one.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export class StateStore<T> {
  private data = new Map<string, T>();
  private writing: Promise<void> | undefined;
  private pending = false;

  constructor(readonly path: string) {}

  /** Loads the file; a missing file is an empty store. A corrupt one is reported. */
  async load(): Promise<void> {
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

  /** Resolves when everything set so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private schedule(): void {
    if (this.writing !== undefined) {
      this.pending = true;
      return;
    }
    this.writing = this.write().finally(() => {
      this.writing = undefined;
      if (this.pending) {
        this.pending = false;
        this.schedule();
      }
    });
  }

  private async write(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(Object.fromEntries(this.data), null, 1);
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
