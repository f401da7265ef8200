/**
 * Which libreswan the integration tests run against. Debian 12's 4.10 by
 * default; the CI matrix (scripts/libreswan-matrix.sh) runs them again under
 * real 5.2 and 5.4 (../shared/libreswan/with-libreswan.sh) and sets
 * CABLED_LIBRESWAN_VERSION so a test can check it got the version it was
 * meant to get. Tests assert the behaviour of the version they run against.
 * Test modules read it once at load: `const lsw = await runningLibreswan();`.
 */
import { atLeast, formatVersion, installedVersion, type LibreswanVersion } from '../../src/lib/whack/index.js';

export interface RunningLibreswan {
  version: LibreswanVersion;
  /** "4.10", "5.2", "5.4". */
  text: string;
  /** 5.4 and later name the netlink message where older versions say "Add SA". */
  addSaWords: string;
  /**
   * What the initiator's classifier says when the responder's kernel refused
   * a Child SA: 4.x TS_UNACCEPTABLE; 5.x TEMPORARY_FAILURE, or (5.2, the
   * Child SA of IKE_AUTH) a payload-less answer.
   */
  peerRefusalVerdicts: string[];
}

let cached: Promise<RunningLibreswan> | undefined;

/** The version of /usr/libexec/ipsec/whack as this process sees it (detected once). */
export function runningLibreswan(): Promise<RunningLibreswan> {
  cached ??= installedVersion().then((version) => ({
    version,
    text: formatVersion(version),
    addSaWords: atLeast(version, 5, 4) ? 'XFRM_MSG_UPDSA' : 'Add SA',
    peerRefusalVerdicts: version.major >= 5 ? ['peer-temporary-failure', 'peer-refused-child'] : ['ts-unacceptable'],
  }));
  return cached;
}

/** The version the matrix asked for (CABLED_LIBRESWAN_VERSION), if any. */
export function expectedLibreswan(): string | undefined {
  return process.env.CABLED_LIBRESWAN_VERSION || undefined;
}
