/** Counts of a hostile-input suite, printed at its end: tried, rejected, crashed. */
export class Tally {
  tried = 0;
  rejected = 0;
  crashed = 0;
  readonly crashes: string[] = [];

  constructor(readonly name: string) {}

  /** Runs one input: `false` from `attempt` or a thrown `isRejection` error counts as rejected; anything else thrown is a crash. */
  async run(attempt: () => boolean | Promise<boolean>, isRejection: (err: unknown) => boolean): Promise<void> {
    this.tried++;
    try {
      if (!(await attempt())) this.rejected++;
    } catch (err) {
      if (isRejection(err)) {
        this.rejected++;
        return;
      }
      this.crashed++;
      if (this.crashes.length < 5) this.crashes.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
      throw err;
    }
  }

  line(): string {
    return `hostile inputs: ${this.name}: ${this.tried} tried, ${this.rejected} rejected, ${this.crashed} crashed`;
  }
}

/** Prints every tally of a suite (after the suite, so the figures are in the CI log). */
export function printTallies(tallies: readonly Tally[]): void {
  for (const t of tallies) process.stdout.write(`      ${t.line()}\n`);
  const sum = (k: 'tried' | 'rejected' | 'crashed') => tallies.reduce((n, t) => n + t[k], 0);
  process.stdout.write(
    `      hostile inputs: total: ${sum('tried')} tried, ${sum('rejected')} rejected, ${sum('crashed')} crashed\n`,
  );
}
