/**
 * Server-side mutual TLS from files that may change: the server certificate,
 * its key and the CA bundle client certificates must chain to. The files are
 * read and checked together (the key matches the certificate, every PEM
 * parses) before anything is served; afterwards they are watched, and a new,
 * valid set is served to new connections without a restart. A set that does
 * not work (a half-written rotation, a key of another certificate) is logged
 * and ignored: the last good one stays in force.
 *
 * Messages name files and the reason, never file contents (a key is a secret).
 */
import { ServerCredentials } from '@grpc/grpc-js';
import type { SecureContextOptions } from 'node:tls';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { watchPath, type PathWatch } from '../../config/watch-file.js';
import { errorMessage, InvalidArgumentError } from '../../lib/errors.js';
import { silentLogger, type Logger } from '../../lib/logger.js';

/** The three files of a mutual-TLS server. */
export interface TlsFiles {
  /** PEM server certificate (chain), e.g. tls.crt of a kubernetes.io/tls Secret. */
  certFile: string;
  /** PEM private key of the certificate. */
  keyFile: string;
  /** PEM CA bundle: only client certificates issued by these are accepted. */
  clientCaFile: string;
}

/** What was loaded, for logs. */
export interface LoadedTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  /** Server certificate subject, SANs, expiry and SHA-256 fingerprint (prefix). */
  summary: { subject: string; san: string; notAfter: string; fingerprint: string };
}

/**
 * grpc-js server credentials whose secure context can be replaced: servers
 * bound with them call setSecureContext for new connections on update().
 * Client certificates are required and must chain to the CA.
 */
class ReloadableServerCredentials extends ServerCredentials {
  constructor(initial: SecureContextOptions) {
    super({ requestCert: true, rejectUnauthorized: true }, initial);
  }
  update(options: SecureContextOptions): void {
    this.updateSecureContextOptions(options);
  }
  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

const contextOf = (t: LoadedTls): SecureContextOptions => ({ cert: t.cert, key: t.key, ca: t.ca });

const readPem = async (flag: string, path: string): Promise<Buffer> => {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
    throw new InvalidArgumentError(`${flag} ${path}: cannot read (${code})`);
  }
};

/** Reads and checks the files; throws InvalidArgumentError naming the file and the reason. */
export async function loadTlsFiles(files: TlsFiles): Promise<LoadedTls> {
  const [cert, key, ca] = await Promise.all([
    readPem('--tls-cert', files.certFile),
    readPem('--tls-key', files.keyFile),
    readPem('--tls-client-ca', files.clientCaFile),
  ]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new InvalidArgumentError(`--tls-cert ${files.certFile}: not a PEM certificate (${errorMessage(err)})`);
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('the key does not belong to the certificate');
  } catch (err) {
    throw new InvalidArgumentError(
      `--tls-key ${files.keyFile}: not the private key of ${files.certFile} (${errorMessage(err)})`,
    );
  }
  try {
    new X509Certificate(ca);
    createSecureContext({ cert, key, ca });
  } catch (err) {
    throw new InvalidArgumentError(
      `--tls-client-ca ${files.clientCaFile}: not a usable PEM CA bundle (${errorMessage(err)})`,
    );
  }
  return {
    cert,
    key,
    ca,
    summary: {
      subject: x509.subject.replace(/\n/g, ', '),
      san: x509.subjectAltName ?? '',
      notAfter: x509.validTo,
      fingerprint: createHash('sha256').update(x509.raw).digest('hex').slice(0, 16),
    },
  };
}

/** A mutual-TLS credential that follows the files. */
export interface ReloadingTls {
  /** grpc-js server credentials requiring a client certificate from the CA. */
  readonly credentials: ServerCredentials;
  /** The set in force. */
  current(): LoadedTls;
  /** Re-reads the files now (also done on change and on a slow poll). Resolves true when a new set is in force. */
  reload(): Promise<boolean>;
  /** Stops watching. */
  close(): void;
}

export interface ReloadingTlsOptions extends TlsFiles {
  logger?: Logger;
  /** Safety-net poll of the files. @default 5000 */
  pollMs?: number;
  /** Quiet time after a change before re-reading. @default 200 */
  debounceMs?: number;
}

/** Loads the files (rejects when they do not work) and serves them, reloading on change. */
export async function reloadingTls(options: ReloadingTlsOptions): Promise<ReloadingTls> {
  const logger = options.logger ?? silentLogger();
  let current = await loadTlsFiles(options);
  const credentials = new ReloadableServerCredentials(contextOf(current));

  let lastError = '';
  const reload = async (): Promise<boolean> => {
    let next: LoadedTls;
    try {
      next = await loadTlsFiles(options);
    } catch (err) {
      const message = errorMessage(err);
      if (message !== lastError)
        logger.warn('TLS files changed but do not work; still serving the previous certificate', { error: message });
      lastError = message;
      return false;
    }
    lastError = '';
    if (next.cert.equals(current.cert) && next.key.equals(current.key) && next.ca.equals(current.ca)) return false;
    current = next;
    credentials.update(contextOf(current));
    logger.info('TLS certificate reloaded', { certificate: current.summary });
    return true;
  };

  const watches: PathWatch[] = [...new Set([options.certFile, options.keyFile, options.clientCaFile])].map((path) =>
    watchPath({
      path,
      onEvent: async () => void (await reload()),
      debounceMs: options.debounceMs ?? 200,
      pollMs: options.pollMs ?? 5000,
      logger,
    }),
  );
  return {
    credentials,
    current: () => current,
    reload,
    close: () => {
      for (const w of watches) w.close();
    },
  };
}
