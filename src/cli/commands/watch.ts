/**
 * `cablectl watch`: streams WatchConnections (a snapshot, then changes), one
 * line per event or one JSON object per line with -o json. Ctrl-C (or
 * SIGTERM) cancels the stream and exits 0; the engine ending it exits 1.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { WatchConnectionsResponse } from '../../generated/cabled/engine/v1/engine.js';
import { type Command, EXIT_OK } from '../context.js';
import { eventLine } from '../render.js';

export const watchCommand: Command = (ctx) =>
  new Promise<number>((resolve, reject) => {
    const { gateway } = ctx.clients;
    const stream = gateway.watchConnections({});
    let stopping = false;
    let settled = false;
    const onSignal = (): void => {
      if (stopping) process.exit(130); // a second Ctrl-C: do not wait any longer
      stopping = true;
      stream.cancel();
    };
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      settle();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    stream.on('data', (message: WatchConnectionsResponse) => {
      if (!message.event) return;
      ctx.out(
        ctx.options.output === 'json'
          ? JSON.stringify(WatchConnectionsResponse.toJSON(message))
          : eventLine(message.event, ctx.now()),
      );
    });
    stream.on('error', (err: ServiceError) => {
      if (stopping && err.code === status.CANCELLED) finish(() => resolve(EXIT_OK));
      else finish(() => reject(err));
    });
    stream.on('end', () => {
      if (stopping) return finish(() => resolve(EXIT_OK));
      finish(() => reject(new Error(`the engine at ${ctx.options.target} ended the watch`)));
    });
  });
