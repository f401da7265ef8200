/**
 * Test scaffolding for the HA failover tests (test/integration/ha/failover.test.ts
 * in namespaces, test/e2e/guest/ha.ts in the stock-kernel guest): the engine of
 * one gateway electing and publishing through a Kubernetes API (the local
 * stand-in), and the ping replies that tell which gateway answered.
 */
import { join } from 'node:path';
import { EngineProcess } from './engine-process.js';

export interface HaGatewayOptions {
  /** Short gateway name: the node name is `gw-<name>`, the holder identity `gw-<name>-submariner-gateway`. */
  name: string;
  ns: string;
  clusterId: string;
  privateIp: string;
  subnet: string;
  /** The test's scratch folder: the run directory is `run-<name>`, the kubeconfig `kubeconfig-<name>`. */
  work: string;
  /** Namespace the Endpoints of every cluster are published in and watched (the broker). */
  broker: string;
  /** Namespace of the cluster's Lease and Gateway resources. */
  leaseNamespace: string;
  /** Arguments before the HA ones (the driver and its config). */
  extraArgs?: string[];
}

/** A gateway engine with leader election (Submariner's default 10/5/2 s) and publication on, not started. */
export function haGateway(o: HaGatewayOptions): EngineProcess {
  return new EngineProcess({
    ns: o.ns,
    clusterId: o.clusterId,
    privateIp: o.privateIp,
    subnets: [o.subnet],
    endpointsPath: '',
    runDir: join(o.work, `run-${o.name}`),
    extraArgs: [
      ...(o.extraArgs ?? []),
      '--endpoints-source',
      'kubernetes',
      '--endpoints-namespace',
      o.broker,
      '--kubeconfig',
      join(o.work, `kubeconfig-${o.name}`),
      '--leader-election',
      '--lease-namespace',
      o.leaseNamespace,
      '--node-name',
      `gw-${o.name}`,
      '--no-health-check',
    ],
  });
}

/** One ping reply: when (ms since the epoch, from `ping -D`) and with which TTL (which gateway answered). */
export interface PingReply {
  at: number;
  ttl: number;
}

/** The replies in complete lines of `ping -D -n` output. */
export function pingReplies(lines: string[]): PingReply[] {
  const out: PingReply[] = [];
  for (const line of lines) {
    const m = /^\[(\d+\.\d+)\].* ttl=(\d+)/.exec(line);
    if (m) out.push({ at: Math.round(Number(m[1]) * 1000), ttl: Number(m[2]) });
  }
  return out;
}
