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
 * after installing 1000 VXLAN cables, at the same speed). The VXLAN driver
 * also gets --optimize-for-size: the old generation grows less ahead of its
 * live data (~14 MB at 1000 cables; RSS 98 -> 80 MB). Not the libreswan
 * driver: its 1000-cable burst took 6.7-7.3 s with it against 4.8-5.5 s
 * without (issue 15, P1).
 */
const DRIVER_NODE_FLAGS = ['--max-semi-space-size=2'];
const EXTRA_NODE_FLAGS: Record<string, string[]> = { vxlan: ['--optimize-for-size'] };

/** How to start the named driver as a child process of this node. */
export function driverLaunch(name: string): DriverLaunch {
  const entry = DRIVERS[name];
  if (!entry) {
    throw new InvalidArgumentError(`unknown cable driver "${name}"; supported drivers: ${knownDrivers().join(', ')}`);
  }
  return {
    kind: 'spawn',
    command: process.execPath,
    args: [...DRIVER_NODE_FLAGS, ...(EXTRA_NODE_FLAGS[name] ?? []), distRoot + entry.main],
  };
}
