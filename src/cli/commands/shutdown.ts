/**
 * `cablectl shutdown [--cleanup]`: asks the engine to stop (Shutdown RPC) and
 * waits until it has and its API is gone. Without --cleanup the datapath
 * stays (a restarted engine adopts it; in host-pluto mode no tunnel goes
 * down); with it, the engine removes it first. Meant for a pod's preStop hook.
 */
import { checkHealth } from '../../lib/grpc/health-client.js';
import { call } from '../../lib/grpc/call.js';
import { isServiceError } from '../../lib/grpc/status.js';
import { status } from '@grpc/grpc-js';
import { type Command, EXIT_ERROR, EXIT_OK } from '../context.js';

const POLL_MS = 100;

export const shutdownCommand: Command = async (ctx) => {
  const { gateway, health } = ctx.clients;
  const cleanup = ctx.options.cleanup ?? false;
  const deadline = Date.now() + ctx.options.timeoutMs;
  const response = await call(gateway.shutdown.bind(gateway), { cleanup }, { timeoutMs: ctx.options.timeoutMs });
  // The engine answers once stopped, then closes its API: wait for that too.
  while (Date.now() < deadline) {
    const gone = await checkHealth(health, '', { timeoutMs: Math.max(1, deadline - Date.now()) }).then(
      () => false,
      (err: unknown) => isServiceError(err) && err.code === status.UNAVAILABLE,
    );
    if (gone) {
      const what = response.cleanedUp ? 'datapath removed' : 'datapath left in place';
      ctx.out(
        ctx.options.output === 'json'
          ? JSON.stringify({ stopped: true, cleanedUp: response.cleanedUp })
          : `engine stopped; ${what}`,
      );
      return EXIT_OK;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  ctx.err(
    `cablectl: the engine at ${ctx.options.target} stopped its work but its API still answers after ${ctx.options.timeoutMs / 1000}s`,
  );
  return EXIT_ERROR;
};
