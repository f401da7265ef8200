/**
 * cablectl's connection to the engine: lazily created gRPC clients, and the
 * short, actionable message for a failed call ("cannot reach the engine at
 * unix:///run/cabled/engine.sock: no such file; is cabled running? pass --socket").
 */
import { credentials, status } from '@grpc/grpc-js';
import { statSync } from 'node:fs';
import { GatewayServiceClient } from '../generated/cabled/engine/v1/engine.js';
import { errorMessage } from '../lib/errors.js';
import { createHealthClient, type HealthClient } from '../lib/grpc/health-client.js';
import { isServiceError, statusName } from '../lib/grpc/status.js';

/** Clients to one engine, created on first use; close() closes those created. */
export class EngineClients {
  private gatewayClient: GatewayServiceClient | undefined;
  private healthClient: HealthClient | undefined;
  constructor(readonly target: string) {}

  get gateway(): GatewayServiceClient {
    return (this.gatewayClient ??= new GatewayServiceClient(this.target, credentials.createInsecure()));
  }
  get health(): HealthClient {
    return (this.healthClient ??= createHealthClient(this.target));
  }
  close(): void {
    this.gatewayClient?.close();
    this.healthClient?.close();
  }
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
}

/** One line saying what went wrong and what to do about it. */
export function describeError(err: unknown, ctx: ErrorContext): string {
  if (!isServiceError(err)) return errorMessage(err);
  const details = err.details || statusName(err.code);
  switch (err.code) {
    case status.UNAVAILABLE: {
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
    case status.CANCELLED:
      return 'cancelled';
    case status.INTERNAL:
    case status.UNKNOWN:
      return `the engine failed: ${details}`;
    default:
      return details;
  }
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
