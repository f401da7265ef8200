/**
 * Run inside a namespace by the labeler integration tests: subscribes to link
 * events, then adds and removes a device with `ip link`, and prints how many
 * events arrived for each step as one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { watchLinkEvents } from '../../../src/lib/netlink/index.js';

let events = 0;
const sub = watchLinkEvents(() => events++);
const waitForEvent = async (after: number): Promise<number> => {
  const deadline = Date.now() + 5000;
  while (events === after && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return events - after;
};
execFileSync('ip', ['link', 'add', 'name', 'kbd0', 'type', 'veth', 'peer', 'name', 'kbd1']);
const added = await waitForEvent(0);
const before = events;
execFileSync('ip', ['link', 'del', 'kbd0']);
const removed = await waitForEvent(before);
sub.close();
process.stdout.write(`${JSON.stringify({ added: added > 0, removed: removed > 0 })}\n`);
