/**
 * Runs one cablectl invocation: parses the arguments, runs the command,
 * turns failures into one actionable line on stderr. Returns the exit code
 * (0 ok, 1 error, 2 usage) instead of exiting, so it can run in-process.
 * The gRPC client and the commands load only once a command is to run:
 * `--help` and usage errors need neither.
 */
import { type CliOptions, parseCliArgs, USAGE, UsageError } from './args.js';
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE, type CommandContext } from './context.js';

/** Where cablectl writes; process.stdout/stderr by default. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  now(): number;
}

const processIo: CliIo = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
  env: process.env,
  now: () => Date.now(),
};

export async function run(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliArgs(argv, io.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`cablectl: ${err.message}\nRun 'cablectl --help' for usage.`);
    return EXIT_USAGE;
  }
  if (options.command === 'help') {
    io.out(USAGE);
    return EXIT_OK;
  }
  const [{ describeError, EngineClients }, { commands }] = await Promise.all([
    import('./client.js'),
    import('./commands/index.js'),
  ]);
  const clients = new EngineClients(options.target, options.tls);
  const ctx: CommandContext = { options, clients, out: io.out, err: io.err, now: io.now };
  try {
    return await commands[options.command](ctx);
  } catch (err) {
    io.err(`cablectl: ${describeError(err, options)}`);
    return EXIT_ERROR;
  } finally {
    clients.close();
  }
}
