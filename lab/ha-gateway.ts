/**
 * Test scaffolding for the HA failover tests (test/integration/ha/failover.test.ts
 * in namespaces, test/e2e/guest/ha.ts in the stock-kernel guest): the engine of
 * one gateway electing and publishing through a Kubernetes API (the local
 * stand-in), and the ping replies that tell which gateway answered.
 */
import { join } from 'node:path';
import { EngineProcess } from './engine-process.js';

/** The test topology's gateways: two of cluster1 (10.1.0.0/16), one of cluster2 (10.2.0.0/16). */
export type HaGw = 'a' | 'b' | 'c2';

/** Where the gateways of a test live. */
export interface HaTopology {
  ns: Record<HaGw, string>;
  underlay: Record<HaGw, string>;
  /** The test's scratch folder: gateway g's run directory is `run-<g>`, its kubeconfig `kubeconfig-<g>`. */
  work: string;
  /** Namespace the Endpoints of every cluster are published in and watched (the broker). */
  broker: string;
  /** Namespace of each cluster's Lease and Gateway resources. */
  leaseNamespace: { cluster1: string; cluster2: string };
}

/** Each cluster1 gateway's default TTL: the TTL of a ping reply tells which one answered. */
export const HA_TTL = { a: 61, b: 62 } as const;

/**
 * Gateway g's engine with leader election (Submariner's default 10/5/2 s) and publication on, node name
 * `gw-<g>` (holder identity `gw-<g>-submariner-gateway`), not started. `extraArgs` come first (the driver).
 */
export function haGateway(t: HaTopology, g: HaGw, extraArgs: string[] = []): EngineProcess {
  const cluster = g === 'c2' ? 'cluster2' : 'cluster1';
  return new EngineProcess({
    ns: t.ns[g],
    clusterId: cluster,
    privateIp: t.underlay[g],
    subnets: [g === 'c2' ? '10.2.0.0/16' : '10.1.0.0/16'],
    endpointsPath: '',
    runDir: join(t.work, `run-${g}`),
    extraArgs: [
      ...extraArgs,
      '--endpoints-source',
      'kubernetes',
      '--endpoints-namespace',
      t.broker,
      '--kubeconfig',
      join(t.work, `kubeconfig-${g}`),
      '--leader-election',
      '--lease-namespace',
      t.leaseNamespace[cluster],
      '--node-name',
      `gw-${g}`,
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
