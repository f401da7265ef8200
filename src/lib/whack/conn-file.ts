/**
 * Renders ConnectionSpecs as ipsec.conf `conn` sections (pure). Used to load
 * many connections with ONE addconn call, and by host mode to persist
 * connections as <ipsec.d>/cabled-<name>.conf so they survive a pluto restart.
 * The same validation and version rules as the whack builders apply.
 */
import { DEFAULT_DPD_DELAY_SEC } from './builders.js';
import { type ConnectionEnd, type ConnectionSpec, validateConnection } from './connection.js';
import { nicOffloadFor } from './flags.js';
import type { LibreswanVersion } from './version.js';

/** What pluto does with the conn when it loads the file (addconn --autoall, pluto start). */
export type ConnAuto = 'add' | 'route' | 'start' | 'ignore';

/** A rendered section plus warnings to log. */
export interface RenderedConn {
  readonly text: string;
  readonly warnings: string[];
}

/** One `conn <name>` section, tab-indented, ending with a blank line. */
export function renderConn(version: LibreswanVersion, spec: ConnectionSpec, auto: ConnAuto): RenderedConn {
  validateConnection(spec);
  const warnings: string[] = [];
  const kv: [string, string][] = [];
  endKeys(kv, 'left', spec.left);
  endKeys(kv, 'right', spec.right);
  kv.push(['authby', 'secret']);
  kv.push(version.major < 5 ? ['ikev2', 'insist'] : ['keyexchange', 'ikev2']);
  kv.push(['type', spec.mode]);
  if (spec.encaps) kv.push(['encapsulation', 'yes']);
  if (spec.pfs !== undefined) kv.push(['pfs', spec.pfs ? 'yes' : 'no']);
  if (spec.ike) kv.push(['ike', spec.ike]);
  if (spec.esp) kv.push(['esp', spec.esp]);
  const dpd = spec.dpdDelaySec ?? DEFAULT_DPD_DELAY_SEC;
  if (dpd > 0) {
    kv.push(['dpddelay', String(dpd)]);
    if (version.major < 5) kv.push(['dpdaction', 'hold']);
  }
  if (spec.nicOffload !== undefined) {
    const choice = nicOffloadFor(version, spec.nicOffload, { mode: spec.mode, encaps: spec.encaps === true });
    if (choice.warning) warnings.push(`connection "${spec.name}": ${choice.warning}`);
    kv.push(['nic-offload', choice.value]);
  }
  if (spec.retransmitIntervalMs !== undefined) kv.push(['retransmit-interval', String(spec.retransmitIntervalMs)]);
  if (spec.retransmitTimeoutSec !== undefined) kv.push(['retransmit-timeout', String(spec.retransmitTimeoutSec)]);
  if (spec.keyingTries !== undefined && version.major < 5) kv.push(['keyingtries', String(spec.keyingTries)]);
  if (spec.updown !== undefined) {
    kv.push(['leftupdown', quote(spec.updown)], ['rightupdown', quote(spec.updown)]);
  }
  if (spec.alias !== undefined) kv.push(['connalias', spec.alias]);
  kv.push(['auto', auto]);
  return { text: `conn ${spec.name}\n${kv.map(([k, v]) => `\t${k}=${v}\n`).join('')}\n`, warnings };
}

/** A whole config file: a minimal `config setup` and the sections (for addconn --config). */
export function renderConnFile(
  version: LibreswanVersion,
  specs: readonly ConnectionSpec[],
  auto: ConnAuto,
): RenderedConn {
  const parts = specs.map((s) => renderConn(version, s, auto));
  return {
    text: `# written by cabled; do not edit\nconfig setup\n\n${parts.map((p) => p.text).join('')}`,
    warnings: parts.flatMap((p) => p.warnings),
  };
}

function endKeys(kv: [string, string][], side: 'left' | 'right', end: ConnectionEnd): void {
  kv.push([side, end.host]);
  if (end.id !== undefined) kv.push([`${side}id`, quote(end.id)]);
  if (end.ikePort !== undefined) kv.push([`${side}ikeport`, String(end.ikePort)]);
  if (end.client !== undefined) kv.push([`${side}subnet`, end.client]);
  if (end.protoPort !== undefined) kv.push([`${side}protoport`, end.protoPort]);
}

/** Quotes values with spaces, commas or % (DNs, "%disabled"). Validation already refused quotes and newlines. */
function quote(value: string): string {
  return /[\s,%=#]/.test(value) ? `"${value}"` : value;
}
