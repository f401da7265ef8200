#!/usr/bin/env node
/** The libreswan cable driver process: serves cabled.driver.v1 on the socket the engine names. */
import { openNetlink, openXfrm } from '../../src/lib/netlink/index.js';
import { serveDriver } from '../../src/sdk/serve.js';
import { LibreswanDriver } from './driver.js';

serveDriver(
  'libreswan',
  (context) => new LibreswanDriver(context, { netlink: () => openNetlink(), xfrm: () => openXfrm() }),
).catch((err: unknown) => {
  process.stderr.write(`libreswan driver: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
