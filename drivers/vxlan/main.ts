#!/usr/bin/env node
/** The VXLAN cable driver process: serves cabled.driver.v1 on the socket the engine names. */
import { openNetlink } from '../../src/lib/netlink/index.js';
import { serveDriver } from '../../src/sdk/serve.js';
import { VxlanDriver } from './driver.js';

serveDriver('vxlan', (context) => new VxlanDriver(context, () => openNetlink())).catch((err: unknown) => {
  process.stderr.write(`vxlan driver: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
