/**
 * The engine API's TLS flags. A TCP --listen address serves the API with
 * mutual TLS only: it needs --tls-cert, --tls-key and --tls-client-ca, and the
 * engine refuses to start without them. --tls-admin names the client
 * certificates (CN or SAN) that may call Shutdown over TCP.
 */
import type { ConfigIssue } from '../../lib/errors.js';
import { parseAddress } from '../../lib/grpc/address.js';

export const TLS_OPTIONS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-client-ca': { type: 'string' },
  'tls-admin': { type: 'string', multiple: true },
} as const;

export const TLS_USAGE = `  --tls-cert PATH         server certificate (PEM) of the TCP API [CABLED_TLS_CERT]
  --tls-key PATH          its private key [CABLED_TLS_KEY]
  --tls-client-ca PATH    CA bundle client certificates must chain to [CABLED_TLS_CLIENT_CA]
                          (a TCP --listen address needs all three: mutual TLS, no plaintext)
  --tls-admin NAME,...    client certificates (subject CN or a SAN value) that may call Shutdown
                          over TCP, repeatable [CABLED_TLS_ADMIN]; the others are read-only
`;

/** Where to find out how to make the files. */
export const TLS_HOWTO =
  'make a CA, a server certificate and client certificates (the openssl commands are in docs/deploy.md, "API security") and pass --tls-cert, --tls-key and --tls-client-ca';

/** The API's TLS settings; undefined when no TCP address is served. */
export interface ApiTlsSettings {
  certFile: string;
  keyFile: string;
  clientCaFile: string;
  /** CNs or SAN values of the certificates allowed to call Shutdown. */
  admins: string[];
}

type TlsValues = {
  [K in keyof typeof TLS_OPTIONS]?: (typeof TLS_OPTIONS)[K] extends { multiple: true } ? string[] : string;
};

/** Parses the TLS flags against the listen addresses; pushes an issue for each missing or stray one. */
export function parseTlsSettings(
  values: TlsValues,
  env: NodeJS.ProcessEnv,
  listen: readonly string[],
  issues: ConfigIssue[],
): ApiTlsSettings | undefined {
  const pick = (flag: string | undefined, name: string): string => (flag || env[name]) ?? '';
  const certFile = pick(values['tls-cert'], 'CABLED_TLS_CERT');
  const keyFile = pick(values['tls-key'], 'CABLED_TLS_KEY');
  const clientCaFile = pick(values['tls-client-ca'], 'CABLED_TLS_CLIENT_CA');
  const adminText = values['tls-admin']?.length
    ? values['tls-admin']
    : env.CABLED_TLS_ADMIN
      ? [env.CABLED_TLS_ADMIN]
      : [];
  const admins = adminText
    .flatMap((a) => a.split(','))
    .map((a) => a.trim())
    .filter(Boolean);
  const tcp = listen.filter((a) => {
    try {
      return parseAddress(a).kind === 'tcp';
    } catch {
      return false; // reported where the addresses are parsed
    }
  });
  const given = { '--tls-cert': certFile, '--tls-key': keyFile, '--tls-client-ca': clientCaFile };
  if (tcp.length === 0) {
    for (const [key, value] of Object.entries(given))
      if (value) issues.push({ key, value, reason: 'only used with a TCP --listen address; remove it or add one' });
    if (admins.length)
      issues.push({ key: '--tls-admin', value: admins.join(','), reason: 'only used with a TCP --listen address' });
    return undefined;
  }
  const missing = Object.entries(given)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length) {
    issues.push({
      key: '--listen',
      value: tcp.join(','),
      reason: `the TCP API requires mutual TLS, and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing: ${TLS_HOWTO}; or serve the API on the unix socket only`,
    });
  }
  return { certFile, keyFile, clientCaFile, admins };
}
