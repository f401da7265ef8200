/**
 * Test scaffolding for the cabled container image: builds it (or reuses it)
 * with scripts/build-image.sh, and runs podman with the configuration that
 * script writes (runc, ulimits within this machine's limits). Containers are
 * named by the caller (unique per test process) and removed by `removeContainer`.
 * Argument arrays only, a timeout on every call.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/helpers/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CACHE = process.env.CABLED_IMAGE_CACHE ?? '/var/cache/cabled';
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The image scripts/build-image.sh builds: localhost/cabled:<package.json version> unless CABLED_IMAGE says otherwise. */
export const IMAGE = process.env.CABLED_IMAGE ?? `localhost/cabled:${VERSION}`;
export const IMAGE_REPOSITORY = IMAGE.slice(0, IMAGE.lastIndexOf(':'));
export const IMAGE_TAG = IMAGE.slice(IMAGE.lastIndexOf(':') + 1);

/** Result of a command that may fail: exit code and both streams. */
export interface Exited {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: readonly string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<Exited> {
  return new Promise((resolveRun, reject) => {
    execFile(
      cmd,
      [...args],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        if (err && (err.killed || typeof err.code !== 'number')) {
          reject(
            new Error(`${cmd} ${args.join(' ')}: ${err.killed ? `timed out after ${timeoutMs} ms` : err.message}`),
          );
          return;
        }
        resolveRun({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

const PODMAN_ENV = { CONTAINERS_CONF: join(CACHE, 'podman', 'containers.conf') };

/** `podman <args>`; resolves with the exit code whatever it is (rejects only on timeout or when podman cannot start). */
export function podmanExit(args: readonly string[], timeoutMs = 60_000): Promise<Exited> {
  return exec('podman', args, timeoutMs, PODMAN_ENV);
}

/** `podman <args>`; rejects with podman's stderr when it exits non-zero. */
export async function podman(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const r = await podmanExit(args, timeoutMs);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/**
 * Builds the image from the dist/ these tests run from, or reuses it when its
 * inputs have not changed (scripts/build-image.sh --no-build); returns the script's output.
 */
export async function ensureImage(timeoutMs = 20 * 60_000): Promise<string> {
  const r = await exec('bash', [join(ROOT, 'scripts', 'build-image.sh'), '--no-build'], timeoutMs);
  if (r.code !== 0) throw new Error(`scripts/build-image.sh failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Removes a container whatever its state; absent is fine. */
export async function removeContainer(name: string): Promise<void> {
  await podmanExit(['rm', '--force', '--time', '5', name], 60_000);
}

/** The container's state (`running`, `exited`, ...) and exit code; undefined when there is no such container. */
export async function containerState(name: string): Promise<{ status: string; exitCode: number } | undefined> {
  const r = await podmanExit([
    'inspect',
    '--type',
    'container',
    '--format',
    '{{.State.Status}} {{.State.ExitCode}}',
    name,
  ]);
  if (r.code !== 0) return undefined;
  const [status = '', code = ''] = r.stdout.trim().split(' ');
  return { status, exitCode: Number(code) };
}

/** The container's output (stdout and stderr), for failure reports. */
export async function containerLogs(name: string, tail = 80): Promise<string> {
  const r = await podmanExit(['logs', '--tail', String(tail), name]);
  return `${r.stdout}${r.stderr}`;
}
