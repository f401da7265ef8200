/**
 * Maps cabled.driver.v1 calls onto a CableDriver: checks requests, holds the
 * per-cable lock (Init and Cleanup alone), converts errors to gRPC statuses
 * in one place, and tells the connection watch and the shared status reading
 * about every change.
 */
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import {
  Capability,
  type CableResult,
  type CableDriverServiceServer,
  type WatchConnectionsRequest,
  type WatchConnectionsResponse,
} from '../generated/cabled/driver/v1/driver.js';
import { snapshotEvents } from '../lib/connection-diff.js';
import type { Endpoint, NatEndpointInfo } from '../generated/cabled/driver/v1/driver.js';
import { FailedPreconditionError, InvalidArgumentError, errorMessage } from '../lib/errors.js';
import { toStatus } from '../lib/grpc/status.js';
import type { Logger } from '../lib/logger.js';
import type { ConnectionWatch } from './connection-watch.js';
import type { SharedReading } from './shared-reading.js';
import type { CableDriver } from './driver.js';
import { PROTOCOL_VERSION } from './handshake.js';
import { HeapTrim } from './heap-trim.js';
import { KeyedLock } from './keyed-lock.js';
import { currentProblems, DEGRADED_KEY } from './problems.js';
import { mapLimited } from '../lib/concurrency.js';

type Handler<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/**
 * How long the watch stays on hold after an ApplyCables call marked `more`
 * when the burst's next call does not come (a caller that died mid-burst):
 * the status refresh then runs anyway.
 */
const BURST_GAP_MS = 5000;

export function driverService(
  driver: CableDriver,
  watch: ConnectionWatch,
  readings: SharedReading,
  logger: Logger,
  options: { burstGapMs?: number; trim?: HeapTrim } = {},
): CableDriverServiceServer {
  const lock = new KeyedLock();
  const trim = options.trim ?? new HeapTrim();
  const burst = new BurstHolds(options.burstGapMs ?? BURST_GAP_MS);
  let initialised = false;
  /** `fn` changes what the driver holds: a status reading under way before or during it is not shared after it. */
  const changing = async <T>(fn: () => Promise<T>): Promise<T> => {
    readings.changed();
    try {
      return await fn();
    } finally {
      readings.changed();
    }
  };

  const unary =
    <Req, Res>(name: string, fn: (req: Req) => Promise<Res>): Handler<Req, Res> =>
    (call, callback) => {
      // Through a promise, so a synchronous throw (a precondition) gets its status too.
      Promise.resolve(call.request)
        .then(fn)
        .then(
          (res) => callback(null, res),
          (err: unknown) => {
            logger.warn(`${name} failed`, { error: errorMessage(err) });
            callback(toStatus(err));
          },
        );
    };
  const needInit = (): void => {
    if (!initialised) throw new FailedPreconditionError('driver not initialised: call Init first');
  };
  const cableOf = (cableName: string | undefined): string => {
    if (!cableName) throw new InvalidArgumentError('endpoint has no cable_name');
    return cableName;
  };

  return {
    getDriverInfo: unary('GetDriverInfo', async () => {
      const info = driver.info();
      const capabilities = driver.applyCables
        ? [...new Set([...info.capabilities, Capability.CAPABILITY_BATCH])]
        : info.capabilities;
      const degraded = currentProblems();
      const manifest = { ...(info.manifest ?? {}), ...(degraded ? { [DEGRADED_KEY]: degraded } : {}) };
      return { ...info, capabilities, protocolVersion: PROTOCOL_VERSION, manifest };
    }),
    init: unary('Init', (req) =>
      lock.exclusive(async () => {
        const res = await changing(() => driver.init(req));
        initialised = true;
        void watch.poke();
        return res;
      }),
    ),
    connectToEndpoint: unary('ConnectToEndpoint', (req) => {
      needInit();
      const cable = cableOf(req.remote?.endpoint?.cableName);
      return lock.run(cable, async () => {
        const usingIp = await changing(() => driver.connectToEndpoint(req.remote!));
        void watch.poke();
        return { usingIp };
      });
    }),
    disconnectFromEndpoint: unary('DisconnectFromEndpoint', (req) => {
      needInit();
      const cable = cableOf(req.remote?.cableName);
      return lock.run(cable, async () => {
        await changing(() => driver.disconnectFromEndpoint(req.remote!));
        void watch.poke();
        return {};
      });
    }),
    applyCables: unary('ApplyCables', async (req) => {
      needInit();
      for (const ep of req.disconnect) cableOf(ep.cableName);
      for (const r of req.connect) cableOf(r.endpoint?.cableName);
      // One status refresh after the burst, not one per batch: a call marked `more` keeps its hold until
      // a call of the burst without it ends (calls may overlap: a caller may send the next before this
      // one is answered).
      const release = watch.hold();
      try {
        const results = await changing(() =>
          driver.applyCables
            ? lock.exclusive(() => driver.applyCables!(req.disconnect, req.connect))
            : applyOneByOne(driver, lock, req.disconnect, req.connect),
        );
        trim.afterWork();
        return { results };
      } finally {
        if (req.more) burst.carry(release);
        else release(burst.end());
      }
    }),
    getActiveConnections: unary('GetActiveConnections', async () => ({
      connections: await driver.getActiveConnections(),
    })),
    getConnections: unary('GetConnections', async () => ({ connections: await readings.read() })),
    cleanup: unary('Cleanup', () =>
      lock.exclusive(async () => {
        await changing(() => driver.cleanup());
        initialised = false;
        void watch.poke();
        return {};
      }),
    ),
    watchConnections: (call: ServerWritableStream<WatchConnectionsRequest, WatchConnectionsResponse>) => {
      const send = (events: ReturnType<typeof snapshotEvents>): void => {
        for (const event of events) call.write({ event });
      };
      let unsubscribe: (() => void) | undefined;
      let cancelled = false;
      call.on('cancelled', () => {
        cancelled = true;
        unsubscribe?.();
      });
      watch.subscribe(send).then(
        (sub) => {
          if (cancelled) return sub.unsubscribe();
          unsubscribe = sub.unsubscribe;
          send(snapshotEvents(sub.snapshot));
        },
        (err: unknown) => call.destroy(err instanceof Error ? err : new Error(String(err))),
      );
    },
  };
}

/** The watch holds of a burst's calls marked `more`, kept until its last call (or `gapMs` without one). */
class BurstHolds {
  private held: ((over?: boolean) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly gapMs: number) {}

  /** Keeps `release` until the burst's next call ends it. */
  carry(release: (over?: boolean) => void): void {
    this.held.push(release);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.end(), this.gapMs);
    this.timer.unref();
  }

  /** Releases what the burst holds; true when it held anything (a burst's later call). */
  end(): boolean {
    clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.held;
    this.held = [];
    for (const release of held) release();
    return held.length > 0;
  }
}

/** ApplyCables for a driver without a batch path: the single-cable calls, a few at a time. */
async function applyOneByOne(
  driver: CableDriver,
  lock: KeyedLock,
  disconnect: Endpoint[],
  connect: NatEndpointInfo[],
): Promise<CableResult[]> {
  const one = async (cable: string, fn: () => Promise<string>): Promise<CableResult> => {
    try {
      return { cableName: cable, usingIp: await lock.run(cable, fn), error: '' };
    } catch (err) {
      return { cableName: cable, usingIp: '', error: errorMessage(err) };
    }
  };
  const down = await mapLimited(disconnect, 16, (ep) =>
    one(ep.cableName, async () => {
      await driver.disconnectFromEndpoint(ep);
      return '';
    }),
  );
  const up = await mapLimited(connect, 16, (r) => one(r.endpoint!.cableName, () => driver.connectToEndpoint(r)));
  return [...down, ...up];
}
