/**
 * Checks between keys: combinations that cannot work even though each value
 * is fine alone. Keys whose own value was rejected are skipped, so one typo
 * gives one issue, not a cascade.
 */
import type { ConfigIssue } from '../lib/errors.js';
import { proposalDhGroups } from './algorithms.js';
import { formatValue, type CableConfigValues } from './cable-config.js';
import { redacted } from './redact.js';
import type { ConfigKey, ConfigValue } from './schema.js';

/** The least PSK length accepted without ceIPSecAllowShortPSK. */
export const MIN_PSK_BYTES = 32;
/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** What the rules need: typed values, the name each key was set under, and the keys already rejected. */
export interface RuleInput {
  readonly values: Partial<Record<keyof CableConfigValues, ConfigValue>>;
  readonly from: ReadonlyMap<ConfigKey, string>;
  readonly failed: ReadonlySet<ConfigKey>;
  /** The key that supplied the PSK (ceIPSecPSK or ceIPSecPSKFile), if any. */
  readonly pskKey?: ConfigKey;
}

/** Every cross-key problem in `input`. */
export function checkRules(input: RuleInput): ConfigIssue[] {
  const { values: v, failed } = input;
  const name = (k: ConfigKey): string => input.from.get(k) ?? k;
  const ok = (...keys: ConfigKey[]): boolean => keys.every((k) => !failed.has(k));
  const issue = (key: ConfigKey, value: ConfigValue, reason: string): ConfigIssue => ({
    key: name(key),
    value: formatValue(value),
    reason,
  });
  const out: ConfigIssue[] = [];

  if (ok('ceIPSecOverlay', 'ceIPSecMode') && v.overlay && v.mode !== 'transport') {
    out.push(
      issue(
        'ceIPSecOverlay',
        v.overlay,
        'an overlay needs ceIPSecMode=transport; set ceIPSecMode: "transport" or remove ceIPSecOverlay',
      ),
    );
  }

  const psk = v.psk;
  if (typeof psk === 'string' && input.pskKey) {
    const key = name(input.pskKey);
    if (Buffer.byteLength(psk, 'utf8') < MIN_PSK_BYTES && v.allowShortPsk !== true && ok('ceIPSecAllowShortPSK')) {
      out.push({
        key,
        value: redacted(psk),
        reason: `shorter than ${MIN_PSK_BYTES} bytes; use a longer PSK or set ceIPSecAllowShortPSK: true`,
      });
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what a PSK must not hold
    if (/["\u0000-\u001f\u007f]/.test(psk)) {
      out.push({
        key,
        value: redacted(psk),
        reason:
          'contains a double quote or a control character (e.g. a newline), which the ipsec secrets file cannot hold; use printable characters, e.g. base64',
      });
    }
  }

  if (ok('ceIPSecPlutoMode', 'ceIPSecPlutoSocket')) {
    if (v.plutoMode === 'host' && v.plutoSocket === undefined) {
      out.push(
        issue(
          'ceIPSecPlutoMode',
          'host',
          "host mode needs the host pluto's control socket; set ceIPSecPlutoSocket (e.g. /run/pluto/pluto.ctl) or use ceIPSecPlutoMode: own",
        ),
      );
    }
    if (v.plutoMode === 'own' && typeof v.plutoSocket === 'string') {
      out.push(
        issue(
          'ceIPSecPlutoSocket',
          v.plutoSocket,
          'only used with ceIPSecPlutoMode=host; set ceIPSecPlutoMode: host or remove ceIPSecPlutoSocket',
        ),
      );
    }
  }
  if (
    ok('ceIPSecPlutoSocket') &&
    typeof v.plutoSocket === 'string' &&
    Buffer.byteLength(v.plutoSocket) > MAX_SOCKET_PATH_BYTES
  ) {
    out.push(
      issue(
        'ceIPSecPlutoSocket',
        v.plutoSocket,
        `longer than ${MAX_SOCKET_PATH_BYTES} bytes, the limit of a unix socket path; use a shorter path`,
      ),
    );
  }

  if (
    ok('ceIPSecOverlay', 'ceIPSecVxlanPort', 'ceIPSecNATTPort', 'ceIPSecIKEPort') &&
    v.overlay === 'vxlan' &&
    v.vxlanPort !== undefined
  ) {
    if (v.vxlanPort === v.nattPort) {
      out.push(
        issue(
          'ceIPSecVxlanPort',
          v.vxlanPort,
          'same UDP port as ceIPSecNATTPort, so VXLAN and ESP-in-UDP would collide; pick another ceIPSecVxlanPort (default 4789)',
        ),
      );
    } else if (v.vxlanPort === v.ikePort) {
      out.push(
        issue(
          'ceIPSecVxlanPort',
          v.vxlanPort,
          'same UDP port as ceIPSecIKEPort, so VXLAN and IKE would collide; pick another ceIPSecVxlanPort (default 4789)',
        ),
      );
    }
  }

  if (ok('ceIPSecPfsGroup', 'ceIPSecEsp') && Array.isArray(v.pfsGroups) && v.pfsGroups.length && Array.isArray(v.esp)) {
    const withDh = v.esp.find((p) => proposalDhGroups(p).length > 0);
    if (withDh !== undefined) {
      out.push(
        issue(
          'ceIPSecPfsGroup',
          v.pfsGroups,
          `ceIPSecEsp "${withDh}" names a DH group too; set PFS in one place: remove ceIPSecPfsGroup or the DH part of ceIPSecEsp`,
        ),
      );
    }
  }
  return out;
}
