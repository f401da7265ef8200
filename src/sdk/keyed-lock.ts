/**
 * Serialises work per key (one cable at a time), while different keys run
 * side by side; `exclusive()` waits for everything and holds out everyone
 * (Init and Cleanup change the whole datapath).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();
  private exclusiveTail: Promise<void> = Promise.resolve();
  private readonly running = new Set<Promise<void>>();

  /** Runs `fn` after earlier work on `key` and any pending exclusive work. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const gate = this.exclusiveTail;
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = Promise.all([gate, prev]).then(fn);
    const done = result.then(noop, noop);
    this.tails.set(key, done);
    this.running.add(done);
    void done.then(() => {
      this.running.delete(done);
      if (this.tails.get(key) === done) this.tails.delete(key);
    });
    return result;
  }

  /** Runs `fn` alone: after all started work, before any work started later. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const before = Promise.all([this.exclusiveTail, ...this.running]);
    const result = before.then(fn);
    this.exclusiveTail = result.then(noop, noop);
    return result;
  }
}

function noop(): void {}
