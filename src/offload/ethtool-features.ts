/**
 * Parses `ethtool -k IFACE` (show features) output (pure). Each line is
 * `name: on|off` with optional `[fixed]` (the driver cannot change it) or
 * `[requested on|off]` (asked for, but the device state differs); indented
 * lines are sub-features. The first line is "Features for IFACE:".
 */

/** One feature's state. */
export interface FeatureState {
  /** Active now. */
  readonly on: boolean;
  /** The driver does not let it change ("[fixed]"). */
  readonly fixed: boolean;
  /** What was requested, when it differs from the state ("[requested on]"). */
  readonly requested?: boolean;
}

/** Features by name; the text does not name the interface in a usable way, so the caller keeps it. */
export type Features = ReadonlyMap<string, FeatureState>;

const LINE = /^\s*([a-z0-9_-]+):\s+(on|off)(?:\s+\[(fixed|requested on|requested off)\])?\s*$/;

/** Reads every feature line; other lines (the header, blank lines) are skipped. */
export function parseEthtoolFeatures(text: string): Features {
  const out = new Map<string, FeatureState>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m?.[1]) continue;
    const state: FeatureState = { on: m[2] === 'on', fixed: m[3] === 'fixed' };
    out.set(m[1], m[3]?.startsWith('requested') ? { ...state, requested: m[3] === 'requested on' } : state);
  }
  return out;
}
