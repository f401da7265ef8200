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
};

export const DEFAULT_DRIVER = 'vxlan';

export function knownDrivers(): string[] {
  return Object.keys(DRIVERS);
}

/** How to start the named driver as a child process of this node. */
export function driverLaunch(name: string): DriverLaunch {
  const entry = DRIVERS[name];
  if (!entry) {
    throw new InvalidArgumentError(`unknown cable driver "${name}"; supported drivers: ${knownDrivers().join(', ')}`);
  }
  return { kind: 'spawn', command: process.execPath, args: [distRoot + entry.main] };
}
