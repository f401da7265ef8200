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

// grpc-js sends the --address host as TLS server name even when it is an IP address,
// which Node warns about (DEP0123) on every TLS connection: noise in a CLI's output.
process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  if (warning.code !== 'DEP0123') process.stderr.write(`cablectl: ${warning.name}: ${warning.message}\n`);
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
