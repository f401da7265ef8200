/**
 * P2's floor: the VXLAN driver's own kernel writes and nothing else. In the
 * namespace it is started in (vxlan-lab.ts's overlayOnlyRun, with the
 * driver's V8 flags, a fresh process as the driver is), it sets up the VXLAN
 * device, then installs `count` remotes through VxlanOverlay and the netlink
 * adapter in batches of the engine's batch size, as the driver does for
 * ApplyCables: no engine, no endpoints file, no gRPC, no status. Prints
 * `{"ms": N}`, from the first batch's planning to the last batch's
 * acknowledgements (the batch tools' clock likewise ends at their exit).
 *   ip netns exec NS node <driver flags> dist/bench/overlay-only.js COUNT
 */
import { BATCH_SIZE } from '../src/engine/reconcile-apply.js';
import { openNetlink } from '../src/lib/netlink/index.js';
import { VxlanOverlay } from '../src/overlay/index.js';
import { LOCAL_IP, remotes } from './vxlan-lab.js';

const count = Number(process.argv[2]);
if (!Number.isInteger(count) || count < 1) throw new Error('usage: overlay-only.js COUNT');
const overlay = new VxlanOverlay({ localIp: LOCAL_IP, port: 4500 }, { netlink: openNetlink({ timeoutMs: 30000 }) });
await overlay.ensureDevice();
await overlay.setUp();
const specs = remotes(count).map((r) => ({ spec: { remoteIp: r.ip, remoteVtepSourceIp: r.ip, subnets: [r.subnet] } }));
const started = performance.now();
for (let i = 0; i < specs.length; i += BATCH_SIZE) {
  const outcomes = await overlay.applyRemotes([], specs.slice(i, i + BATCH_SIZE));
  const failed = outcomes.find((o) => o instanceof Error);
  if (failed) throw failed;
}
console.log(JSON.stringify({ ms: performance.now() - started }));
process.exit(0);
