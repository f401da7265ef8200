/**
 * "Did you mean" help for unknown configuration keys: the known keys close to
 * a misspelled one, plus hints for names taken from elsewhere (the Submariner
 * operator CR).
 */

/** Names used by the Submariner operator CR or chart that mean one of our keys. */
const HINTS: Readonly<Record<string, string>> = {
  ceipsecforceudpencaps: 'ceIPSecForceEncaps',
  ceipsecpsksecret:
    'ceIPSecPSKFile (the file /var/run/secrets/submariner.io/<name>/psk), or env CE_IPSEC_PSKSECRET=<name>',
  mode: 'ceIPSecMode',
  overlay: 'ceIPSecOverlay',
};

/** Edit distance (insert, delete, substitute) between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Known keys close to `unknown` (case-insensitive, within a few edits), closest first. */
export function closeKeys(unknown: string, known: readonly string[]): string[] {
  const u = unknown.toLowerCase();
  const limit = Math.max(2, Math.floor(u.length / 4));
  return known
    .map((k) => ({ k, d: editDistance(u, k.toLowerCase()) }))
    .filter(({ k, d }) => d <= limit || k.toLowerCase().includes(u) || u.includes(k.toLowerCase()))
    .sort((x, y) => x.d - y.d)
    .map(({ k }) => k);
}

/** The reason text for an unknown key: close keys, a hint, or the full list. */
export function unknownKeyReason(unknown: string, known: readonly string[]): string {
  const hint = HINTS[unknown.toLowerCase()];
  const close = closeKeys(unknown, known);
  if (hint && !close.some((k) => k.toLowerCase() === unknown.toLowerCase())) return `unknown key; use ${hint}`;
  if (close.length) return `unknown key; did you mean ${close.slice(0, 3).join(' or ')}?`;
  return `unknown key; known keys are ${known.join(', ')}`;
}
