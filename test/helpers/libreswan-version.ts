/**
 * Which libreswan the integration tests run against. Debian 12's 4.10 by
 * default; the CI matrix (scripts/libreswan-matrix.sh) runs them again under
 * real 5.2 and 5.4 (../shared/libreswan/with-libreswan.sh) and sets
 * CABLED_LIBRESWAN_VERSION so a test can check it got the version it was
 * meant to get. Tests assert the behaviour of the version they run against.
 */
import { execFileSync } from 'node:child_process';

export interface RunningLibreswan {
  major: number;
  minor: number;
  /** "4.10", "5.2", "5.4". */
  text: string;
}

let cached: RunningLibreswan | undefined;

/** The version of /usr/libexec/ipsec/whack (as this process sees it). */
export function runningLibreswan(): RunningLibreswan {
  if (cached) return cached;
  const out = execFileSync('/usr/libexec/ipsec/whack', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /Libreswan\s+[vU]?(\d+)\.(\d+)/i.exec(out);
  if (!m) throw new Error(`whack --version printed no version: ${out.trim()}`);
  cached = { major: Number(m[1]), minor: Number(m[2]), text: `${m[1]}.${m[2]}` };
  return cached;
}

/** The version the matrix asked for (CABLED_LIBRESWAN_VERSION), if any. */
export function expectedLibreswan(): string | undefined {
  return process.env.CABLED_LIBRESWAN_VERSION || undefined;
}

/** The kernel refusal line as the running version logs it (5.4 names the netlink message). */
export function addSaWords(v: RunningLibreswan = runningLibreswan()): string {
  return v.major > 5 || (v.major === 5 && v.minor >= 4) ? 'XFRM_MSG_UPDSA' : 'Add SA';
}

/**
 * What the initiator's classifier says when the responder's kernel refused a
 * Child SA: 4.x TS_UNACCEPTABLE; 5.x TEMPORARY_FAILURE, or (5.2, the Child SA
 * of IKE_AUTH) a payload-less answer.
 */
export function peerRefusalVerdicts(v: RunningLibreswan = runningLibreswan()): string[] {
  return v.major >= 5 ? ['peer-temporary-failure', 'peer-refused-child'] : ['ts-unacceptable'];
}
