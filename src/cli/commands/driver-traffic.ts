/**
 * Whether the engine's driver collects rx/tx bytes, for the tables that show
 * them: asked with GetStatus next to the listing. When the status cannot be
 * read the counters are shown as they are.
 */
import { call } from '../../lib/grpc/call.js';
import type { CommandContext } from '../context.js';
import { collectsTraffic } from '../render.js';

export async function driverCollectsTraffic(ctx: CommandContext): Promise<boolean> {
  const { gateway } = ctx.clients;
  try {
    const { status } = await call(gateway.getStatus.bind(gateway), {}, { timeoutMs: ctx.options.timeoutMs });
    return collectsTraffic(status);
  } catch {
    return true;
  }
}
