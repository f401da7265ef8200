/**
 * Guest-side process helpers: run a command (optionally inside a network
 * namespace) and get its exit code and output without throwing, start a
 * long-running one, and sleep.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';

/** Exit code and output of one command. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; never rejects (a timeout reads as code 124). */
export function sh(cmd: string, args: readonly string[], timeoutMs = 60000): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (err.killed ? 124 : typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? err.message : '') });
    });
  });
}

/** Runs a command that must succeed; throws with its stderr otherwise. */
export async function must(cmd: string, args: readonly string[], timeoutMs = 60000): Promise<string> {
  const o = await sh(cmd, args, timeoutMs);
  if (o.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${o.code}: ${o.stderr.trim() || o.stdout.trim()}`);
  return o.stdout;
}

/** `ip netns exec <ns> cmd args...`, never rejecting. */
export function inNs(ns: string, cmd: string, args: readonly string[], timeoutMs = 60000): Promise<Outcome> {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs);
}

/** Starts `cmd` inside `ns` in the background; stdout and stderr are collected. */
export function startInNs(
  ns: string,
  cmd: string,
  args: readonly string[],
): { child: ChildProcess; output: () => string } {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** Sends SIGINT (then SIGKILL after `graceMs`) and waits for exit. */
export async function stopChild(child: ChildProcess, graceMs = 10000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGINT');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until true; throws naming `what` after `timeoutMs` (the host tests' helper). */
export { waitFor as until } from '../../../lab/netns.js';

/** `ip xfrm state` output without the key lines (aead, enc, auth...): results are kept in the run folder. */
export function withoutKeys(xfrmState: string): string {
  return xfrmState
    .split('\n')
    .filter((l) => !/^\s*(aead|enc|auth|auth-trunc|comp)\s/.test(l))
    .join('\n');
}
