/**
 * `cablectl health [SERVICE]`: grpc.health.v1 Check of "" (the gateway) or
 * "driver/<name>". Prints SERVING / NOT_SERVING; exit 0 only when SERVING.
 */
import { status } from '@grpc/grpc-js';
import { checkHealth, listHealth } from '../../lib/grpc/health-client.js';
import { isServiceError } from '../../lib/grpc/status.js';
import { type Command, EXIT_ERROR, EXIT_OK } from '../context.js';

export const healthCommand: Command = async (ctx) => {
  const service = ctx.options.args[0] ?? '';
  const { health } = ctx.clients;
  const timeoutMs = ctx.options.timeoutMs;
  let state: string;
  try {
    state = await checkHealth(health, service, { timeoutMs });
  } catch (err) {
    if (!isServiceError(err) || err.code !== status.NOT_FOUND) throw err;
    const known = await listHealth(health, { timeoutMs }).then(
      (all) => [...all.keys()].map((s) => JSON.stringify(s)).join(', '),
      () => '',
    );
    ctx.err(`cablectl: unknown health service ${JSON.stringify(service)}${known ? `; known: ${known}` : ''}`);
    return EXIT_ERROR;
  }
  ctx.out(ctx.options.output === 'json' ? JSON.stringify({ service, status: state }) : state);
  return state === 'SERVING' ? EXIT_OK : EXIT_ERROR;
};
