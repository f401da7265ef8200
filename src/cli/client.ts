/**
 * cablectl's connection to the engine: lazily created gRPC clients, and the
 * short, actionable message for a failed call ("cannot reach the engine at
 * unix:///run/cabled/engine.sock: no such file; is cabled running? pass --socket").
 */
import { credentials, status, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { readFileSync, statSync } from 'node:fs';
import { GatewayServiceClient } from '../generated/cabled/engine/v1/engine.js';
import { errorMessage } from '../lib/errors.js';
import { createHealthClient, type HealthClient } from '../lib/grpc/health-client.js';
import { isServiceError, statusName } from '../lib/grpc/status.js';
import type { ClientTls } from './args.js';

/** Clients to one engine, created on first use; close() closes those created. */
export class EngineClients {
  private gatewayClient: GatewayServiceClient | undefined;
  private healthClient: HealthClient | undefined;
  private channel: { credentials: ChannelCredentials; options: ChannelOptions } | undefined;
  constructor(
    readonly target: string,
    readonly tls?: ClientTls,
  ) {}

  get gateway(): GatewayServiceClient {
    const { credentials, options } = this.channelSettings();
    return (this.gatewayClient ??= new GatewayServiceClient(this.target, credentials, options));
  }
  get health(): HealthClient {
    const { credentials, options } = this.channelSettings();
    return (this.healthClient ??= createHealthClient(this.target, credentials, options));
  }
  private channelSettings(): { credentials: ChannelCredentials; options: ChannelOptions } {
    this.channel ??= channelSettings(this.tls);
    return this.channel;
  }
  close(): void {
    this.gatewayClient?.close();
    this.healthClient?.close();
  }
}

/** Insecure for the unix socket; mutual TLS from the files for TCP. Throws naming an unreadable file. */
export function channelSettings(tls: ClientTls | undefined): {
  credentials: ChannelCredentials;
  options: ChannelOptions;
} {
  if (!tls) return { credentials: credentials.createInsecure(), options: {} };
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
      throw new Error(`cannot read ${flag} ${path} (${code})`);
    }
  };
  const ca = read('--tls-ca', tls.caFile);
  const cert = read('--tls-cert', tls.certFile);
  const key = read('--tls-key', tls.keyFile);
  let creds: ChannelCredentials;
  try {
    creds = credentials.createSsl(ca, key, cert);
  } catch (err) {
    throw new Error(`cannot use --tls-ca/--tls-cert/--tls-key: ${errorMessage(err)}`);
  }
  const options: ChannelOptions = tls.serverName
    ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName }
    : {};
  return { credentials: creds, options };
}

const ERRNO_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  ECONNREFUSED: 'connection refused',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTSOCK: 'not a socket',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'cannot resolve the host name',
};

/** Where the call went and how the user can change it, for error messages. */
export interface ErrorContext {
  target: string;
  targetFlag: '--socket' | '--address';
  timeoutMs: number;
  /** Set when the call went over TCP with mutual TLS. */
  tls?: ClientTls;
}

/** One line saying what went wrong and what to do about it. */
export function describeError(err: unknown, ctx: ErrorContext): string {
  if (!isServiceError(err)) return errorMessage(err);
  const details = err.details || statusName(err.code);
  switch (err.code) {
    case status.UNAVAILABLE: {
      const tlsReason = ctx.tls ? tlsFailure(details) : undefined;
      if (tlsReason) return `cannot reach the engine at ${ctx.target}: ${tlsReason}`;
      if (!/No connection established|Failed to connect|Connection dropped|read ECONNRESET/i.test(details)) {
        return `the engine at ${ctx.target} is unavailable: ${details}`;
      }
      let errno = /\b(E[A-Z_]{3,})\b/.exec(details)?.[1];
      if (errno === 'ECONNREFUSED' && ctx.target.startsWith('unix://') && !isSocket(ctx.target.slice('unix://'.length)))
        errno = 'ENOTSOCK';
      const reason =
        (errno && ERRNO_REASONS[errno]) ||
        details
          .replace(/^No connection established\. Last error: (Error: )?/, '')
          .replace(/\.? Resolution note:.*$/s, '');
      return `cannot reach the engine at ${ctx.target}: ${reason}; ${reachHint(errno, ctx)}`;
    }
    case status.DEADLINE_EXCEEDED:
      return `the engine at ${ctx.target} did not answer within ${ctx.timeoutMs / 1000}s; is it overloaded? pass --timeout to wait longer`;
    case status.UNIMPLEMENTED:
      return `the engine at ${ctx.target} does not serve this call (${details}); is cablectl newer than cabled?`;
    case status.PERMISSION_DENIED:
      return `the engine at ${ctx.target} refused the call: ${details}`;
    case status.CANCELLED:
      return 'cancelled';
    case status.INTERNAL:
    case status.UNKNOWN:
      return `the engine failed: ${details}`;
    default:
      return details;
  }
}

/** A TLS handshake failure in an UNAVAILABLE status, as one line with what to check; undefined if it is not one. */
function tlsFailure(details: string): string | undefined {
  if (/altnames|Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME/i.test(details))
    return "the engine's certificate is not for this address; pass --tls-server-name with a name it holds";
  if (/self[- ]signed|unable to (get|verify)|certificate has expired|UNABLE_TO_VERIFY|CERT_/i.test(details))
    return `the engine's certificate does not verify against --tls-ca (${tlsDetail(details)}); pass the CA that signed it`;
  if (/\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)\b/.test(details)) return undefined;
  if (
    /alert|handshake|certificate|ECONNRESET|socket hang up|Connection dropped|disconnected before|Failed to connect|No connection established/i.test(
      details,
    )
  )
    return `the TLS handshake failed or the engine closed the connection (${tlsDetail(details)}); the engine accepts only client certificates signed by its --tls-client-ca: check --tls-cert and --tls-key, and that --address is the engine's API port`;
  return undefined;
}

function tlsDetail(details: string): string {
  return details
    .replace(/^No connection established\. Last error: (Error: )?/, '')
    .replace(/\.? Resolution note:.*$/s, '')
    .trim();
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return true; // cannot tell: keep the connection error as it is
  }
}

function reachHint(errno: string | undefined, ctx: ErrorContext): string {
  if (errno === 'EACCES' || errno === 'EPERM')
    return "the socket is 0600: run cablectl as the engine's user (e.g. with sudo)";
  if (ctx.targetFlag === '--address') return 'is cabled running and listening there? pass --address';
  if (errno === 'ECONNREFUSED') return 'the socket is stale: is cabled running? pass --socket';
  return 'is cabled running? pass --socket';
}
