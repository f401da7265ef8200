/**
 * `scripts/demo.sh` as a new user starts it: the install and build it runs
 * first must show progress, not a silent minute. The real demo.sh and
 * install-deps.sh run with stand-ins on PATH: `npm` that takes 7 s per call
 * without printing anything (as `npm ci --loglevel=error` and tsc do), and
 * `ip` that fails, so the demo stops right after the install, before it
 * touches any namespace. What is checked is the order in which lines reach
 * the terminal, not wall-clock figures. Runs as root (install-deps.sh needs it).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir } from '../../../lab/fs-helpers.js';
import { canUseNetns } from '../../../lab/netns.js';

const DEMO = fileURLToPath(new URL('../../../../scripts/demo.sh', import.meta.url));

interface Chunk {
  at: number;
  text: string;
}

describe('scripts/demo.sh shows progress while it installs and builds (integration, root)', function () {
  this.timeout(300000);
  let stubs: string;

  before(async function () {
    if (!canUseNetns()) throw new Error('install-deps.sh needs root');
    stubs = await mkdtemp(join(tmpdir(), 'cabled-demo-stubs-'));
    await writeFile(
      join(stubs, 'npm'),
      `#!/bin/sh\necho "$*" >> "${join(stubs, 'npm-calls')}"\nsleep 7\necho "STUB-NPM-FINISHED $1" >&2\n`,
    );
    await writeFile(join(stubs, 'ip'), '#!/bin/sh\nexit 1\n');
    await chmod(join(stubs, 'npm'), 0o755);
    await chmod(join(stubs, 'ip'), 0o755);
  });

  after(() => {
    if (stubs) removeDir(stubs);
  });

  it('says what it installs before it starts, ticks while npm ci and the build run, and says how long each took', async () => {
    const chunks: Chunk[] = [];
    const started = Date.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', [DEMO], {
        stdio: ['ignore', 'pipe', 'pipe'],
        // CABLED_FORCE_NPM_CI: install-deps.sh skips npm ci when node_modules matches the lockfile.
        env: { ...process.env, PATH: `${stubs}:${process.env.PATH ?? ''}`, CABLED_LINT: '0', CABLED_FORCE_NPM_CI: '1' },
      });
      const take = (d: Buffer) => chunks.push({ at: Date.now() - started, text: d.toString() });
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      const timer = setTimeout(() => child.kill('SIGKILL'), 240000);
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    const output = chunks.map((c) => c.text).join('');
    assert.notEqual(code, 0, 'the stand-in ip stops the demo after the install');
    assert.deepEqual((await readFile(join(stubs, 'npm-calls'), 'utf8')).trim().split('\n'), [
      'ci --no-audit --no-fund --loglevel=error',
      'run --silent build',
    ]);

    // Position of a text in the stream, failing with the whole output when absent.
    const pos = (needle: string | RegExp, from = 0): number => {
      const rest = output.slice(from);
      const i = typeof needle === 'string' ? rest.indexOf(needle) : rest.search(needle);
      assert.ok(i >= 0, `${String(needle)} in:\n${output}`);
      return from + i;
    };
    const intro = pos('install what the demo needs');
    const npmLabel = pos('== npm ci', intro);
    const npmTick = pos('.', npmLabel);
    const npmDone = pos('STUB-NPM-FINISHED ci', npmLabel);
    const npmTook = pos(/ done in \d+ s/, npmDone);
    const buildLabel = pos('== build', npmTook);
    const buildTick = pos('.', buildLabel);
    const buildDone = pos('STUB-NPM-FINISHED run', buildLabel);
    pos(/ done in \d+ s/, buildDone);
    assert.ok(npmTick < npmDone, 'a tick while npm ci runs');
    assert.ok(buildTick < buildDone, 'a tick while the build runs');
    // Nothing of the demo's own steps ran with the stand-in ip beyond its first command.
    assert.match(output, /two 'gateway nodes'/);
  });
});
