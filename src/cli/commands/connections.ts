/** `cablectl connections`: every cable, one row each; `-o wide` adds messages and SAs. */
import { ListConnectionsResponse } from '../../generated/cabled/engine/v1/engine.js';
import { call } from '../../lib/grpc/call.js';
import { type Command, EXIT_OK } from '../context.js';
import { connectionsTable, securityAssociationsTable } from '../render.js';
import { driverCollectsTraffic } from './driver-traffic.js';

export const connectionsCommand: Command = async (ctx) => {
  const { gateway } = ctx.clients;
  const [response, traffic] = await Promise.all([
    call(gateway.listConnections.bind(gateway), {}, { timeoutMs: ctx.options.timeoutMs }),
    ctx.options.output === 'json' ? Promise.resolve(true) : driverCollectsTraffic(ctx),
  ]);
  const { connections } = response;
  if (ctx.options.output === 'json') {
    // Keep "connections" present when empty, so scripts can always iterate it.
    ctx.out(JSON.stringify({ connections: [], ...(ListConnectionsResponse.toJSON(response) as object) }, null, 2));
  } else if (connections.length === 0) {
    ctx.out('No connections.');
  } else {
    const wide = ctx.options.output === 'wide';
    ctx.out(connectionsTable(connections, wide, ctx.now(), traffic));
    if (wide) ctx.out(`\n${securityAssociationsTable(connections)}`);
  }
  return EXIT_OK;
};
