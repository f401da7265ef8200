/**
 * Pure builders of whack argument arrays. They leave out the global
 * `--ctlsocket <sock>`, which the adapter puts first on every call.
 */
import { type ConnectionEnd, type ConnectionSpec, validateConnection } from './connection.js';
import { nicOffloadFor, type WhackFlags } from './flags.js';

/** DPD delay used when a spec does not say (seconds). */
export const DEFAULT_DPD_DELAY_SEC = 30;

/** What addConnectionArgs produced: argv plus warnings to log (e.g. a remapped nic-offload value). */
export interface BuiltArgs {
  readonly args: string[];
  readonly warnings: string[];
}

/**
 * `--name N <conn options> <left end> --to <right end>` for `flags`' version.
 * Validates the spec first (InvalidArgumentError).
 */
export function addConnectionArgs(flags: WhackFlags, spec: ConnectionSpec): BuiltArgs {
  validateConnection(spec);
  const warnings: string[] = [];
  const args = ['--name', spec.name, ...flags.always, '--psk'];
  args.push(...(spec.mode === 'tunnel' ? flags.tunnel : flags.transport));
  if (spec.encaps) args.push(...flags.encaps);
  if (spec.pfs === true) args.push(...flags.pfsOn);
  if (spec.pfs === false) args.push(...flags.pfsOff);
  if (spec.ike) args.push('--ike', spec.ike);
  if (spec.esp) args.push('--esp', spec.esp);
  const dpd = spec.dpdDelaySec ?? DEFAULT_DPD_DELAY_SEC;
  if (dpd > 0) args.push(...flags.dpd(dpd));
  if (spec.nicOffload !== undefined) {
    const choice = nicOffloadFor(flags.version, spec.nicOffload, { mode: spec.mode, encaps: spec.encaps === true });
    if (choice.warning) warnings.push(`connection "${spec.name}": ${choice.warning}`);
    args.push('--nic-offload', choice.value);
  }
  if (spec.retransmitIntervalMs !== undefined) args.push('--retransmit-interval', String(spec.retransmitIntervalMs));
  if (spec.retransmitTimeoutSec !== undefined) args.push('--retransmit-timeout', String(spec.retransmitTimeoutSec));
  if (spec.keyingTries !== undefined && flags.version.major < 5) args.push('--keyingtries', String(spec.keyingTries));
  args.push(...endArgs(spec.left, spec.updown), '--to', ...endArgs(spec.right, spec.updown));
  return { args, warnings };
}

function endArgs(end: ConnectionEnd, updown: string | undefined): string[] {
  const out: string[] = [];
  if (end.id !== undefined) out.push('--id', end.id);
  out.push('--host', end.host);
  if (end.ikePort !== undefined) out.push('--ikeport', String(end.ikePort));
  if (end.client !== undefined) out.push('--client', end.client);
  if (end.protoPort !== undefined) out.push('--clientprotoport', end.protoPort);
  if (updown !== undefined) out.push('--updown', updown);
  return out;
}

/** Installs the trap policy (`--route`). */
export function routeArgs(name: string): string[] {
  return ['--route', '--name', name];
}

/** Removes the trap policy. */
export function unrouteArgs(name: string): string[] {
  return ['--unroute', '--name', name];
}

/** Starts IKE without waiting for the outcome; poll --showstates / --trafficstatus after. */
export function initiateArgs(name: string): string[] {
  return ['--initiate', '--asynchronous', '--name', name];
}

/** Takes the connection down (keeps it loaded). */
export function terminateArgs(name: string): string[] {
  return ['--terminate', '--name', name];
}

/** Deletes one IKE or Child state by serial (`--deletestate N`), e.g. a Child SA libreswan 5.2 leaves stuck. */
export function deleteStateArgs(serial: number): string[] {
  if (!Number.isInteger(serial) || serial <= 0) throw new RangeError(`not a state serial: ${serial}`);
  return ['--deletestate', String(serial)];
}

/** Deletes the connection and its SAs (an unknown name is silently fine in 4.10). */
export function deleteArgs(name: string): string[] {
  return ['--delete', '--name', name];
}

/** Status queries. */
export type StatusQuery = 'trafficstatus' | 'showstates' | 'briefstatus' | 'status' | 'globalstatus';

/** `--trafficstatus`, `--showstates`, `--briefstatus`, `--status`, `--globalstatus`. */
export function statusArgs(query: StatusQuery): string[] {
  return [`--${query}`];
}

/** Reloads the whole secrets file. */
export function rereadSecretsArgs(): string[] {
  return ['--rereadsecrets'];
}

/** Rescans interfaces (and, as a side effect, reloads secrets). */
export function listenArgs(): string[] {
  return ['--listen'];
}

/** `--version` (prints "Libreswan 4.10"). */
export function versionArgs(): string[] {
  return ['--version'];
}
