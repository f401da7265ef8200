/**
 * pluto lifecycle for the libreswan driver: own mode (start and supervise
 * pluto) and host mode (use the host's pluto, touch nothing of it), behind
 * one PlutoHandle interface.
 */
export * from './detect.js';
export * from './files.js';
export * from './handle.js';
export * from './host.js';
export * from './log-tail.js';
export * from './own.js';
export * from './secrets.js';

import type { Logger } from '../../../src/lib/logger.js';
import type { PlutoHandle } from './handle.js';
import { HostPluto } from './host.js';
import { OwnPluto } from './own.js';

/** Settings of createPluto (from ceIPSecPlutoMode / ceIPSecPlutoSocket / ceIPSecDebug). */
export interface PlutoSettings {
  plutoMode: 'own' | 'host';
  /** host mode: the host pluto's ctl socket. */
  plutoSocket?: string;
  /** own mode: directory for pluto's files. @default /run/cabled/pluto */
  ownDir?: string;
  /** host mode: @default /etc/ipsec.d */
  ipsecDir?: string;
  debug?: boolean;
  logger?: Logger;
}

/** The handle for the configured mode (not started: call ready()). */
export function createPluto(settings: PlutoSettings): PlutoHandle {
  if (settings.plutoMode === 'host') {
    return new HostPluto({
      socket: settings.plutoSocket ?? '/run/pluto/pluto.ctl',
      ipsecDir: settings.ipsecDir ?? '/etc/ipsec.d',
      ...(settings.logger ? { logger: settings.logger } : {}),
    });
  }
  return new OwnPluto({
    dir: settings.ownDir ?? '/run/cabled/pluto',
    ...(settings.debug !== undefined ? { debug: settings.debug } : {}),
    ...(settings.logger ? { logger: settings.logger } : {}),
  });
}
