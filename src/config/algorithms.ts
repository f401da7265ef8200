/**
 * Libreswan algorithm names, and checks for the ESP/IKE proposal strings and
 * DH groups that ceIPSecEsp, ceIPSecIke and ceIPSecPfsGroup hold.
 *
 * Names follow libreswan's own tables (lib/libswan/ike_alg_*.c: each
 * algorithm has a canonical name plus aliases). Matching is case-insensitive,
 * as in libreswan. A proposal is `CIPHER[-INTEG][-DH]` (ESP) or
 * `CIPHER[-INTEG]-PRF[-DH]` (IKE); the DH group may also follow a `;`
 * (`aes_gcm256-sha2_256;modp2048`), a cipher may carry a key length
 * (`aes256`, `aes_gcm_256`), and `+` separates alternatives (`aes+aes_gcm`).
 * Whether a given libreswan build supports an algorithm is checked only by
 * pluto itself; this module catches typos and impossible combinations early.
 */

interface Cipher {
  /** Authenticated encryption: carries its own integrity. */
  aead: boolean;
  /** Key lengths accepted as a suffix; empty = no suffix allowed. */
  keyLengths: readonly number[];
  /** Valid in ESP only (not for IKE). */
  espOnly?: boolean;
}

const AES_LENGTHS = [128, 192, 256] as const;
const cbc: Cipher = { aead: false, keyLengths: AES_LENGTHS };
const aead: Cipher = { aead: true, keyLengths: AES_LENGTHS };

const CIPHERS: Readonly<Record<string, Cipher>> = {
  aes: cbc,
  aes_cbc: cbc,
  aes_ctr: cbc,
  aesctr: cbc,
  aes_gcm: aead,
  aes_gcm_8: aead,
  aes_gcm_a: aead,
  aes_gcm_12: aead,
  aes_gcm_b: aead,
  aes_gcm_16: aead,
  aes_gcm_c: aead,
  aes_ccm: aead,
  aes_ccm_8: aead,
  aes_ccm_a: aead,
  aes_ccm_12: aead,
  aes_ccm_b: aead,
  aes_ccm_16: aead,
  aes_ccm_c: aead,
  aes_gmac: { ...aead, espOnly: true },
  null_auth_aes_gmac: { ...aead, espOnly: true },
  chacha20_poly1305: { aead: true, keyLengths: [] },
  chacha20poly1305: { aead: true, keyLengths: [] },
  camellia: cbc,
  camellia_cbc: cbc,
  '3des': { aead: false, keyLengths: [] },
  '3des_cbc': { aead: false, keyLengths: [] },
};

/** ESP/IKE integrity algorithms; `none`/`null` is for AEAD ciphers only. */
const INTEG = new Set([
  'md5',
  'hmac_md5',
  'hmac_md5_96',
  'sha',
  'sha1',
  'sha1_96',
  'hmac_sha1',
  'sha2',
  'sha256',
  'sha2_256',
  'sha2_256_128',
  'hmac_sha2_256',
  'sha384',
  'sha2_384',
  'sha2_384_192',
  'hmac_sha2_384',
  'sha512',
  'sha2_512',
  'sha2_512_256',
  'hmac_sha2_512',
  'aes_xcbc',
  'aes_xcbc_96',
  'aes_cmac',
  'aes_cmac_96',
  'none',
  'null',
]);

/** IKE pseudo-random functions. */
const PRF = new Set([
  'md5',
  'sha',
  'sha1',
  'sha2',
  'sha256',
  'sha2_256',
  'sha384',
  'sha2_384',
  'sha512',
  'sha2_512',
  'aes_xcbc',
]);

/** DH groups accepted everywhere (RFC 3526 / RFC 5903 / RFC 8031), with libreswan's dhN aliases. */
const DH_GROUPS = new Set([
  'modp2048',
  'modp3072',
  'modp4096',
  'modp6144',
  'modp8192',
  'dh14',
  'dh15',
  'dh16',
  'dh17',
  'dh18',
  'ecp256',
  'ecp384',
  'ecp521',
  'ecp_256',
  'ecp_384',
  'ecp_521',
  'dh19',
  'dh20',
  'dh21',
  'curve25519',
  'dh31',
]);
const WEAK_DH = new Set(['modp768', 'modp1024', 'modp1536', 'dh1', 'dh2', 'dh5', 'dh22', 'dh23', 'dh24']);
/** "No PFS" inside an ESP proposal (`aes-sha2;none`). */
const NO_DH = new Set(['none', 'dh0']);

/** The DH group names shown in messages (canonical spellings). */
export const DH_GROUP_NAMES: readonly string[] = [
  'modp2048',
  'modp3072',
  'modp4096',
  'modp8192',
  'ecp256',
  'ecp384',
  'ecp521',
  'curve25519',
  'dh19',
  'dh20',
  'dh21',
  'dh31',
];
const CIPHER_HINT =
  'aes, aes_ctr, aes_gcm, aes_ccm, chacha20_poly1305, camellia, 3des (key length optional: aes256, aes_gcm256)';

/** Why `name` is not a usable DH group, or undefined when it is. */
export function checkDhGroup(name: string): string | undefined {
  const n = name.toLowerCase();
  if (DH_GROUPS.has(n)) return undefined;
  if (WEAK_DH.has(n)) return `DH group "${name}" is too weak; use modp2048 or stronger (${DH_GROUP_NAMES.join(', ')})`;
  return `unknown DH group "${name}"; use one of ${DH_GROUP_NAMES.join(', ')}`;
}

function checkCipher(token: string, proto: 'ESP' | 'IKE'): { reason?: string; aead: boolean } {
  const t = token.toLowerCase();
  let name = t;
  let length: number | undefined;
  if (!(t in CIPHERS)) {
    // The longest cipher name followed by a key length: aes_gcm_16_256 = aes_gcm_16 + 256.
    const base = Object.keys(CIPHERS)
      .filter((c) => t.startsWith(c) && /^_?\d+$/.test(t.slice(c.length)))
      .sort((a, b) => b.length - a.length)[0];
    if (base) [name, length] = [base, Number(t.slice(base.length).replace('_', ''))];
  }
  const c = CIPHERS[name];
  if (!c) {
    if (t === 'null' || t === 'esp_null')
      return { aead: false, reason: `cipher "${token}" does not encrypt; use an encrypting cipher: ${CIPHER_HINT}` };
    return { aead: false, reason: `unknown ${proto} cipher "${token}"; use one of ${CIPHER_HINT}` };
  }
  if (c.espOnly && proto === 'IKE')
    return { aead: c.aead, reason: `cipher "${token}" is for ESP only; use e.g. aes_gcm256 for IKE` };
  if (length !== undefined && !c.keyLengths.includes(length)) {
    const ok = c.keyLengths.length ? `use ${c.keyLengths.join(', ')}` : 'it takes no key length';
    return { aead: c.aead, reason: `key length ${length} is not valid for ${name}; ${ok}` };
  }
  return { aead: c.aead };
}

/** Whether a token names DH groups; `none` counts only after an integrity token (`aes-sha2-none`). */
const isDh = (alts: string[], allowNone: boolean): boolean =>
  alts.every(
    (a) => DH_GROUPS.has(a.toLowerCase()) || WEAK_DH.has(a.toLowerCase()) || (allowNone && NO_DH.has(a.toLowerCase())),
  );

/** Splits a proposal into cipher alternatives, middle tokens and an optional DH token. */
function split(p: string): { reason?: string; ciphers: string[]; middle: string[][]; dh?: string[] } {
  const parts = p.split(';');
  if (parts.length > 2) return { reason: 'more than one ";"; write CIPHER-INTEG;DH', ciphers: [], middle: [] };
  const tokens = (parts[0] ?? '').split('-').map((t) => t.split('+'));
  if (
    [...tokens, ...(parts[1] !== undefined ? [parts[1].split('+')] : [])].some((alts) =>
      alts.some((a) => a.trim() === ''),
    )
  ) {
    return { reason: 'empty algorithm name; remove the stray "-", "+" or ";"', ciphers: [], middle: [] };
  }
  const [ciphers = [], ...rest] = tokens;
  let dh = parts[1] !== undefined ? parts[1].split('+') : undefined;
  const last = rest[rest.length - 1];
  if (dh === undefined && last && isDh(last, rest.length >= 2)) dh = rest.pop();
  return { ciphers, middle: rest, dh };
}

function checkDhToken(alts: string[], proto: 'ESP' | 'IKE'): string | undefined {
  for (const a of alts) {
    if (proto === 'ESP' && NO_DH.has(a.toLowerCase())) continue;
    const r = checkDhGroup(a);
    if (r) return r;
  }
  return undefined;
}

/** Why an ESP proposal (e.g. `aes_gcm-null`, `aes128-sha2_256`) is not valid, or undefined. */
export function checkEspProposal(proposal: string): string | undefined {
  const s = split(proposal);
  if (s.reason) return s.reason;
  if (s.middle.length > 1) return 'too many parts; an ESP proposal is CIPHER[-INTEG][-DH], e.g. aes128-sha2_256';
  let anyAead = false;
  for (const c of s.ciphers) {
    const r = checkCipher(c, 'ESP');
    if (r.reason) return r.reason;
    anyAead ||= r.aead;
  }
  for (const i of s.middle[0] ?? []) {
    if (!INTEG.has(i.toLowerCase()))
      return `unknown ESP integrity algorithm "${i}"; use e.g. sha2_256, sha2_512, sha1 (or null with an AEAD cipher)`;
    const none = i.toLowerCase() === 'null' || i.toLowerCase() === 'none';
    if (anyAead && !none)
      return `AEAD cipher ${s.ciphers.join('+')} has its own integrity; use ${s.ciphers.join('+')}-null or drop "-${i}"`;
    if (!anyAead && none)
      return `cipher ${s.ciphers.join('+')} needs an integrity algorithm; use e.g. ${s.ciphers[0]}-sha2_256`;
  }
  return s.dh ? checkDhToken(s.dh, 'ESP') : undefined;
}

/** Why an IKE proposal (e.g. `aes_gcm256-sha2_256;modp2048`, `aes256-sha2_256-modp2048`) is not valid, or undefined. */
export function checkIkeProposal(proposal: string): string | undefined {
  const s = split(proposal);
  if (s.reason) return s.reason;
  if (s.middle.length > 2)
    return 'too many parts; an IKE proposal is CIPHER[-INTEG]-PRF[-DH], e.g. aes256-sha2_256-modp2048';
  let anyAead = false;
  for (const c of s.ciphers) {
    const r = checkCipher(c, 'IKE');
    if (r.reason) return r.reason;
    anyAead ||= r.aead;
  }
  const prf = s.middle[s.middle.length - 1];
  const integ = s.middle.length === 2 ? s.middle[0] : undefined;
  for (const i of integ ?? []) {
    const none = i.toLowerCase() === 'null' || i.toLowerCase() === 'none';
    if (!INTEG.has(i.toLowerCase())) return `unknown IKE integrity algorithm "${i}"; use e.g. sha2_256`;
    if (anyAead && !none)
      return `AEAD cipher ${s.ciphers.join('+')} has its own integrity; write ${s.ciphers.join('+')}-PRF, e.g. ${s.ciphers[0]}-sha2_256`;
    if (!anyAead && none)
      return `cipher ${s.ciphers.join('+')} needs an integrity algorithm; use e.g. ${s.ciphers[0]}-sha2_256`;
  }
  for (const p of prf ?? []) {
    if (!PRF.has(p.toLowerCase())) return `unknown IKE PRF "${p}"; use e.g. sha2_256, sha2_512`;
  }
  return s.dh ? checkDhToken(s.dh, 'IKE') : undefined;
}

/** The DH groups named inside a proposal (none if it names no group or says `none`). */
export function proposalDhGroups(proposal: string): string[] {
  const s = split(proposal);
  return (s.dh ?? []).filter((g) => !NO_DH.has(g.toLowerCase()));
}
