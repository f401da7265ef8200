/**
 * Runs a host command for the harness (argument arrays, never a shell
 * string), with a working directory and a timeout; rejects with the command,
 * why it failed and its stderr.
 */
import { execFile } from 'node:child_process';

/** Options of {@link exec}. */
export interface ExecOptions {
  cwd?: string;
  /** @default 60000 */
  timeoutMs?: number;
  input?: string;
}

/** Runs `cmd args...`; resolves with stdout. */
export function exec(cmd: string, args: readonly string[], options: ExecOptions = {}): Promise<string> {
  const timeout = options.timeoutMs ?? 60000;
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      [...args],
      { cwd: options.cwd, timeout, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const why = err.killed ? `timed out after ${timeout} ms` : `exit ${String(err.code)}`;
          reject(new Error(`${cmd} ${args.join(' ')}: ${why}: ${stderr.trim() || err.message}`, { cause: err }));
        } else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
