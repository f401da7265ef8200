/**
 * The reconcile decision, as a pure function: given the desired cables and
 * the connections the driver reports as installed, what to disconnect and
 * what to connect. Running it on its own result gives no actions, which is
 * what makes reconcile idempotent. A cable the driver reports in error (when
 * the caller passes refreshed connections) is connected again: Connect is
 * idempotent, so this repairs drift such as a route someone deleted.
 */
import {
  ConnectionStatus,
  Endpoint,
  type Connection,
  type NatEndpointInfo,
} from '../generated/cabled/driver/v1/driver.js';
import type { DesiredCable } from './desired-state.js';

export type ReconcileAction =
  | { kind: 'disconnect'; endpoint: Endpoint; reason: string }
  | { kind: 'connect'; remote: NatEndpointInfo; reason: string };

export function planReconcile(
  desired: ReadonlyMap<string, DesiredCable>,
  active: readonly Connection[],
): ReconcileAction[] {
  const disconnects: ReconcileAction[] = [];
  const connects: ReconcileAction[] = [];
  const installed = new Map<string, Connection>();
  for (const c of active) {
    const ep = c.endpoint;
    if (!ep) continue;
    const want = desired.get(ep.clusterId);
    if (!want)
      disconnects.push({ kind: 'disconnect', endpoint: ep, reason: `cluster ${ep.clusterId} is no longer desired` });
    else if (want.remote.endpoint?.cableName !== ep.cableName) {
      disconnects.push({
        kind: 'disconnect',
        endpoint: ep,
        reason: `replaced by newer endpoint ${want.remote.endpoint?.cableName}`,
      });
    } else installed.set(ep.cableName, c);
  }
  for (const want of desired.values()) {
    const ep = want.remote.endpoint;
    if (!ep) continue;
    const have = installed.get(ep.cableName);
    if (!have) connects.push({ kind: 'connect', remote: want.remote, reason: 'not installed' });
    else {
      const change = difference(have, want.remote);
      if (change) connects.push({ kind: 'connect', remote: want.remote, reason: change });
    }
  }
  return [...disconnects, ...connects];
}

/** What differs between an installed cable and the wanted one, or '' when nothing does. */
function difference(have: Connection, want: NatEndpointInfo): string {
  if (have.status === ConnectionStatus.CONNECTION_STATUS_ERROR)
    return `repair: ${have.statusMessage || 'driver reports an error'}`;
  if (have.usingIp !== want.useIp) return `remote IP changed from ${have.usingIp} to ${want.useIp}`;
  if (have.usingNat !== want.useNat) return `NAT changed to ${want.useNat}`;
  const a = JSON.stringify(Endpoint.toJSON(normalise(have.endpoint!)));
  const b = JSON.stringify(Endpoint.toJSON(normalise(want.endpoint!)));
  return a === b ? '' : 'endpoint spec changed';
}

function normalise(ep: Endpoint): Endpoint {
  const backendConfig = Object.fromEntries(Object.entries(ep.backendConfig).sort(([x], [y]) => x.localeCompare(y)));
  return { ...ep, subnets: [...ep.subnets].sort(), backendConfig };
}
