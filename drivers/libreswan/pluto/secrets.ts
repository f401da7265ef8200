/**
 * The driver's ipsec.secrets entries: rendered in memory and written
 * atomically with mode 0600. Each PSK is written as `0s<base64>` so any
 * byte is safe inside the file; it never appears on a command line or in a log.
 */
import { chmod, mkdir, rename, writeFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidArgumentError } from '../../../src/lib/errors.js';

/** One PSK entry: `<selectors...> : PSK 0s...`. */
export interface SecretEntry {
  /** Indexes: IPs, @fqdn, user@fqdn, %any; usually [local, remote] (e.g. ["10.0.0.1", "10.0.0.2"]). */
  selectors: readonly string[];
  /** The pre-shared key, verbatim. */
  psk: string;
}

const SELECTOR_RE = /^(?:%any6?|@[^\s"#]+|[^\s"#:@]+@[^\s"#]+|[0-9A-Fa-f.:]+(?:\/\d{1,3})?|[A-Za-z0-9][A-Za-z0-9.-]*)$/;

/** The file text. Throws InvalidArgumentError (without the PSK) on a bad selector or an empty PSK. */
export function renderSecrets(entries: readonly SecretEntry[]): string {
  const lines = ['# written by cabled; do not edit'];
  for (const e of entries) {
    if (!e.selectors.length) throw new InvalidArgumentError('secrets entry without selectors');
    for (const s of e.selectors) {
      if (!SELECTOR_RE.test(s))
        throw new InvalidArgumentError(`secrets selector ${JSON.stringify(s)}: not an IP, @id, user@fqdn or %any`);
    }
    if (!e.psk) throw new InvalidArgumentError(`secrets entry ${e.selectors.join(' ')}: empty PSK`);
    lines.push(`${e.selectors.join(' ')} : PSK 0s${Buffer.from(e.psk, 'utf8').toString('base64')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the entries to `path` (mode 0600, via a 0600 temporary file and rename). */
export async function writeSecretsFile(path: string, entries: readonly SecretEntry[]): Promise<void> {
  const text = renderSecrets(entries);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await unlink(tmp).catch(() => undefined);
  await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
