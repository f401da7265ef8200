/**
 * Keeps grpc.health.v1 in step with the gateway: service "" is
 * `view.health()`, "driver/<name>" is each entry of `view.driverHealth()`.
 * A driver that disappears from the view turns NOT_SERVING (grpc-health-check
 * cannot forget a service).
 */
import { errorMessage } from '../../lib/errors.js';
import type { HealthService } from '../../lib/grpc/health.js';
import type { Logger } from '../../lib/logger.js';
import type { GatewayView } from '../gateway-view.js';

/** The grpc.health.v1 service name for a driver. */
export function driverServiceName(driver: string): string {
  return `driver/${driver}`;
}

/** Applies the view's health now and on every change; returns a function that stops. */
export function syncHealth(view: GatewayView, health: HealthService, logger: Logger): () => void {
  const drivers = new Set<string>();
  const apply = (): void => {
    try {
      health.setStatus('', view.health());
      const now = view.driverHealth();
      for (const [name, state] of now) {
        drivers.add(name);
        health.setStatus(driverServiceName(name), state);
      }
      for (const name of drivers) {
        if (!now.has(name)) health.setStatus(driverServiceName(name), 'NOT_SERVING');
      }
    } catch (err) {
      logger.warn('cannot read gateway health; reporting NOT_SERVING', { error: errorMessage(err) });
      health.setStatus('', 'NOT_SERVING');
    }
  };
  apply();
  return view.subscribeHealth(apply);
}
