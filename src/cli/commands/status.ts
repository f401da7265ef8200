/** `cablectl status`: the gateway as a whole. */
import { GetStatusResponse } from '../../generated/cabled/engine/v1/engine.js';
import { call } from '../../lib/grpc/call.js';
import { type Command, EXIT_OK } from '../context.js';
import { statusText } from '../render.js';

export const statusCommand: Command = async (ctx) => {
  const { gateway } = ctx.clients;
  const response = await call(gateway.getStatus.bind(gateway), {}, { timeoutMs: ctx.options.timeoutMs });
  if (ctx.options.output === 'json') ctx.out(JSON.stringify(GetStatusResponse.toJSON(response), null, 2));
  else if (!response.status) ctx.out('the engine returned no status');
  else ctx.out(statusText(response.status, ctx.now()));
  return EXIT_OK;
};
