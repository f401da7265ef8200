/**
 * Publishes this gateway to the Kubernetes API, as Submariner's gateway does:
 * - while active, the local cluster's Endpoint `<cluster>-<cable>` (created,
 *   or updated when it differs), and the Endpoints of the local cluster that
 *   other gateways left behind are deleted (Submariner's exclusive-endpoint
 *   rule), after its own is in place so remote clusters switch in one step;
 * - always, its Gateway resource `<node>` with haStatus and connections,
 *   every `intervalMs` (5 s); the active gateway deletes Gateways of its
 *   cluster not updated for `staleMs` (15 s).
 * - its own pod (when it runs in one) labelled
 *   `gateway.submariner.io/status=active|passive`, as Submariner labels its
 *   gateway pods (services and tools select the active gateway by it).
 * On a clean stop its Endpoint (when active) and its Gateway are deleted, and
 * its pod is labelled passive.
 * Failures are logged and retried on the next round (sooner for the Endpoint).
 */
import type { Endpoint } from '../generated/cabled/driver/v1/driver.js';
import type { GatewayView } from '../engine/gateway-view.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { KubeRest } from './kube-rest.js';
import { endpointName, endpointObject, endpointSpec, gatewayObject, UPDATE_TIMESTAMP } from './resources.js';

export interface PublisherOptions {
  rest: KubeRest;
  local: Endpoint;
  /** Gateway resource name. */
  nodeName: string;
  /** Namespace of the Gateway resources. */
  gatewayNamespace: string;
  /** Namespace the Endpoint is published in. */
  endpointNamespace: string;
  /** This gateway's pod, to label with its HA status; none outside a pod. */
  pod?: { name: string; namespace: string };
  view: GatewayView;
  logger: Logger;
  /** @default 5000 (Submariner's GatewayUpdateInterval) */
  intervalMs?: number;
  /** @default 15000 (Submariner's GatewayStaleTimeout) */
  staleMs?: number;
  /** Per-call timeout. @default 5000 */
  timeoutMs?: number;
  now?: () => number;
}

interface Meta {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  annotations?: Record<string, string>;
}
interface Obj {
  metadata?: Meta;
  spec?: Record<string, unknown>;
  status?: { localEndpoint?: { cluster_id?: string } };
}

/** Submariner's label of a gateway pod's HA status. */
export const GATEWAY_STATUS_LABEL = 'gateway.submariner.io/status';

const notFound = (err: unknown): boolean => (err as { statusCode?: number }).statusCode === 404;

export class Publisher {
  private active = false;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private endpointPublished = false;
  /** The HA status label last written to the pod ("" = not yet). */
  private podLabel = '';
  private round: Promise<void> | undefined;
  private stopped = false;
  private lastError = '';
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timeout: number;
  private readonly endpoints: string;
  private readonly gateways: string;

  constructor(private readonly o: PublisherOptions) {
    this.log = o.logger.child({ component: 'publisher' });
    this.now = o.now ?? Date.now;
    this.timeout = o.timeoutMs ?? 5000;
    this.endpoints = `/apis/submariner.io/v1/namespaces/${o.endpointNamespace}/endpoints`;
    this.gateways = `/apis/submariner.io/v1/namespaces/${o.gatewayNamespace}/gateways`;
  }

  get endpointName(): string {
    return endpointName(this.o.local);
  }

  start(): void {
    this.timer = setInterval(() => void this.sync(), this.o.intervalMs ?? 5000);
    void this.sync();
  }

  /** This gateway became active: publish its Endpoint now (after its cables are installed). */
  async activate(): Promise<void> {
    this.active = true;
    await this.sync();
  }

  /** This gateway stands by: its Endpoint goes, its Gateway says passive. */
  async deactivate(): Promise<void> {
    this.active = false;
    await this.sync();
  }

  /** Clean stop: delete the Endpoint (if active) and the Gateway. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
    await this.round;
    if (this.active || this.endpointPublished) await this.deleteEndpoint();
    this.active = false;
    await this.attempt('label the pod passive', () => this.labelPod());
    try {
      await this.o.rest.json({
        method: 'DELETE',
        path: `${this.gateways}/${this.o.nodeName}`,
        timeoutMs: this.timeout,
      });
      this.log.info('gateway resource deleted', { name: this.o.nodeName });
    } catch (err) {
      if (!notFound(err)) this.log.warn('deleting the gateway resource failed', { error: errorMessage(err) });
    }
  }

  /** One round; rounds never overlap (a call during one waits for it, then runs). */
  private sync(): Promise<void> {
    const next = (this.round ?? Promise.resolve()).then(() => this.syncOnce());
    this.round = next.finally(() => {
      if (this.round === next) this.round = undefined;
    });
    return next;
  }

  private async syncOnce(): Promise<void> {
    if (this.stopped) return;
    let ok = true;
    // The role as this round started: a round that began passive does not go on to delete stale
    // Gateways when activate() arrives meanwhile (its own round, next, publishes the Endpoint first).
    const active = this.active;
    if (active) {
      ok = (await this.attempt('publish the Endpoint', () => this.ensureEndpoint())) && ok;
      ok = (await this.attempt('delete stale Endpoints', () => this.deleteOtherEndpoints())) && ok;
    } else if (this.endpointPublished) {
      ok = (await this.attempt('delete the Endpoint', () => this.deleteEndpoint())) && ok;
    }
    ok = (await this.attempt('update the Gateway resource', () => this.updateGateway())) && ok;
    ok = (await this.attempt('label the pod', () => this.labelPod())) && ok;
    if (active && this.active) await this.attempt('delete stale Gateways', () => this.deleteStaleGateways());
    clearTimeout(this.retry);
    if (!ok && !this.stopped) this.retry = setTimeout(() => void this.sync(), 1000);
  }

  private async attempt(what: string, fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      this.lastError = '';
      return true;
    } catch (err) {
      const message = `${what}: ${errorMessage(err)}`;
      if (message !== this.lastError) this.log.warn('publishing failed; retrying', { error: message });
      this.lastError = message;
      return false;
    }
  }

  private async ensureEndpoint(): Promise<void> {
    const name = this.endpointName;
    const want = endpointObject(this.o.local, this.o.endpointNamespace);
    let have: Obj | undefined;
    try {
      have = await this.o.rest.json<Obj>({ method: 'GET', path: `${this.endpoints}/${name}`, timeoutMs: this.timeout });
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    if (!have) {
      await this.o.rest.json({ method: 'POST', path: this.endpoints, body: want, timeoutMs: this.timeout });
      this.log.info('endpoint published', { name, namespace: this.o.endpointNamespace });
    } else if (JSON.stringify(sorted(have.spec)) !== JSON.stringify(sorted(endpointSpec(this.o.local)))) {
      const meta = { ...(want.metadata as Meta), resourceVersion: have.metadata?.resourceVersion };
      await this.o.rest.json({
        method: 'PUT',
        path: `${this.endpoints}/${name}`,
        body: { ...want, metadata: meta },
        timeoutMs: this.timeout,
      });
      this.log.info('endpoint updated', { name });
    }
    this.endpointPublished = true;
  }

  private async deleteOtherEndpoints(): Promise<void> {
    const list = await this.o.rest.json<{ items?: Obj[] }>({
      method: 'GET',
      path: this.endpoints,
      timeoutMs: this.timeout,
    });
    for (const item of list.items ?? []) {
      const name = item.metadata?.name;
      if (!name || name === this.endpointName || item.spec?.cluster_id !== this.o.local.clusterId) continue;
      try {
        await this.o.rest.json({ method: 'DELETE', path: `${this.endpoints}/${name}`, timeoutMs: this.timeout });
        this.log.info('deleted the endpoint another gateway of this cluster left', { name });
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    }
  }

  private async deleteEndpoint(): Promise<void> {
    try {
      await this.o.rest.json({
        method: 'DELETE',
        path: `${this.endpoints}/${this.endpointName}`,
        timeoutMs: this.timeout,
      });
      this.log.info('endpoint withdrawn', { name: this.endpointName });
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    this.endpointPublished = false;
  }

  /** Writes the pod's HA status label when it is not the one last written (a merge patch of that label only). */
  private async labelPod(): Promise<void> {
    const pod = this.o.pod;
    const want = this.active ? 'active' : 'passive';
    if (!pod || this.podLabel === want) return;
    await this.o.rest.json({
      method: 'PATCH',
      path: `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`,
      body: { metadata: { labels: { [GATEWAY_STATUS_LABEL]: want } } },
      timeoutMs: this.timeout,
    });
    this.podLabel = want;
    this.log.info('pod labelled', { pod: pod.name, [GATEWAY_STATUS_LABEL]: want });
  }

  private async updateGateway(): Promise<void> {
    const path = `${this.gateways}/${this.o.nodeName}`;
    const body = gatewayObject(
      this.o.nodeName,
      this.o.gatewayNamespace,
      this.o.view.status(),
      this.o.view.connections(),
      this.now(),
    );
    let have: Obj | undefined;
    try {
      have = await this.o.rest.json<Obj>({ method: 'GET', path, timeoutMs: this.timeout });
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    if (!have) {
      await this.o.rest.json({ method: 'POST', path: this.gateways, body, timeoutMs: this.timeout });
      return;
    }
    const meta = { ...(body.metadata as Meta), resourceVersion: have.metadata?.resourceVersion };
    await this.o.rest.json({ method: 'PUT', path, body: { ...body, metadata: meta }, timeoutMs: this.timeout });
  }

  private async deleteStaleGateways(): Promise<void> {
    const list = await this.o.rest.json<{ items?: Obj[] }>({
      method: 'GET',
      path: this.gateways,
      timeoutMs: this.timeout,
    });
    const nowS = this.now() / 1000;
    for (const item of list.items ?? []) {
      const name = item.metadata?.name;
      if (!name || name === this.o.nodeName) continue;
      const cluster = item.status?.localEndpoint?.cluster_id;
      if (cluster !== undefined && cluster !== this.o.local.clusterId) continue;
      const stamp = Number(item.metadata?.annotations?.[UPDATE_TIMESTAMP] ?? 0);
      if (nowS - stamp <= (this.o.staleMs ?? 15000) / 1000) continue;
      try {
        await this.o.rest.json({ method: 'DELETE', path: `${this.gateways}/${name}`, timeoutMs: this.timeout });
        this.log.info('deleted a stale gateway resource', { name, updatedSecondsAgo: Math.round(nowS - stamp) });
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    }
  }
}

/** Key-sorted copy, so two specs compare equal whatever their key order. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, x]) => [k, sorted(x)]),
  );
}
