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

export function cableStatus(
  cable: CableKernelView,
  state: OverlayState,
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
    state.fdbDsts.includes(cable.remoteIp),
    'FDB entry missing',
  );
  const routed = new Set(state.routes.find((r) => r.vtep === cable.vtep)?.subnets ?? []);
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
