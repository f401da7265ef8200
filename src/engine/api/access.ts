/**
 * Who may call what on the engine API. The unix socket (0600, on the gateway
 * host) may call everything. The TCP listener takes only clients whose
 * certificate chains to --tls-client-ca (the TLS layer refuses the others);
 * there every call is read-only, except for certificates named by --tls-admin
 * (subject CN or any SAN value), which may call the calls that change the
 * gateway (Shutdown). A call not known to be read-only counts as one that
 * changes something, so a call added later is admin-only until listed here.
 */
import {
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { CabledError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

/** GatewayService calls that only read (by their handler name in the generated service). */
export const READ_ONLY_CALLS: ReadonlySet<string> = new Set([
  'getStatus',
  'listConnections',
  'getConnection',
  'watchConnections',
]);

/** How a listener is reached: the local socket, or TCP with client certificates. */
export type ApiAccess = { kind: 'local' } | { kind: 'tls'; admins: readonly string[] };

export class PermissionDeniedError extends CabledError {
  constructor(message: string) {
    super(message, status.PERMISSION_DENIED);
  }
}

/** The names a certificate goes by: subject CN(s) and every SAN value (DNS, IP, URI, email). */
export function certificateNames(cert: PeerCertificate | undefined): string[] {
  if (!cert) return [];
  const cn = cert.subject?.CN;
  const names = Array.isArray(cn) ? [...cn] : cn ? [cn] : [];
  for (const entry of splitSan(cert.subjectaltname ?? '')) {
    const i = entry.indexOf(':');
    if (i > 0) names.push(entry.slice(i + 1));
  }
  return names;
}

/** Splits Node's "DNS:a, IP Address:1.2.3.4, URI:\"x,y\"" into entries (values may be JSON-quoted). */
function splitSan(text: string): string[] {
  const out: string[] = [];
  const re = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g;
  for (let m = re.exec(text); m && m[0] !== ''; m = re.exec(text)) {
    let value = m[2] ?? '';
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        /* keep as written */
      }
    }
    out.push(`${(m[1] ?? '').trim()}:${value}`);
  }
  return out;
}

/** "CN=reader, SAN: DNS:x" for messages. */
function describeCertificate(cert: PeerCertificate | undefined): string {
  if (!cert) return 'no client certificate';
  const cn = cert.subject?.CN;
  const san = cert.subjectaltname ? `, SAN ${cert.subjectaltname}` : '';
  return `client certificate CN=${Array.isArray(cn) ? cn.join('+') : (cn ?? '')}${san}`;
}

/** Throws PermissionDeniedError unless `call` may make a call that changes the gateway. */
export function checkAdmin(
  access: ApiAccess,
  method: string,
  call: Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext'>,
): void {
  if (access.kind === 'local') return;
  const auth = call.getAuthContext();
  if (auth.transportSecurityType !== 'ssl' || !auth.sslPeerCertificate)
    throw new PermissionDeniedError(`${method} needs an authenticated client certificate`);
  const names = certificateNames(auth.sslPeerCertificate);
  if (names.some((n) => access.admins.includes(n))) return;
  throw new PermissionDeniedError(
    `${method} changes the gateway and is refused to ${describeCertificate(auth.sslPeerCertificate)}: ` +
      "over TCP only certificates named by the engine's --tls-admin may call it (their CN or a SAN); " +
      'use the unix socket on the gateway host, or a certificate listed in --tls-admin',
  );
}

/**
 * Wraps every handler of `impl` that is not in READ_ONLY_CALLS with the admin
 * check of `access` (unary and server-streaming calls; other kinds are refused).
 * With local access, `impl` is returned as it is.
 */
export function guardService<T extends object>(impl: T, access: ApiAccess, logger: Logger): T {
  if (access.kind === 'local') return impl;
  const out: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(impl as UntypedServiceImplementation)) {
    if (READ_ONLY_CALLS.has(name)) {
      out[name] = handler;
      continue;
    }
    const method = name.charAt(0).toUpperCase() + name.slice(1);
    out[name] = (
      call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
      callback?: sendUnaryData<unknown>,
    ) => {
      try {
        checkAdmin(access, method, call);
      } catch (err) {
        const e = err as PermissionDeniedError;
        logger.warn('API call refused', { call: method, peer: call.getPeer(), reason: e.message });
        if (callback) callback({ code: e.code, details: e.message });
        else (call as ServerWritableStream<unknown, unknown>).emit('error', { code: e.code, details: e.message });
        return;
      }
      (handler as (...args: unknown[]) => void)(call, callback);
    };
  }
  return out as T;
}
