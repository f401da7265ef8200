/**
 * A veth pair from the test process's own network namespace into a test
 * namespace, so a process in the namespace can reach a server the test runs
 * (e.g. the fake Kubernetes API). Deleting the namespace removes both ends.
 */
import { ip, run } from '../../lab/netns.js';

/** One /30 link: `hostIp` on the host end `hostIf`, `nsIp` on `nsIf` inside `ns`. */
export interface HostLink {
  readonly ns: string;
  readonly hostIf: string;
  readonly hostIp: string;
  readonly nsIf: string;
  readonly nsIp: string;
}

/** Creates, addresses (/30) and sets up both ends. */
export async function linkToHost(l: HostLink): Promise<void> {
  await run('ip', ['link', 'add', 'name', l.hostIf, 'type', 'veth', 'peer', 'name', l.nsIf, 'netns', l.ns]);
  await run('ip', ['addr', 'add', `${l.hostIp}/30`, 'dev', l.hostIf]);
  await run('ip', ['link', 'set', l.hostIf, 'up']);
  await ip(l.ns, 'addr', 'add', `${l.nsIp}/30`, 'dev', l.nsIf);
  await ip(l.ns, 'link', 'set', l.nsIf, 'up');
}
