/**
 * The plain VXLAN cable driver (Submariner's "vxlan"): one VXLAN device, and
 * per remote gateway an FDB entry and routes to its subnets in table 100. No
 * encryption, no NAT traversal. All kernel work goes through the shared
 * VxlanOverlay, which goes through the one netlink adapter.
 */
import {
  Capability,
  type CableResult,
  ConnectionStatus,
  type Connection,
  type Endpoint,
  type InitRequest,
  type InitResponse,
  type NatEndpointInfo,
} from '../../src/generated/cabled/driver/v1/driver.js';
import { FailedPreconditionError, InvalidArgumentError } from '../../src/lib/errors.js';
import type { Logger } from '../../src/lib/logger.js';
import type { NetlinkAdapter } from '../../src/lib/netlink/index.js';
import { VxlanOverlay, remoteSpecOf, vtepIpFor, type RemoteChange } from '../../src/overlay/index.js';
import type { CableDriver, DriverInfo } from '../../src/sdk/driver.js';
import type { DriverContext } from '../../src/sdk/serve.js';
import { cableConnection, type CableRecord } from '../../src/sdk/cable-record.js';
import { singleResult } from '../../src/sdk/results.js';
import { StateStore } from '../../src/sdk/state-store.js';
import {
  type CableKernelView,
  cableSignature,
  cableStatus,
  type IndexedOverlayState,
  indexOverlayState,
} from './status.js';

export const VXLAN_DRIVER_VERSION = '0.1.0';
const DEFAULT_PORT = 4500;

export class VxlanDriver implements CableDriver {
  private overlay: VxlanOverlay | undefined;
  private local: Endpoint | undefined;
  private nl: NetlinkAdapter | undefined;
  private readonly cables: StateStore<CableRecord>;
  private readonly log: Logger;
  /**
   * Each cable's connection as the last reading built it, with the record,
   * the kernel view and the kernel signature it came from: a reading that
   * finds the same keeps the same object, so a watched driver's reading every
   * 2 s of 1000 unchanged cables builds nothing that outlives it (issue 15, P4).
   */
  private readonly built = new Map<string, BuiltConnection>();
  private readings = 0;

  constructor(
    context: DriverContext,
    private readonly netlink: () => NetlinkAdapter,
  ) {
    this.cables = new StateStore(`${context.stateDir}/vxlan.state.json`, {
      onProblem: (problem) =>
        problem
          ? this.log.error('driver state file unwritable; serving from memory', { problem })
          : this.log.info('driver state file written again'),
    });
    this.log = context.logger;
  }

  info(): DriverInfo {
    return { name: 'vxlan', version: VXLAN_DRIVER_VERSION, capabilities: [Capability.CAPABILITY_WATCH_CONNECTIONS] };
  }

  async init(req: InitRequest): Promise<InitResponse> {
    const local = req.localEndpoint;
    if (!local?.privateIp) throw new InvalidArgumentError('Init needs the local endpoint with its private_ip');
    const port = udpPort(local, req.config);
    this.nl ??= this.netlink();
    const overlay = new VxlanOverlay({ localIp: local.privateIp, port }, { netlink: this.nl, logger: this.log });
    const device = await overlay.ensureDevice({ up: true });
    this.overlay = overlay;
    this.local = local;
    await this.cables.load();
    this.log.info(device.adopted ? 'VXLAN device adopted' : 'VXLAN device created', {
      device: overlay.options.deviceName,
      ifindex: device.ifindex,
      mtu: device.mtu,
      vtep: device.vtepCidr,
      port,
      replaced: device.replaced,
    });
    if (local.natEnabled)
      this.log.warn('VXLAN cables do not support NAT: remote gateways must reach this private IP directly');
    // Entries no record names (a crash between a kernel write and the state file, an old leak) go.
    await overlay.sweep(this.cables.values().map((c) => remoteSpecOf(c.endpoint, c.usingIp)));
    if (!device.adopted)
      await this.reinstallRecorded(device.replaced ? 'device replaced (config change)' : 'device created');
    return { adoptedCables: this.cables.entries().map(([name]) => name) };
  }

  /**
   * A new device (its port, VNI or underlay changed, or it was deleted) has no
   * FDB entries or routes: install every recorded cable on it now, in this Init,
   * instead of leaving them down until the engine's next resync notices.
   */
  private async reinstallRecorded(why: string): Promise<void> {
    const records = this.cables.values();
    if (!records.length) return;
    const results = await this.applyCables(
      [],
      records.map((c) => ({ endpoint: c.endpoint, useIp: c.usingIp, useNat: c.usingNat })),
    );
    const failed = results.filter((r) => r.error);
    this.log.info('cables installed again on the new device', { why, cables: results.length, failed: failed.length });
    if (failed.length) this.log.warn('some cables could not be installed again', { first: failed[0]?.error });
  }

  async connectToEndpoint(remote: NatEndpointInfo): Promise<string> {
    return singleResult(await this.applyCables([], [remote]));
  }

  async disconnectFromEndpoint(remote: Endpoint): Promise<void> {
    singleResult(await this.applyCables([remote], []));
  }

  /** Disconnects then connects many cables with one kernel burst (see VxlanOverlay.applyRemotes). */
  async applyCables(disconnect: Endpoint[], connect: NatEndpointInfo[]): Promise<CableResult[]> {
    const overlay = this.ready();
    const results: CableResult[] = [];
    const removing = disconnect.map((ep) => ({ ep, record: this.cables.get(ep.cableName) }));
    type Connecting = { ep: Endpoint; remote: NatEndpointInfo; usingIp: string; previous?: CableRecord };
    const connecting: Connecting[] = [];
    const connectingOf = new Map<NatEndpointInfo, Connecting>();
    const refused = new Map<NatEndpointInfo, string>();
    for (const remote of connect) {
      const ep = remote.endpoint!;
      if (ep.clusterId === this.local?.clusterId) {
        refused.set(remote, `endpoint ${ep.cableName} is in the local cluster`);
        continue;
      }
      const c = { ep, remote, usingIp: remote.useIp || ep.privateIp, previous: this.cables.get(ep.cableName) };
      connecting.push(c);
      connectingOf.set(remote, c);
    }
    const known = removing.filter((r) => r.record);
    const outcomes = await overlay.applyRemotes(
      known.map((r) => remoteSpecOf(r.record!.endpoint, r.record!.usingIp)),
      connecting.map((c) => ({
        spec: remoteSpecOf(c.ep, c.usingIp),
        previous: c.previous && remoteSpecOf(c.previous.endpoint, c.previous.usingIp),
      })),
    );
    const outcomeOf = new Map<object, RemoteChange | Error>();
    [...known, ...connecting].forEach((item, i) => {
      outcomeOf.set(item, outcomes[i]!);
    });

    for (const r of removing) {
      const outcome = outcomeOf.get(r);
      if (outcome instanceof Error) results.push({ cableName: r.ep.cableName, usingIp: '', error: outcome.message });
      else {
        this.cables.delete(r.ep.cableName);
        results.push({ cableName: r.ep.cableName, usingIp: '', error: '' });
      }
    }
    // A cable whose install failed is rolled back: none of its FDB entries or routes stay (nor those of the
    // version it replaced: the engine installs it afresh at its retry).
    const failed = connecting.filter((c) => outcomeOf.get(c) instanceof Error);
    if (failed.length) {
      const undo = await overlay.applyRemotes(
        failed.flatMap((c) => [
          remoteSpecOf(c.ep, c.usingIp),
          ...(c.previous ? [remoteSpecOf(c.previous.endpoint, c.previous.usingIp)] : []),
        ]),
        [],
      );
      for (const c of failed) {
        this.cables.delete(c.ep.cableName);
        this.log.warn('install failed; rolled back', {
          cable: c.ep.cableName,
          why: (outcomeOf.get(c) as Error).message,
        });
      }
      const left = undo.filter((u) => u instanceof Error);
      if (left.length) this.log.warn('roll-back incomplete', { error: (left[0] as Error).message });
    }
    for (const remote of connect) {
      const ep = remote.endpoint!;
      const c = connectingOf.get(remote);
      const outcome = c && outcomeOf.get(c);
      if (!c || outcome instanceof Error) {
        results.push({
          cableName: ep.cableName,
          usingIp: '',
          error: refused.get(remote) ?? (outcome as Error).message,
        });
        continue;
      }
      const sameIp = c.previous?.usingIp === c.usingIp;
      this.cables.set(ep.cableName, {
        endpoint: ep,
        usingIp: c.usingIp,
        usingNat: remote.useNat,
        establishedUnixMs: sameIp ? c.previous!.establishedUnixMs : Date.now(),
      });
      results.push({ cableName: ep.cableName, usingIp: c.usingIp, error: '' });
    }
    return results;
  }

  async getActiveConnections(): Promise<Connection[]> {
    return this.cables
      .values()
      .map((c) => cableConnection(c, ConnectionStatus.CONNECTION_STATUS_CONNECTED, 'installed'));
  }

  async getConnections(): Promise<Connection[]> {
    const overlay = this.overlay;
    if (!overlay) return [];
    const state = indexOverlayState(await overlay.listRemotes());
    const reading = ++this.readings;
    const deviceName = overlay.options.deviceName;
    const list = this.cables.values().map((c) => {
      let b = this.built.get(c.endpoint.cableName);
      if (!b || b.record !== c || b.view.deviceName !== deviceName) {
        const view = {
          remoteIp: c.usingIp,
          vtep: vtepIpFor(c.endpoint.privateIp),
          subnets: c.endpoint.subnets,
          deviceName,
        };
        b = { record: c, view, signature: '', connection: undefined, reading };
        this.built.set(c.endpoint.cableName, b);
      }
      b.reading = reading;
      const signature = cableSignature(b.view, state);
      if (b.connection === undefined || b.signature !== signature) {
        b.signature = signature;
        b.connection = statusConnection(c, b.view, state);
      }
      return b.connection;
    });
    for (const [name, b] of this.built) if (b.reading !== reading) this.built.delete(name);
    return list;
  }

  async cleanup(): Promise<void> {
    this.nl ??= this.netlink();
    const overlay =
      this.overlay ??
      new VxlanOverlay(
        { localIp: this.local?.privateIp ?? '0.0.0.0', port: DEFAULT_PORT },
        { netlink: this.nl, logger: this.log },
      );
    await overlay.cleanup();
    this.cables.clear();
    this.built.clear();
    await this.cables.flush();
    this.overlay = undefined;
  }

  async close(): Promise<void> {
    await this.cables.flush();
    this.nl?.close();
  }

  private ready(): VxlanOverlay {
    if (!this.overlay) throw new FailedPreconditionError('VXLAN driver not initialised: call Init first');
    return this.overlay;
  }
}

interface BuiltConnection {
  record: CableRecord;
  view: CableKernelView;
  signature: string;
  connection: Connection | undefined;
  /** The reading that last found the cable. */
  reading: number;
}

function statusConnection(c: CableRecord, view: CableKernelView, state: IndexedOverlayState): Connection {
  const s = cableStatus(view, state);
  return cableConnection(c, s.status, s.message, s.sas);
}

/** The VXLAN UDP port: the local endpoint's udp-port, else ceIPSecNATTPort, else 4500 (as Submariner). */
function udpPort(local: Endpoint, config: Record<string, string>): number {
  const text = local.backendConfig['udp-port'] ?? config.ceIPSecNATTPort ?? String(DEFAULT_PORT);
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`backend_config udp-port=${JSON.stringify(text)}: expected a UDP port 1-65535`);
  }
  return port;
}
