/**
 * The gateway of the dead-peer repair tests (issue 12, item 4), in either
 * IPsec mode: the real engine with the libreswan driver and its own pluto in
 * a namespace, given a few remote gateways on its own subnet that nobody
 * answers ARP for (no IKE answer, ever), and what those tests read of it.
 */
import { mkdtemp, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EngineProcess, tearDownEngines } from './engine-process.js';
import { writeKubeletVolume } from './fs-helpers.js';
import { canUseNetns, connectVeth, createNetns, waitFor } from './netns.js';

/** A remote endpoint as the endpoints file gives it. */
export interface DeadRemote {
  cluster_id: string;
  private_ip: string;
  subnets: string[];
  backend: string;
}

/** The cable name the engine gives `r`. */
export const deadCableName = (r: DeadRemote): string =>
  `submariner-cable-${r.cluster_id}-${r.private_ip.replaceAll('.', '-')}`;

export interface DeadPeerGatewaySpec {
  /** Names the work directory (with the pid). */
  tag: string;
  ns: string;
  /** The namespace at the other end of the gateway's link (where nobody answers). */
  peer: string;
  /** The two ends of that link. */
  veth: [string, string];
  localIp: string;
  localSubnet: string;
  dead: readonly DeadRemote[];
  /** The ConfigMap's ceCustomConfig text (mode, PSK). */
  ceCustomConfig: string;
}

/** What a repair writes: the engine's repair rounds and "connections added", the driver's state and secrets files. */
export interface RepairTraces {
  rounds: number;
  added: number;
  state: number;
  secrets: number;
}

export class DeadPeerGateway {
  private constructor(
    readonly engine: EngineProcess,
    readonly work: string,
    private readonly spec: DeadPeerGatewaySpec,
  ) {}

  /**
   * Starts the gateway (resyncs every 3 s, no health checker) with the dead remotes in its endpoints file,
   * and waits until every cable is reported in error (no answer).
   */
  static async start(spec: DeadPeerGatewaySpec): Promise<DeadPeerGateway> {
    if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
    const work = await mkdtemp(join(tmpdir(), `cabled-${spec.tag}-${process.pid % 100000}-`));
    const path = join(work, 'endpoints.yaml');
    const local = {
      cluster_id: 'cluster1',
      private_ip: spec.localIp,
      subnets: [spec.localSubnet],
      backend: 'libreswan',
    };
    await writeFile(`${path}.new`, stringify([local, ...spec.dead]));
    await rename(`${path}.new`, path);
    let engine: EngineProcess | undefined;
    try {
      await createNetns(spec.ns);
      await createNetns(spec.peer);
      await connectVeth(
        { ns: spec.ns, name: spec.veth[0], cidr: `${spec.localIp}/16` },
        { ns: spec.peer, name: spec.veth[1] },
      );
      const configDir = join(work, 'config');
      writeKubeletVolume(configDir, { ceCustomConfig: spec.ceCustomConfig });
      engine = new EngineProcess({
        ns: spec.ns,
        clusterId: 'cluster1',
        privateIp: spec.localIp,
        subnets: [spec.localSubnet],
        endpointsPath: path,
        runDir: join(work, 'run'),
        extraArgs: ['--driver', 'libreswan', '--config', configDir, '--no-health-check', '--resync-interval', '3'],
      });
      const gateway = new DeadPeerGateway(engine, work, spec);
      engine.start();
      await gateway.waitForCables('every cable reported in error (no answer)', () => true);
      return gateway;
    } catch (err) {
      // Nothing is left behind: the test has no gateway to stop.
      await engine?.stopPluto();
      await tearDownEngines({
        engines: [engine],
        namespaces: [spec.ns, spec.peer],
        work,
        failed: true,
        signal: 'SIGKILL',
      });
      throw err;
    }
  }

  /** The driver's pluto control socket. */
  get ctl(): string {
    return join(this.work, 'run', 'drivers', 'pluto', 'run', 'pluto.ctl');
  }

  /** Waits until every dead cable is reported in error with every part in place (Connection.parts_in_place). */
  async waitForPartsInPlace(): Promise<void> {
    await this.waitForCables('every cable reported in error with every part in place', (c) => c.partsInPlace === true);
  }

  /** What repairs have written so far (a quiet gateway's stays the same). */
  async traces(): Promise<RepairTraces> {
    const log = (await this.engine.log()).split('\n');
    const mtime = async (path: string) => (await stat(join(this.work, 'run', 'drivers', path))).mtimeMs;
    return {
      rounds: log.filter((l) => l.includes('"reconciling"')).length,
      added: log.filter((l) => l.includes('IPsec connections added')).length,
      state: await mtime('libreswan.state.json'),
      secrets: await mtime(join('pluto', 'ipsec.secrets')),
    };
  }

  async stop(failed: boolean): Promise<void> {
    await this.engine.stopPluto();
    await tearDownEngines({
      engines: [this.engine],
      namespaces: [this.spec.ns, this.spec.peer],
      work: this.work,
      failed,
      signal: 'SIGKILL',
    });
  }

  private async waitForCables(
    what: string,
    more: (c: Awaited<ReturnType<EngineProcess['connections']>>[number]) => boolean,
  ): Promise<void> {
    await waitFor(
      what,
      async () => {
        const conns = await this.engine.connections().catch(() => []);
        return conns.length === this.spec.dead.length && conns.every((c) => c.status === 3 && more(c));
      },
      90000,
      500,
    );
  }
}
