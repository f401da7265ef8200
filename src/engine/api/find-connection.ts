/**
 * Finds the connection GetConnection asks for, by cable name or remote
 * cluster id, with errors that list what is there instead.
 */
import { status } from '@grpc/grpc-js';
import type { Connection } from '../../generated/cabled/driver/v1/driver.js';
import { CabledError, InvalidArgumentError } from '../../lib/errors.js';
import { checkNameLength } from './limits.js';

const MAX_LISTED = 20;

/**
 * The connection whose cable name is `name`, else the one whose cluster id is
 * `name`. Throws INVALID_ARGUMENT for an empty, too long or ambiguous name, and
 * NOT_FOUND listing the known connections otherwise.
 */
export function findConnection(connections: readonly Connection[], name: string): Connection {
  checkNameLength('name', name);
  const wanted = name.trim();
  if (wanted === '') throw new InvalidArgumentError('GetConnection needs a name: a remote cluster id or a cable name');
  const byCable = connections.find((c) => c.endpoint?.cableName === wanted);
  if (byCable) return byCable;
  const byCluster = connections.filter((c) => c.endpoint?.clusterId === wanted);
  if (byCluster.length === 1 && byCluster[0]) return byCluster[0];
  if (byCluster.length > 1) {
    const cables = byCluster.map((c) => c.endpoint?.cableName ?? '?').join(', ');
    throw new InvalidArgumentError(
      `cluster ${JSON.stringify(wanted)} has ${byCluster.length} connections (${cables}); ask for one by cable name`,
    );
  }
  throw new CabledError(
    `no connection matches ${JSON.stringify(wanted)}; ${describeKnown(connections)}`,
    status.NOT_FOUND,
  );
}

function describeKnown(connections: readonly Connection[]): string {
  if (connections.length === 0) return 'the gateway has no connections yet';
  const names = connections
    .slice(0, MAX_LISTED)
    .map((c) => `${c.endpoint?.clusterId || '?'} (${c.endpoint?.cableName || 'no cable name'})`);
  const more = connections.length > MAX_LISTED ? `, and ${connections.length - MAX_LISTED} more` : '';
  return `known clusters (cables): ${names.join(', ')}${more}`;
}
