/** `cablectl connection NAME`: one connection in detail, by cluster id or cable name. */
import { GetConnectionResponse } from '../../generated/cabled/engine/v1/engine.js';
import { call } from '../../lib/grpc/call.js';
import { type Command, EXIT_ERROR, EXIT_OK } from '../context.js';
import { connectionDetail } from '../render.js';
import { driverCollectsTraffic } from './driver-traffic.js';

export const connectionCommand: Command = async (ctx) => {
  const { gateway } = ctx.clients;
  const name = ctx.options.args[0] ?? '';
  const response = await call(gateway.getConnection.bind(gateway), { name }, { timeoutMs: ctx.options.timeoutMs });
  if (ctx.options.output === 'json') {
    ctx.out(JSON.stringify(GetConnectionResponse.toJSON(response), null, 2));
    return EXIT_OK;
  }
  if (!response.connection) {
    ctx.err(`the engine returned no connection for ${JSON.stringify(name)}`);
    return EXIT_ERROR;
  }
  ctx.out(connectionDetail(response.connection, ctx.now(), await driverCollectsTraffic(ctx)));
  return EXIT_OK;
};
