/**
 * Which libreswan connections one remote endpoint needs, and which side
 * initiates them. Pure: the same inputs give the same plan on both gateways.
 *
 * Tunnel mode (Submariner's): one connection per (local subnet x remote
 * subnet), named `<cable>-<l>-<r>`, IKEv2 + PSK, ids = private IPs, per-side
 * IKE port from each endpoint's `udp-port`, UDP encapsulation when NAT is in
 * the way or forced. Submariner's preferred-server rule decides who initiates.
 *
 * VXLAN over transport mode (seed 004): two connections per remote with port
 * selectors and no subnets:
 *   `<cable>-0`: local udp/<vxlan port> <-> remote udp (any port)
 *   `<cable>-1`: local udp (any port)   <-> remote udp/<vxlan port>
 * Both gateways add both; only one initiates the pair (when both do,
 * libreswan builds duplicate Child SAs): the preferred server never
 * initiates, otherwise the gateway with the smaller cable name does. Only the
 * initiating side routes (installs trap policies): on the other side a trap
 * policy turns its first outgoing VXLAN packet into an on-demand initiation
 * (ACQUIRE), i.e. both sides initiate after all. Measured in the stock-kernel
 * guest: duplicate Child SAs, one side sending with an SPI the other never
 * installed, and a cable reported connected that carried nothing. The
 * responder stays fail-closed through its block policy, and pluto installs
 * its IPsec policies when the initiator's Child SAs arrive.
 */
import type { Endpoint, NatEndpointInfo } from '../../src/generated/cabled/driver/v1/driver.js';
import type { ConnectionSpec } from '../../src/lib/whack/index.js';
import type { LibreswanSettings } from './settings.js';

export type OperationMode = 'bidirectional' | 'server' | 'client';

export interface PlannedConnection {
  spec: ConnectionSpec;
  /** Whether this gateway installs the trap policies (`--route`): all but a tunnel-mode server. */
  route: boolean;
  /** Whether this gateway starts the negotiation. */
  initiate: boolean;
  /** What the connection carries, for status: e.g. "10.1.0.0/16 <-> 10.2.0.0/16", "udp/4789 -> remote". */
  carries: string;
}

/** Submariner's calculateOperationMode. */
export function operationMode(local: Endpoint, remote: Endpoint, localPreferred: boolean): OperationMode {
  const remoteFlag = remote.backendConfig['preferred-server'];
  const rightPreferred = remoteFlag === undefined ? undefined : remoteFlag === 'true';
  if (rightPreferred === undefined || (!localPreferred && !rightPreferred)) return 'bidirectional';
  if (localPreferred && !rightPreferred) return 'server';
  if (!localPreferred && rightPreferred) return 'client';
  return local.cableName > remote.cableName ? 'server' : 'client';
}

/** Submariner's extractSubnets: the endpoint's subnets minus its own private IP's /32 entries. */
export function cableSubnets(ep: Endpoint): string[] {
  return ep.subnets.filter((s) => !s.startsWith(`${ep.privateIp}/`));
}

function port(ep: Endpoint, fallback: number): number {
  const text = ep.backendConfig['udp-port'];
  const n = text === undefined ? NaN : Number(text);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : fallback;
}

export function planConnections(local: Endpoint, remote: NatEndpointInfo, s: LibreswanSettings): PlannedConnection[] {
  const ep = remote.endpoint!;
  const common = {
    ike: s.ike || undefined,
    esp: s.esp || undefined,
    pfs: s.pfs,
    encaps: remote.useNat || s.forceEncaps,
    nicOffload: s.nicOffload,
    dpdDelaySec: 30,
    retransmitIntervalMs: s.retransmitIntervalMs,
  };
  const localPort = port(local, s.ikePort);
  const remotePort = port(ep, s.ikePort);
  const localPreferred = s.preferredServer || local.backendConfig['preferred-server'] === 'true';

  if (s.mode === 'transport') {
    // No updown script: routing is the overlay's job (table 100), and pluto runs updown once per
    // --route, one at a time (~25 ms each): disabling it makes routing many connections cheap.
    Object.assign(common, { updown: '%disabled' });
    const mode = operationMode(local, ep, localPreferred);
    const initiate = mode === 'client' || (mode === 'bidirectional' && local.cableName < ep.cableName);
    const end = (e: Endpoint, host: string, ikePort: number, protoPort: string) => ({
      host,
      id: e.privateIp,
      ikePort,
      protoPort,
    });
    const vx = `udp/${s.vxlanPort}`;
    return [
      {
        spec: {
          name: `${ep.cableName}-0`,
          mode: 'transport',
          left: end(local, local.privateIp, localPort, vx),
          right: end(ep, remote.useIp, remotePort, 'udp'),
          ...common,
        },
        route: initiate,
        initiate,
        carries: `VXLAN from ${ep.cableName} (udp/${s.vxlanPort} here)`,
      },
      {
        spec: {
          name: `${ep.cableName}-1`,
          mode: 'transport',
          left: end(local, local.privateIp, localPort, 'udp'),
          right: end(ep, remote.useIp, remotePort, vx),
          ...common,
        },
        route: initiate,
        initiate,
        carries: `VXLAN to ${ep.cableName} (udp/${s.vxlanPort} there)`,
      },
    ];
  }

  const mode = operationMode(local, ep, localPreferred);
  const out: PlannedConnection[] = [];
  cableSubnets(local).forEach((leftSubnet, l) => {
    cableSubnets(ep).forEach((rightSubnet, r) => {
      const name = `${ep.cableName}-${l}-${r}`;
      const bidirectional = mode === 'bidirectional';
      out.push({
        spec: {
          name,
          mode: 'tunnel',
          left: {
            host: local.privateIp,
            id: bidirectional ? local.privateIp : `@${local.privateIp}-${l}-${r}`,
            ikePort: localPort,
            client: leftSubnet,
          },
          right: {
            host: mode === 'server' ? '%any' : remote.useIp,
            id: bidirectional ? ep.privateIp : `@${ep.privateIp}-${r}-${l}`,
            ikePort: remotePort,
            client: rightSubnet,
          },
          ...common,
        },
        route: mode !== 'server',
        initiate: mode !== 'server',
        carries: `${leftSubnet} <-> ${rightSubnet}`,
      });
    });
  });
  return out;
}
