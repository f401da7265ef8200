/**
 * Carries out a reconcile plan through the driver: disconnects first, then
 * connects. A driver with CAPABILITY_BATCH gets them in ApplyCables calls of
 * up to `BATCH_SIZE` cables and `BATCH_BYTES` of encoded endpoints, so no
 * request comes near gRPC's 4 MiB message limit whatever the endpoints hold;
 * others get single-cable calls with bounded
 * concurrency. One cable's failure does not stop the others; every failure is
 * returned with the cable it concerns.
 */
import { Endpoint, NatEndpointInfo } from '../generated/cabled/driver/v1/driver.js';
import { mapLimited } from '../lib/concurrency.js';
import type { DriverClient } from './driver-host/driver-client.js';
import { REPAIR_PREFIX, type ReconcileAction } from './reconcile-plan.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export interface ApplyResult {
  applied: number;
  failures: { cable: string; action: ReconcileAction['kind']; error: string }[];
}

export const BATCH_SIZE = 500;
/** Encoded endpoint bytes per ApplyCables request (gRPC's default receive limit is 4 MiB). */
export const BATCH_BYTES = 1024 * 1024;

/** The plan cut into batches of at most `maxCount` actions and `maxBytes` encoded bytes (one action at least). */
export function splitBatches(
  plan: readonly ReconcileAction[],
  maxCount = BATCH_SIZE,
  maxBytes = BATCH_BYTES,
): ReconcileAction[][] {
  const batches: ReconcileAction[][] = [];
  let current: ReconcileAction[] = [];
  let bytes = 0;
  const perCable = maxBytes / maxCount;
  for (const action of plan) {
    // A cheap upper bound first; the exact size (a protobuf encoding of the endpoint, which the request then
    // encodes again) only for an endpoint large enough that the byte limit could cut before the count does.
    const bound = sizeBound(action);
    const size = bound <= perCable ? bound : encodedSize(action);
    if (current.length && (current.length >= maxCount || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(action);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}

/**
 * At least the bytes of the action's endpoint on the wire, plus room for the field tags, without encoding
 * it: 3 bytes per character of its JSON (UTF-8 takes at most 3 bytes per UTF-16 unit; every field's name,
 * quotes and colon take more than its protobuf tag and length, every number's digits and key more than
 * its varint), about 2.5x faster than the encoding.
 */
function sizeBound(a: ReconcileAction): number {
  return 3 * JSON.stringify(a.kind === 'connect' ? a.remote : a.endpoint).length + 16;
}

/** Bytes of the action's endpoint on the wire, plus room for the field tags. */
function encodedSize(a: ReconcileAction): number {
  const body =
    a.kind === 'connect'
      ? NatEndpointInfo.encode(a.remote).finish().length
      : Endpoint.encode(a.endpoint).finish().length;
  return body + 16;
}

export async function applyPlan(
  driver: DriverClient,
  plan: readonly ReconcileAction[],
  logger: Logger,
  options: { batch: boolean; concurrency?: number },
): Promise<ApplyResult> {
  const result: ApplyResult = { applied: 0, failures: [] };
  if (options.batch) {
    // Every batch but the last says more follow: the driver reads the cables' status back once, after the last.
    const batches = splitBatches(plan);
    for (const [i, batch] of batches.entries()) await applyBatch(driver, batch, logger, result, i < batches.length - 1);
    return result;
  }
  const run = async (action: ReconcileAction): Promise<void> => {
    const cable = cableOf(action);
    try {
      if (action.kind === 'connect') {
        const usingIp = await driver.connect(action.remote);
        logInstalled(logger, action.reason, { cable, usingIp, reason: action.reason });
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
  const concurrency = options.concurrency ?? 32;
  await mapLimited(
    plan.filter((a) => a.kind === 'disconnect'),
    concurrency,
    run,
  );
  await mapLimited(
    plan.filter((a) => a.kind === 'connect'),
    concurrency,
    run,
  );
  return result;
}

async function applyBatch(
  driver: DriverClient,
  plan: readonly ReconcileAction[],
  logger: Logger,
  result: ApplyResult,
  more: boolean,
): Promise<void> {
  const disconnects = plan.filter(
    (a): a is Extract<ReconcileAction, { kind: 'disconnect' }> => a.kind === 'disconnect',
  );
  const connects = plan.filter((a): a is Extract<ReconcileAction, { kind: 'connect' }> => a.kind === 'connect');
  const actions = [...disconnects, ...connects];
  let results;
  try {
    results = await driver.applyCables(
      disconnects.map((a) => a.endpoint),
      connects.map((a) => a.remote),
      more,
    );
  } catch (err) {
    const error = errorMessage(err);
    logger.error('applying a batch of cables failed', { cables: actions.length, error });
    for (const a of actions) result.failures.push({ cable: cableOf(a), action: a.kind, error });
    return;
  }
  // A large batch is summarised in one line per kind and reason (the lines of 500 cables cost the engine
  // more than building their request; issue 15, P2); each cable's own line is then at debug. Failures
  // are always logged cable by cable.
  const summarise = results.length > SUMMARY_OVER;
  const summary = new Map<string, { kind: ReconcileAction['kind']; reason: string; cables: string[] }>();
  results.forEach((r, i) => {
    const action = actions[i];
    if (!action) return;
    if (r.error) {
      logger.error(`${action.kind === 'connect' ? 'installing' : 'removing'} cable failed`, {
        cable: r.cableName,
        error: r.error,
      });
      result.failures.push({ cable: r.cableName, action: action.kind, error: r.error });
      return;
    }
    result.applied++;
    const fields = { cable: r.cableName, usingIp: r.usingIp || undefined, reason: action.reason };
    if (summarise) {
      const key = `${action.kind} ${action.reason}`;
      const entry = summary.get(key) ?? { kind: action.kind, reason: action.reason, cables: [] };
      entry.cables.push(r.cableName);
      summary.set(key, entry);
      logger.debug(action.kind === 'connect' ? 'cable installed' : 'cable removed', fields);
    } else if (action.kind === 'connect') logInstalled(logger, action.reason, fields);
    else logger.info('cable removed', fields);
  });
  for (const { kind, reason, cables } of summary.values()) {
    const fields = {
      count: cables.length,
      reason,
      cables: cables.length > SUMMARY_NAMES ? [...cables.slice(0, SUMMARY_NAMES), '...'] : cables,
      last: cables.length > SUMMARY_NAMES ? cables[cables.length - 1] : undefined,
    };
    if (kind === 'connect') {
      if (reason.startsWith(REPAIR_PREFIX)) logger.debug('cables installed', fields);
      else logger.info('cables installed', fields);
    } else logger.info('cables removed', fields);
  }
}

/** Batches of more results than this are logged as one summary line per kind and reason. */
export const SUMMARY_OVER = 32;
/** Cable names a summary line lists (then "...", and the last one). */
const SUMMARY_NAMES = 5;

function cableOf(a: ReconcileAction): string {
  return a.kind === 'connect' ? (a.remote.endpoint?.cableName ?? '') : a.endpoint.cableName;
}

/** A repair (of a cable in error, whose reason the repair backoff logs when it changes) is logged at debug only. */
function logInstalled(logger: Logger, reason: string, fields: Record<string, unknown>): void {
  if (reason.startsWith(REPAIR_PREFIX)) logger.debug('cable installed', fields);
  else logger.info('cable installed', fields);
}
