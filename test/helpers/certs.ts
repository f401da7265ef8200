/**
 * Test scaffolding: real X.509 certificates made with the openssl CLI (argument
 * arrays, never a shell string), for the engine API's mutual TLS. A CA, then
 * leaf certificates it signs: a server certificate for the addresses the
 * engine listens on, client certificates with a common name and optional SANs.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../lab/netns.js';

/** One certificate and its key, as files. */
export interface CertFiles {
  cert: string;
  key: string;
}

/** A CA that signs leaf certificates into `dir`. */
export interface TestCa extends CertFiles {
  /** Issues a certificate named `name` (files `<name>.crt`, `<name>.key`). */
  issue(name: string, opts: IssueOptions): Promise<CertFiles>;
}

export interface IssueOptions {
  /** Subject common name. */
  cn: string;
  /** subjectAltName entries, e.g. ["IP:127.0.0.1", "DNS:localhost", "URI:spiffe://x/admin"]. */
  san?: string[];
  /** serverAuth or clientAuth. */
  usage: 'server' | 'client';
}

const CURVE = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, 30000);
}

/** Makes a self-signed CA `<dir>/<name>.crt` / `.key`. */
export async function makeCa(dir: string, name: string): Promise<TestCa> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl([
    'req',
    '-x509',
    ...CURVE,
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return {
    cert,
    key,
    async issue(leaf: string, opts: IssueOptions): Promise<CertFiles> {
      const leafCert = join(dir, `${leaf}.crt`);
      const leafKey = join(dir, `${leaf}.key`);
      const csr = join(dir, `${leaf}.csr`);
      const ext = join(dir, `${leaf}.ext`);
      await openssl(['req', ...CURVE, '-keyout', leafKey, '-out', csr, '-subj', `/CN=${opts.cn}`]);
      const lines = [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        `extendedKeyUsage=${opts.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ];
      if (opts.san?.length) lines.push(`subjectAltName=${opts.san.join(',')}`);
      await writeFile(ext, `${lines.join('\n')}\n`);
      await openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        cert,
        '-CAkey',
        key,
        '-CAcreateserial',
        '-out',
        leafCert,
        '-days',
        '2',
        '-extfile',
        ext,
      ]);
      return { cert: leafCert, key: leafKey };
    },
  };
}

/** The usual set: a CA, a server certificate for `serverSans`, a reader, an admin, and a client of another CA. */
export interface TestPki {
  ca: TestCa;
  server: CertFiles;
  reader: CertFiles;
  admin: CertFiles;
  /** A client certificate from a CA the engine does not trust. */
  stranger: CertFiles;
  strangerCa: TestCa;
}

export async function makeTestPki(dir: string, serverSans: string[]): Promise<TestPki> {
  const ca = await makeCa(dir, 'api-ca');
  const strangerCa = await makeCa(dir, 'other-ca');
  return {
    ca,
    strangerCa,
    server: await ca.issue('server', { cn: 'cabled-engine', san: serverSans, usage: 'server' }),
    reader: await ca.issue('reader', { cn: 'reader', usage: 'client' }),
    admin: await ca.issue('admin', { cn: 'ops-admin', san: ['URI:spiffe://test/admin'], usage: 'client' }),
    stranger: await strangerCa.issue('stranger', { cn: 'ops-admin', usage: 'client' }),
  };
}
