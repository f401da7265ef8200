/**
 * Carries out a reconcile plan through the driver: disconnects first, then
 * connects, each group with bounded concurrency. One cable's failure does not
 * stop the others; every failure is returned with the cable it concerns.
 */
import type { DriverClient } from './driver-host/driver-client.js';
import type { ReconcileAction } from './reconcile-plan.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export interface ApplyResult {
  applied: number;
  failures: { cable: string; action: ReconcileAction['kind']; error: string }[];
}

export async function applyPlan(
  driver: DriverClient,
  plan: readonly ReconcileAction[],
  logger: Logger,
  concurrency = 32,
): Promise<ApplyResult> {
  const result: ApplyResult = { applied: 0, failures: [] };
  const run = async (action: ReconcileAction): Promise<void> => {
    const cable = action.kind === 'connect' ? action.remote.endpoint?.cableName ?? '' : action.endpoint.cableName;
    try {
      if (action.kind === 'connect') {
        const usingIp = await driver.connect(action.remote);
        logger.info('cable installed', { cable, usingIp, reason: action.reason });
      } else {
        await driver.disconnect(action.endpoint);
        logger.info('cable removed', { cable, reason: action.reason });
      }
      result.applied++;
    } catch (err) {
      const error = errorMessage(err);
      logger.error(`${action.kind === 'connect' ? 'installing' : 'removing'} cable failed`, { cable, error });
      result.failures.push({ cable, action: action.kind, error });
    }
  };
  await forEachLimited(plan.filter((a) => a.kind === 'disconnect'), concurrency, run);
  await forEachLimited(plan.filter((a) => a.kind === 'connect'), concurrency, run);
  return result;
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
