/** cablectl's commands by name. */
import type { CommandName } from '../args.js';
import type { Command } from '../context.js';
import { connectionCommand } from './connection.js';
import { connectionsCommand } from './connections.js';
import { healthCommand } from './health.js';
import { shutdownCommand } from './shutdown.js';
import { statusCommand } from './status.js';
import { watchCommand } from './watch.js';

export const commands: Record<CommandName, Command> = {
  status: statusCommand,
  connections: connectionsCommand,
  connection: connectionCommand,
  watch: watchCommand,
  health: healthCommand,
  shutdown: shutdownCommand,
};
