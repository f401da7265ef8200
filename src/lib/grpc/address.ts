/**
 * Listen and dial addresses: `unix:///abs/path.sock` (or `unix:path`, or a bare
 * absolute path), `host:port`, `tcp://host:port`, `[::1]:port`. Parsed once into
 * a value, formatted back into the target string grpc-js understands.
 */
import { isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError } from '../errors.js';

/** A unix socket or a TCP host and port. */
export type Address = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/**
 * Parses an address. Relative unix paths are resolved against the working
 * directory. Throws InvalidArgumentError naming the address and the fix.
 */
export function parseAddress(text: string): Address {
  const input = text.trim();
  if (input === '') throw new InvalidArgumentError('empty address; use unix:///path.sock or host:port');
  if (input.startsWith('unix://')) return unixAddress(input.slice('unix://'.length), text);
  if (input.startsWith('unix:')) return unixAddress(input.slice('unix:'.length), text);
  if (isAbsolute(input)) return unixAddress(input, text);
  const hostPort = input.startsWith('tcp://') ? input.slice('tcp://'.length).replace(/\/$/, '') : input;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(hostPort)) {
    throw new InvalidArgumentError(
      `unsupported address ${JSON.stringify(text)}: use unix:///path.sock, host:port or tcp://host:port`,
    );
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(hostPort);
  if (!match) {
    throw new InvalidArgumentError(
      `invalid address ${JSON.stringify(text)}: expected host:port (IPv6 as [::1]:port) or unix:///path.sock`,
    );
  }
  const port = Number(match[3]);
  if (port > 65535)
    throw new InvalidArgumentError(`invalid address ${JSON.stringify(text)}: port ${port} is above 65535`);
  return { kind: 'tcp', host: match[1] ?? match[2] ?? '', port };
}

function unixAddress(path: string, original: string): Address {
  if (path === '')
    throw new InvalidArgumentError(`invalid address ${JSON.stringify(original)}: the socket path is empty`);
  return { kind: 'unix', path: resolve(path) };
}

/** The grpc-js target for an address: `unix:///abs/path` or `host:port` (`[v6]:port`). */
export function formatAddress(address: Address): string {
  if (address.kind === 'unix') return `unix://${address.path}`;
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

/** Parses then formats: the canonical grpc-js target for any accepted spelling. */
export function normalizeAddress(text: string): string {
  return formatAddress(parseAddress(text));
}
