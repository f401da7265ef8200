/**
 * WatchConnections: a KIND_SNAPSHOT event per current connection, then the
 * view's live events, until the client cancels. A client that stops reading
 * is cut off (RESOURCE_EXHAUSTED) instead of growing the engine's memory;
 * on shutdown every stream ends with UNAVAILABLE so clients reconnect.
 */
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { ConnectionEvent } from '../../generated/cabled/driver/v1/driver.js';
import type { WatchConnectionsRequest, WatchConnectionsResponse } from '../../generated/cabled/engine/v1/engine.js';
import { snapshotEvents } from '../../lib/connection-diff.js';
import { errorMessage } from '../../lib/errors.js';
import { toStatus, type StatusLike } from '../../lib/grpc/status.js';
import type { Logger } from '../../lib/logger.js';
import type { GatewayView } from '../gateway-view.js';

type WatchStream = ServerWritableStream<WatchConnectionsRequest, WatchConnectionsResponse>;

/** The WatchConnections handler and a way to end its streams. */
export interface ConnectionWatches {
  handler: (stream: WatchStream) => void;
  /** Open streams. */
  readonly size: number;
  /** Ends every open stream with UNAVAILABLE and refuses new ones. */
  closeAll(): void;
}

/** @param maxBufferedEvents events queued for one slow client before it is cut off. */
export function connectionWatches(view: GatewayView, logger: Logger, maxBufferedEvents = 10_000): ConnectionWatches {
  const open = new Map<WatchStream, (st: StatusLike) => void>();
  let closed = false;

  const handler = (stream: WatchStream): void => {
    if (closed) {
      stream.emit('error', shuttingDown());
      return;
    }
    const peer = stream.getPeer();
    let unsubscribe: (() => void) | undefined;
    let done = false;
    const stop = (): void => {
      if (done) return;
      done = true;
      open.delete(stream);
      unsubscribe?.();
      logger.debug('watch ended', { peer });
    };
    const fail = (st: StatusLike): void => {
      if (done) return;
      stop();
      stream.emit('error', st);
    };
    // Runs inside the view's notification: never throws back into the engine.
    const send = (events: readonly ConnectionEvent[]): void => {
      try {
        for (const event of events) {
          if (done || stream.cancelled) {
            stop();
            return;
          }
          stream.write({ event });
        }
      } catch (err) {
        logger.warn('cannot send a watch event', { peer, error: errorMessage(err) });
        fail(toStatus(err));
        return;
      }
      if (stream.writableLength > maxBufferedEvents) {
        logger.warn('watch client too slow, cutting it off', { peer, buffered: stream.writableLength });
        fail({
          code: status.RESOURCE_EXHAUSTED,
          details: `the client fell ${stream.writableLength} events behind; watch again`,
        });
      }
    };

    open.set(stream, fail);
    stream.once('cancelled', stop);
    stream.once('close', stop);
    stream.once('finish', stop);
    try {
      // Snapshot and subscription happen in the same tick: no event is lost or repeated.
      send(snapshotEvents(view.connections()));
      if (!done) unsubscribe = view.subscribe(send);
      logger.debug('watch started', { peer });
    } catch (err) {
      logger.warn('WatchConnections failed', { error: errorMessage(err) });
      fail(toStatus(err));
    }
  };

  return {
    handler,
    get size() {
      return open.size;
    },
    closeAll() {
      closed = true;
      for (const fail of [...open.values()]) fail(shuttingDown());
    },
  };
}

function shuttingDown(): StatusLike {
  return { code: status.UNAVAILABLE, details: 'the engine is shutting down; watch again once it is back' };
}
