/**
 * Test scaffolding for real network namespaces: create and destroy them, wire
 * veth pairs, read kernel state with iproute2's JSON output, and run a
 * compiled Node script inside a namespace (a Node process cannot setns, so
 * `ip netns exec <ns> node <script> <json>` runs it and prints JSON back).
 * Commands always get argument arrays, never a shell string.
 */
import { execFile } from 'node:child_process';

/** Result of one command. */
export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs a command; rejects with its stderr and exit status when it fails or exceeds `timeoutMs`. */
export function run(cmd: string, args: readonly string[], timeoutMs = 15000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const why = err.killed ? `timed out after ${timeoutMs} ms` : `exit ${String(err.code)}`;
        reject(new Error(`${cmd} ${args.join(' ')}: ${why}: ${stderr.trim() || err.message}`, { cause: err }));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/** Namespace names unique to this test process: `cbt-nl-<pid>-<tag>`. */
export function nsName(tag: string): string {
  return `cbt-nl-${process.pid}-${tag}`;
}

/** True where namespace tests can run (Linux, root). */
export function canUseNetns(): boolean {
  return process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Creates a namespace with lo up. */
export async function createNetns(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Deletes a namespace (and with it every device in it); absent is fine. */
export async function deleteNetns(name: string): Promise<void> {
  try {
    await run('ip', ['netns', 'del', name]);
  } catch (err) {
    if (!/No such file|Cannot remove namespace file/.test(String(err))) throw err;
  }
}

/** `ip -n <ns> <args...>`; returns stdout. */
export async function ip(ns: string, ...args: string[]): Promise<string> {
  return (await run('ip', ['-n', ns, ...args])).stdout;
}

/** `ip -j -n <ns> <args...>`, parsed; empty output reads as []. */
export async function ipJson<T = unknown>(ns: string, ...args: string[]): Promise<T> {
  const out = (await run('ip', ['-j', '-n', ns, ...args])).stdout.trim();
  return JSON.parse(out || '[]') as T;
}

/** `bridge -j -n <ns> <args...>`, parsed; empty output reads as []. */
export async function bridgeJson<T = unknown>(ns: string, ...args: string[]): Promise<T> {
  const out = (await run('bridge', ['-j', '-n', ns, ...args])).stdout.trim();
  return JSON.parse(out || '[]') as T;
}

/** Runs a command inside a namespace (`ip netns exec`). */
export function nsExec(ns: string, cmd: string, args: readonly string[], timeoutMs?: number): Promise<CommandResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs);
}

/** Reads a sysctl (dotted key) inside a namespace. */
export async function nsSysctl(ns: string, key: string): Promise<string> {
  return (await nsExec(ns, 'cat', [`/proc/sys/${key.split('.').join('/')}`])).stdout.trim();
}

/** One end of a veth pair. */
export interface VethEnd {
  ns: string;
  name: string;
  /** Address with prefix, e.g. "192.168.250.1/24". */
  cidr?: string;
  mtu?: number;
}

/** Creates a veth pair between two namespaces, addresses both ends and sets them up. */
export async function connectVeth(a: VethEnd, b: VethEnd): Promise<void> {
  await run('ip', ['-n', a.ns, 'link', 'add', a.name, 'type', 'veth', 'peer', 'name', b.name, 'netns', b.ns]);
  for (const end of [a, b]) {
    if (end.mtu) await ip(end.ns, 'link', 'set', end.name, 'mtu', String(end.mtu));
    if (end.cidr) await ip(end.ns, 'addr', 'add', end.cidr, 'dev', end.name);
    await ip(end.ns, 'link', 'set', end.name, 'up');
  }
}

/**
 * Runs `node <script> <json input>` inside a namespace and parses the last
 * stdout line as JSON. Rejects when the script exits non-zero.
 */
export async function runNodeInNetns<T>(ns: string, script: string, input: unknown, timeoutMs = 15000): Promise<T> {
  const { stdout } = await nsExec(ns, process.execPath, [script, JSON.stringify(input)], timeoutMs);
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${script} in ${ns} printed no JSON result: ${JSON.stringify(stdout)}`);
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; then throws naming `what`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
