/**
 * Reads a PSK from a file (a key of a mounted Secret). Like Submariner's
 * CE_IPSEC_PSKSECRET handling, the file's bytes are base64-encoded, so a
 * Secret of random bytes becomes a printable PSK, and both ends that mount
 * the same Secret derive the same PSK. The bytes are not trimmed.
 */
import { readFile } from 'node:fs/promises';

/** The PSK, or why the file cannot supply one. */
export type PskRead = { ok: true; psk: string } | { ok: false; reason: string };

/** Reads `path` and returns its bytes base64-encoded. */
export async function readPskFile(path: string): Promise<PskRead> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { ok: false, reason: `cannot read the PSK file (${code}); mount the Secret there or fix the path` };
  }
  if (bytes.length === 0) return { ok: false, reason: 'the PSK file is empty; put the PSK in the Secret' };
  return { ok: true, psk: bytes.toString('base64') };
}
