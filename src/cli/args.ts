/**
 * cablectl's command line: global flags, the command and its arguments, the
 * usage text. Pure: argv and env in, options out (or a UsageError).
 */
import { parseArgs } from 'node:util';
import { errorMessage } from '../lib/errors.js';
import { normalizeAddress } from '../lib/grpc/address.js';

/** The engine socket when neither --socket, --address nor CABLED_SOCKET says otherwise. */
export const DEFAULT_SOCKET = '/run/cabled/engine.sock';
/** Default --timeout, in seconds. */
export const DEFAULT_TIMEOUT_S = 5;

export const COMMANDS = ['status', 'connections', 'connection', 'watch', 'health', 'shutdown'] as const;
/** Default --timeout of `shutdown`, in seconds: removing the datapath can take a while. */
export const SHUTDOWN_TIMEOUT_S = 60;
export type CommandName = (typeof COMMANDS)[number];
export type OutputFormat = 'table' | 'json' | 'wide';

export const USAGE = `Usage: cablectl [flags] COMMAND [ARGS]

Ask a running cabled gateway engine about its state.

Commands:
  status              gateway version, HA status, local endpoint, driver, config, reconcile state
  connections         the cables to remote clusters, like \`subctl show connections\`
  connection NAME     one connection in detail (NAME: remote cluster id or cable name)
  watch               stream connection changes until Ctrl-C
  health [SERVICE]    grpc.health.v1 check of "" (the gateway) or e.g. driver/vxlan;
                      exits 0 only when SERVING
  shutdown [--cleanup] stop the engine and wait until it has (a pod's preStop hook);
                      --cleanup also removes the datapath, otherwise tunnels stay up

Flags:
  --socket PATH       the engine's unix socket (default ${DEFAULT_SOCKET}, env CABLED_SOCKET)
  --address HOST:PORT reach the engine over TCP instead of the socket (mutual TLS:
                      needs --tls-ca, --tls-cert and --tls-key; without them only
                      \`health\` works, against the plaintext health-only port)
  --tls-ca PATH       CA bundle (PEM) that signed the engine's certificate
  --tls-cert PATH     this client's certificate (PEM), from the engine's --tls-client-ca;
                      read-only unless the engine names it in --tls-admin
  --tls-key PATH      its private key
  --tls-server-name N the name to check the engine's certificate for, when it is not
                      the --address host (e.g. an IP address not in the certificate)
  -o, --output FORMAT table (default), wide (adds SAs and status messages) or json
                      (the API response as proto JSON; one object per line for watch)
  --timeout SECONDS   how long to wait for an answer (default ${DEFAULT_TIMEOUT_S}; shutdown ${SHUTDOWN_TIMEOUT_S})
  -h, --help          show this help

Exit codes: 0 ok, 1 error (or not SERVING for health), 2 usage error.`;

/** A command line cablectl cannot run; exits 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface CliOptions {
  command: CommandName | 'help';
  args: string[];
  /** grpc-js target of the engine: unix:///path or host:port. */
  target: string;
  /** Which flag would change the target, for error hints. */
  targetFlag: '--socket' | '--address';
  output: OutputFormat;
  timeoutMs: number;
  /** `shutdown --cleanup`: remove the datapath too. Present only for shutdown. */
  cleanup?: boolean;
  /** Mutual TLS to a TCP --address (required there). */
  tls?: ClientTls;
}

/** cablectl's TLS files and the server name to verify. */
export interface ClientTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Overrides the name checked in the engine's certificate. */
  serverName?: string;
}

const ARG_COUNTS: Record<CommandName, [min: number, max: number, usage: string]> = {
  status: [0, 0, 'status'],
  connections: [0, 0, 'connections'],
  connection: [1, 1, 'connection NAME'],
  watch: [0, 0, 'watch'],
  health: [0, 1, 'health [SERVICE]'],
  shutdown: [0, 0, 'shutdown [--cleanup]'],
};

/** Parses cablectl's arguments (flags may come before or after the command). */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        socket: { type: 'string' },
        address: { type: 'string' },
        output: { type: 'string', short: 'o' },
        timeout: { type: 'string' },
        cleanup: { type: 'boolean' },
        'tls-ca': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-server-name': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(errorMessage(err).replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, positionals } = parsed;
  const [first, ...args] = positionals;

  const output = values.output ?? 'table';
  if (output !== 'table' && output !== 'json' && output !== 'wide') {
    throw new UsageError(`-o ${JSON.stringify(output)}: use table, wide or json`);
  }
  const timeoutS = values.timeout === undefined ? DEFAULT_TIMEOUT_S : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    throw new UsageError(
      `--timeout ${JSON.stringify(values.timeout)}: give a number of seconds above 0, e.g. --timeout 10`,
    );
  }
  if (values.socket !== undefined && values.address !== undefined) {
    throw new UsageError('--socket and --address both given: pass one');
  }
  const targetFlag = values.address !== undefined ? '--address' : '--socket';
  const rawTarget = values.address ?? values.socket ?? env.CABLED_SOCKET ?? DEFAULT_SOCKET;
  let target: string;
  try {
    target =
      values.address !== undefined
        ? normalizeAddress(values.address)
        : normalizeAddress(rawTarget.startsWith('unix:') ? rawTarget : `unix:${rawTarget}`);
  } catch (err) {
    throw new UsageError(`${targetFlag} ${JSON.stringify(rawTarget)}: ${errorMessage(err)}`);
  }

  const tls = clientTls(values, values.address !== undefined, first === 'health');
  const base = { target, targetFlag, output, timeoutMs: timeoutS * 1000, ...(tls ? { tls } : {}) } as const;
  if (values.help || first === 'help') return { ...base, command: 'help', args: [] };
  if (first === undefined) throw new UsageError('no command given');
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(`unknown command ${JSON.stringify(first)}; commands: ${COMMANDS.join(', ')}`);
  }
  const command = first as CommandName;
  const [min, max, usage] = ARG_COUNTS[command];
  if (args.length < min || args.length > max) {
    throw new UsageError(
      `usage: cablectl ${usage}${args.length > max ? ` (unexpected ${JSON.stringify(args[max])})` : ''}`,
    );
  }
  if (command === 'shutdown') {
    const timeoutMs = values.timeout === undefined ? SHUTDOWN_TIMEOUT_S * 1000 : base.timeoutMs;
    return { ...base, timeoutMs, command, args, cleanup: values.cleanup ?? false };
  }
  if (values.cleanup) throw new UsageError(`--cleanup belongs to shutdown, not ${command}`);
  return { ...base, command, args };
}

/**
 * The TLS flags: all three with --address, none with the socket. `health`
 * without them goes in plaintext: the engine's health-only listener
 * (--health-listen) serves grpc.health.v1 without TLS, for kubelet.
 */
function clientTls(
  values: { 'tls-ca'?: string; 'tls-cert'?: string; 'tls-key'?: string; 'tls-server-name'?: string },
  tcp: boolean,
  health: boolean,
): ClientTls | undefined {
  const flags = { '--tls-ca': values['tls-ca'], '--tls-cert': values['tls-cert'], '--tls-key': values['tls-key'] };
  const given = Object.entries(flags).filter(([, v]) => v !== undefined && v !== '');
  if (!tcp) {
    const stray = [...given.map(([k]) => k), ...(values['tls-server-name'] ? ['--tls-server-name'] : [])];
    if (stray.length)
      throw new UsageError(`${stray.join(', ')}: only used with --address (the unix socket has no TLS)`);
    return undefined;
  }
  if (health && given.length === 0) return undefined;
  const missing = Object.entries(flags)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length) {
    throw new UsageError(
      `--address needs ${missing.join(', ')}: the engine's TCP API requires mutual TLS (a client certificate from the CA the engine trusts); see docs/deploy.md, "API security"`,
    );
  }
  return {
    caFile: values['tls-ca'] ?? '',
    certFile: values['tls-cert'] ?? '',
    keyFile: values['tls-key'] ?? '',
    ...(values['tls-server-name'] ? { serverName: values['tls-server-name'] } : {}),
  };
}
