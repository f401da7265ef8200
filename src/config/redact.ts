/**
 * How secret values appear in messages: never their text, only their size,
 * e.g. `[redacted, 12 bytes]`.
 */

/** Secret-looking key names (also catches misspelled keys such as ceIpsecPsk). */
export const SECRET_KEY = /psk|secret|password|token/i;

/** `[redacted, N bytes]` for a secret value (N = UTF-8 bytes for strings). */
export function redacted(value: unknown): string {
  const bytes =
    typeof value === 'string'
      ? Buffer.byteLength(value, 'utf8')
      : Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  return `[redacted, ${bytes} bytes]`;
}
