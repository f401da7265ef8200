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
  type Endpoint,
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

/** How a repair's reason begins: the rest is repairReason(). */
export const REPAIR_PREFIX = 'repair: ';

/** Why a cable the driver reports in error is repaired: its status message. */
export function repairReason(have: Connection): string {
  return have.statusMessage || 'driver reports an error';
}

/** What differs between an installed cable and the wanted one, or '' when nothing does. */
function difference(have: Connection, want: NatEndpointInfo): string {
  if (have.status === ConnectionStatus.CONNECTION_STATUS_ERROR) return REPAIR_PREFIX + repairReason(have);
  if (have.usingIp !== want.useIp) return `remote IP changed from ${have.usingIp} to ${want.useIp}`;
  if (have.usingNat !== want.useNat) return `NAT changed to ${want.useNat}`;
  return sameSpec(have.endpoint!, want.endpoint!) ? '' : 'endpoint spec changed';
}

/**
 * The same endpoint spec: every field equal, subnets in any order, the
 * backend config as a map. Field by field, without serialising: a periodic
 * resync compares every installed cable (1000s) on the engine's event loop.
 */
export function sameSpec(a: Endpoint, b: Endpoint): boolean {
  return (
    (a.clusterId ?? '') === (b.clusterId ?? '') &&
    (a.cableName ?? '') === (b.cableName ?? '') &&
    (a.hostname ?? '') === (b.hostname ?? '') &&
    (a.privateIp ?? '') === (b.privateIp ?? '') &&
    (a.publicIp ?? '') === (b.publicIp ?? '') &&
    Boolean(a.natEnabled) === Boolean(b.natEnabled) &&
    (a.backend ?? '') === (b.backend ?? '') &&
    (a.healthCheckIp ?? '') === (b.healthCheckIp ?? '') &&
    sameSubnets(a.subnets ?? [], b.subnets ?? []) &&
    sameConfig(a.backendConfig ?? {}, b.backendConfig ?? {})
  );
}

function sameSubnets(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  let inOrder = true;
  for (let i = 0; i < a.length && inOrder; i++) inOrder = a[i] === b[i];
  if (inOrder) return true;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((s, i) => s === y[i]);
}

function sameConfig(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
