/**
 * The status of one VXLAN cable, from what the kernel holds right now: the
 * device up, the FDB entry towards the remote, a route per remote subnet via
 * the remote VTEP. "connected" means all of that was read back; it says
 * nothing about encryption (there is none) or reachability (the health
 * checker probes that).
 */
import {
  ConnectionStatus,
  IkeState,
  SaState,
  type SecurityAssociation,
} from '../../src/generated/cabled/driver/v1/driver.js';
import type { OverlayState } from '../../src/overlay/index.js';

export interface CableKernelView {
  remoteIp: string;
  vtep: string;
  subnets: string[];
  deviceName: string;
}

/** The overlay state indexed for lookups by remote (built once per status refresh, not once per cable). */
export interface IndexedOverlayState {
  device: OverlayState['device'];
  fdbDsts: ReadonlySet<string>;
  routesByVtep: ReadonlyMap<string, ReadonlySet<string>>;
}

export function indexOverlayState(state: OverlayState): IndexedOverlayState {
  const routesByVtep = new Map<string, Set<string>>();
  for (const r of state.routes) {
    const set = routesByVtep.get(r.vtep) ?? new Set<string>();
    for (const s of r.subnets) set.add(s);
    routesByVtep.set(r.vtep, set);
  }
  return { device: state.device, fdbDsts: new Set(state.fdbDsts), routesByVtep };
}

/**
 * What cableStatus reads of the kernel for one cable, as a short string: the
 * device (up, down or missing, and its name), the FDB entry, and which of the
 * subnets are routed. Two readings with the same signature, of the same
 * cable record, give the same status: the driver then keeps the connection
 * it built before (the watch compares it by identity, nothing is allocated).
 */
export function cableSignature(cable: CableKernelView, state: IndexedOverlayState): string {
  const device = state.device;
  const routed = state.routesByVtep.get(cable.vtep);
  let sig = `${device ? (device.up ? 'u' : 'd') : 'm'}${state.fdbDsts.has(cable.remoteIp) ? 'f' : '-'}`;
  for (const subnet of cable.subnets) sig += routed?.has(subnet) ? 'r' : '-';
  return `${sig}${cable.deviceName}`;
}

export function cableStatus(
  cable: CableKernelView,
  state: IndexedOverlayState,
): { status: ConnectionStatus; message: string; sas: SecurityAssociation[] } {
  const sas: SecurityAssociation[] = [];
  const item = (name: string, kind: string, ok: boolean, missing: string): void => {
    sas.push({
      name,
      kind,
      state: ok ? SaState.SA_STATE_ESTABLISHED : SaState.SA_STATE_ABSENT,
      message: ok ? '' : missing,
      rxBytes: 0,
      txBytes: 0,
      ikeState: IkeState.IKE_STATE_UNSPECIFIED,
      ikePeer: '',
    });
  };
  const device = state.device;
  item(`device ${cable.deviceName}`, 'vxlan-device', !!device?.up, device ? 'device is down' : 'device is missing');
  item(
    `fdb 00:00:00:00:00:00 dst ${cable.remoteIp}`,
    'vxlan-fdb',
    state.fdbDsts.has(cable.remoteIp),
    'FDB entry missing',
  );
  const routed = state.routesByVtep.get(cable.vtep) ?? new Set<string>();
  for (const subnet of cable.subnets)
    item(`route ${subnet} via ${cable.vtep}`, 'route', routed.has(subnet), 'route missing');

  const missing = sas.filter((s) => s.state !== SaState.SA_STATE_ESTABLISHED);
  if (missing.length === 0) {
    return {
      status: ConnectionStatus.CONNECTION_STATUS_CONNECTED,
      message: `FDB entry and ${cable.subnets.length} route(s) in place via ${cable.vtep} (VXLAN, not encrypted)`,
      sas,
    };
  }
  return {
    status: ConnectionStatus.CONNECTION_STATUS_ERROR,
    message: `kernel state incomplete: ${missing.map((s) => `${s.name}: ${s.message}`).join('; ')}; the engine's next resync reinstalls it`,
    sas,
  };
}
