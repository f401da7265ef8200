/**
 * The cable drivers cabled knows how to start, in one list. The default driver
 * is a config value (--driver), not whichever module loaded last. An unknown
 * name is an error that lists the known ones.
 */
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../lib/errors.js';
import type { DriverLaunch } from './driver-host/supervisor.js';

/** dist/src/engine/ -> dist/ */
const distRoot = fileURLToPath(new URL('../../', import.meta.url));

const DRIVERS: Record<string, { main: string; description: string }> = {
  vxlan: { main: 'drivers/vxlan/main.js', description: 'plain VXLAN, no encryption' },
  libreswan: {
    main: 'drivers/libreswan/main.js',
    description: 'IPsec with libreswan: tunnel mode, or VXLAN over transport mode',
  },
};

export const DEFAULT_DRIVER = 'vxlan';

export function knownDrivers(): string[] {
  return Object.keys(DRIVERS);
}

/** One line per driver, for --help. */
export function driversUsage(): string {
  const width = Math.max(...knownDrivers().map((n) => n.length)) + 2;
  return Object.entries(DRIVERS)
    .map(([name, d]) => `  ${name.padEnd(width)}${d.description}${name === DEFAULT_DRIVER ? ' (default)' : ''}\n`)
    .join('');
}

/**
 * V8 flags for driver processes: a small young generation keeps a driver's
 * RSS close to its live data after a burst of work (measured: 106 -> 89 MB
 * after installing 1000 VXLAN cables, at the same speed). Not smaller for
 * the libreswan driver, and not --optimize-for-size: its 1000-cable burst
 * took 6.7-7.3 s with that against 4.8-5.5 s without (issue 15, P1). The
 * VXLAN driver holds ~12 MB of live heap at 1000 cables (most of it code and
 * module sources), so it gets the memory-lean set: --optimize-for-size (the
 * old generation grows less ahead of its live data: 77-78 -> 69-70 MB RSS),
 * a 1 MB young generation, and --expose-gc, with which the SDK runs one full
 * collection once the driver is quiet after an ApplyCables (sdk/heap-trim.ts):
 * 67.7 MB in both rounds against 69-70 MB, same speed (2026-12-01, 22:07 UTC).
 * And --lite-mode (V8 without its optimising compilers, no WebAssembly): the
 * node binary's compiler code is never paged in and no optimised code is
 * kept, 66-72 -> 57-58.5 MB at 1000 cables (five rounds each, interleaved,
 * 2026-12-02 00:57-01:11 UTC); the time to install 1000 or 5000 cables did
 * not change beyond the machine's noise (it is garbage collection, the
 * kernel and gRPC, not optimised JavaScript). --no-opt alone: 58.7-60.6 MB.
 * The young generation may grow to 4 MB (semi-space) during a burst: V8
 * starts it small and grows it only while much survives, and the heap trim
 * after the burst shrinks it again. 1000 cables installed in 498 ms
 * (410-632) against 663 ms (556-876) with 1 MB, RSS holding them 57.6 MB
 * (56.8-59.5) against 56.7 MB (56.7-57.9); five interleaved rounds each,
 * 2026-12-02 04:38-04:42 UTC (issue 15, P2; docs/benchmarks.md).
 */
const DRIVER_NODE_FLAGS: Record<string, string[]> = {
  vxlan: ['--max-semi-space-size=4', '--optimize-for-size', '--expose-gc', '--lite-mode'],
};
const DEFAULT_DRIVER_NODE_FLAGS = ['--max-semi-space-size=2'];

/** The V8 flags the named driver's process is started with. */
export function driverNodeFlags(name: string): string[] {
  return DRIVER_NODE_FLAGS[name] ?? DEFAULT_DRIVER_NODE_FLAGS;
}

/** How to start the named driver as a child process of this node. */
export function driverLaunch(name: string): DriverLaunch {
  const entry = DRIVERS[name];
  if (!entry) {
    throw new InvalidArgumentError(`unknown cable driver "${name}"; supported drivers: ${knownDrivers().join(', ')}`);
  }
  return {
    kind: 'spawn',
    command: process.execPath,
    args: [...driverNodeFlags(name), distRoot + entry.main],
  };
}
