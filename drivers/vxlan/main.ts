#!/usr/bin/env node
/** The VXLAN cable driver process: serves cabled.driver.v1 on the socket the engine names. */
import { openNetlink } from '../../src/lib/netlink/index.js';
import { serveDriver } from '../../src/sdk/serve.js';
import { VxlanDriver } from './driver.js';

// Its cables change only when the engine or someone else changes the kernel: a watcher's refresh (every
// cable read back) waits 2 s after a change, doubling to 16 s while nothing changes (issue 15, P4).
serveDriver('vxlan', (context) => new VxlanDriver(context, () => openNetlink()), {
  watchMaxIntervalMs: 16000,
}).catch((err: unknown) => {
  process.stderr.write(`vxlan driver: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
