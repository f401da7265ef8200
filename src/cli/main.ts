#!/usr/bin/env node
/**
 * cablectl: the command line client of the cabled engine API. See
 * `cablectl --help`; the work happens in run.ts.
 */
import { run } from './run.js';

// `cablectl watch | head -1`: a closed pipe ends us quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `cablectl: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
