/**
 * How the engine and a driver process find each other (go-plugin style):
 * the engine sets the socket path and a magic cookie in the environment; the
 * driver serves, then prints one line `CABLED|<protocol>|unix|<path>|grpc`
 * on stdout. The cookie only stops accidental direct runs; it is not security.
 */
export const PROTOCOL_VERSION = 1;
export const SOCKET_ENV = 'CABLED_DRIVER_SOCKET';
export const COOKIE_ENV = 'CABLED_DRIVER_MAGIC_COOKIE';
export const COOKIE_VALUE = 'b6f1c0de-cabled-driver-v1';
/** Set by the engine when it holds the driver's stdin: EOF means "engine gone". */
export const PARENT_STDIN_ENV = 'CABLED_DRIVER_PARENT_STDIN';

export function formatHandshake(socketPath: string): string {
  return `CABLED|${PROTOCOL_VERSION}|unix|${socketPath}|grpc`;
}

export interface Handshake {
  protocol: number;
  network: 'unix';
  address: string;
}

/** Parses a handshake line; returns undefined for any other output line. */
export function parseHandshake(line: string): Handshake | undefined {
  const parts = line.trim().split('|');
  if (parts.length !== 5 || parts[0] !== 'CABLED' || parts[2] !== 'unix' || parts[4] !== 'grpc') return undefined;
  const protocol = Number(parts[1]);
  if (!Number.isInteger(protocol) || !parts[3]) return undefined;
  return { protocol, network: 'unix', address: parts[3] };
}

/** GetDriverInfo manifest key under which a driver reports what it cannot do right now (src/sdk/problems.ts). */
export const DEGRADED_KEY = 'degraded';
