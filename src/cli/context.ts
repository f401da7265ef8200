/**
 * What every cablectl command gets: the parsed options, the engine clients,
 * and where to write. Commands return their exit code.
 */
import type { CliOptions } from './args.js';
import type { EngineClients } from './client.js';

export interface CommandContext {
  options: CliOptions;
  clients: EngineClients;
  /** Writes a line (or lines) to stdout. */
  out(text: string): void;
  /** Writes a line to stderr. */
  err(text: string): void;
  /** The current time, unix ms (fixed in tests). */
  now(): number;
}

/** A cablectl command: resolves with the process exit code; throws for errors. */
export type Command = (ctx: CommandContext) => Promise<number>;

/** Exit codes. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
