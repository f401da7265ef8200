/**
 * High availability: one active gateway per cluster (leader election on a
 * Lease), and the publication of the local Endpoint and Gateway status.
 * The engine is reached only through HaEngine: it is told its role and
 * answers once its datapath matches it (active: cables reconciled; standby:
 * every cable removed, driver still initialised).
 *
 * Order of things:
 * - becoming active: engine active (its cables going in) and, once its driver
 *   is up (a warm standby: at once), Endpoint published -> stale Endpoints of
 *   this cluster deleted;
 * - standing down (lost lease, deadline passed): engine standby at once,
 *   then the Endpoint withdrawn when the API answers;
 * - clean stop: elector halted -> engine standby (cables removed) -> Lease
 *   released (the next gateway takes over at once) -> Endpoint and Gateway
 *   deleted (the next gateway deletes a left-over Endpoint too).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { GatewayView } from '../engine/gateway-view.js';
import type { Endpoint } from '../generated/cabled/driver/v1/driver.js';
import type { HaInfo } from '../generated/cabled/engine/v1/engine.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { LeaderElector, type ElectorState } from './elector.js';
import { KubeRest } from './kube-rest.js';
import { kubeLeaseStore } from './lease.js';
import { Publisher } from './publisher.js';
import type { HaSettings } from './settings.js';

export type { HaSettings } from './settings.js';
export { HA_OPTIONS, HA_USAGE, parseHaSettings } from './settings.js';

import type { HaRole } from '../engine/engine.js';

export type { HaRole } from '../engine/engine.js';

/** The engine as the HA module sees it. */
export interface HaEngine extends GatewayView {
  /** Sets the role; resolves once the datapath matches it. Same role: updates the info only. */
  setHaRole(role: HaRole, info: HaInfo): Promise<void>;
}

export interface HaOptions {
  settings: HaSettings;
  kubeConfig: KubeConfig;
  local: Endpoint;
  /** The namespace Endpoints are watched in ("" = all), the default publish namespace. */
  endpointsNamespace: string;
  engine: HaEngine;
  logger: Logger;
}

export interface Ha {
  /** Clean stop: stand by, withdraw the Endpoint and the Gateway, release the Lease. */
  stop(): Promise<void>;
}

/** Starts election (if configured) and publication (if configured). */
export function startHa(o: HaOptions): Ha {
  const { settings, engine, logger } = o;
  const log = logger.child({ component: 'ha' });
  const rest = new KubeRest(o.kubeConfig);
  const publisher = settings.publish
    ? new Publisher({
        rest,
        local: o.local,
        nodeName: settings.nodeName,
        gatewayNamespace: settings.namespace,
        endpointNamespace: settings.publishNamespace || o.endpointsNamespace || settings.namespace,
        pod: settings.podName ? { name: settings.podName, namespace: settings.podNamespace } : undefined,
        view: engine,
        logger,
      })
    : undefined;
  let publishing: Promise<void> = Promise.resolve();
  const publish = (step: () => Promise<void>): void => {
    publishing = publishing.then(step).catch((err: unknown) => {
      log.warn('publication step failed', { error: errorMessage(err) });
    });
  };

  if (!settings.leaderElection) {
    // Always active; publish right away (the engine installs its cables as usual).
    publisher?.start();
    if (publisher) publish(() => publisher.activate());
    return {
      stop: async () => {
        await publishing;
        await publisher?.stop();
      },
    };
  }

  const lease = `${settings.namespace}/${settings.leaseName}`;
  let role: HaRole = 'electing';
  let since = Date.now();
  const info = (s: ElectorState, r: HaRole): HaInfo => ({
    lease,
    identity: settings.identity,
    leader: s.holder,
    role: r,
    message: s.why,
    sinceUnixMs: since,
    lastError: s.lastError,
  });
  const elector = new LeaderElector({
    store: kubeLeaseStore(rest, settings.namespace, settings.leaseName),
    identity: settings.identity,
    leaseDurationMs: settings.leaseDurationMs,
    renewDeadlineMs: settings.renewDeadlineMs,
    retryPeriodMs: settings.retryPeriodMs,
    logger,
    onChange: (s) => {
      const next: HaRole = s.leader ? 'active' : s.decided ? 'standby' : 'electing';
      if (next === role) {
        void engine.setHaRole(role, info(s, role));
        return;
      }
      role = next;
      since = Date.now();
      const applied = engine.setHaRole(next, info(s, next));
      if (!publisher) return;
      if (next === 'active')
        publish(async () => {
          // Published as soon as its driver is up (a warm standby: at once, while its cables go in), so the
          // remote gateways install their side of the new cable meanwhile: the new gateway's first IKE
          // attempt then finds the peer ready instead of backing off (docs/ha.md, "What bounds each figure").
          // A gateway just started waits for its driver, then for the role's reconcile.
          if (!driverUp(engine)) {
            await applied;
            await whenServing(engine, settings.leaseDurationMs);
          }
          if (role === 'active') await publisher.activate();
        });
      else publish(() => publisher.deactivate());
    },
  });
  void engine.setHaRole('electing', info(elector.current, 'electing'));
  publisher?.start();
  elector.start();
  return {
    stop: async () => {
      await elector.stop();
      const s = elector.current;
      role = 'standby';
      await engine.setHaRole('standby', { ...info(s, 'standby'), message: 'stopping: handing over' });
      // Cables are gone: hand the Lease over first (the next gateway starts now), then withdraw.
      await elector.release();
      await publishing;
      await publisher?.stop();
    },
  };
}

/** Every driver of the engine is up (a warm standby's is). */
function driverUp(engine: GatewayView): boolean {
  const drivers = [...engine.driverHealth().values()];
  return drivers.length > 0 && drivers.every((h) => h === 'SERVING');
}

/** Resolves when the engine reports SERVING (desired state applied), or after `timeoutMs`. */
function whenServing(engine: GatewayView, timeoutMs: number): Promise<void> {
  if (engine.health() === 'SERVING') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const unsubscribe = engine.subscribeHealth(() => {
      if (engine.health() === 'SERVING') done();
    });
  });
}
