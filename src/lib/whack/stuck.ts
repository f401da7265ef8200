/**
 * Child SAs that libreswan 5.2 leaves stuck (pure). When the responder's
 * kernel refuses the Child SA of IKE_AUTH, 5.2's responder answers without
 * SA/TS payloads; the initiator logs "IKE_AUTH response missing v2SA, v2TSi
 * or v2TSr", hits an EXPECTATION FAILED, and its Child state stays in
 * --showstates as NEW_CHILD_I1 for good (seen on real 5.2, issue 13):
 *   #2: "tun":4500 NEW_CHILD_I1 (sent CREATE_CHILD_SA request for new IPsec SA); eroute owner; lastlive=0s; idle;
 * `whack --deletestate` of that Child state does not clear it (5.2 trips over
 * the same EXPECTATION FAILED building the Delete), so the driver deletes the
 * IKE SA it hangs off (`ikeSerial`), which takes the Child state with it, and
 * lets pluto revive the connection (it is +UP), initiating it if pluto did not.
 */
import { parseLogEvents, type LogEvent } from './log-events.js';
import type { ShowStates } from './showstates.js';

/** A Child state that pluto will not clear by itself. */
export interface StuckChild {
  serial: number;
  connection: string;
  /** The IKE SA it belongs to: the connection's newest IKE state older than the Child state. */
  ikeSerial?: number;
}

/**
 * Non-established Child states whose serial the log shows refused by a
 * payload-less IKE_AUTH answer. `log` is pluto's log (lines or parsed events).
 */
export function stuckChildStates(states: ShowStates, log: readonly string[] | readonly LogEvent[]): StuckChild[] {
  const events: readonly LogEvent[] =
    log.length && typeof log[0] === 'string' ? parseLogEvents(log as readonly string[]) : (log as readonly LogEvent[]);
  const refused = new Set(
    events
      .filter((e) => e.kind === 'child-payloads-missing' && e.serial !== undefined)
      .map((e) => `${e.connection}#${e.serial}`),
  );
  return states.states
    .filter((s) => s.kind === 'child' && !s.established && refused.has(`${s.connection}#${s.serial}`))
    .map((s) => {
      const ike = states.states
        .filter((x) => x.kind === 'ike' && x.connection === s.connection && x.serial < s.serial)
        .sort((a, b) => b.serial - a.serial)[0];
      const parent = s.parent ?? ike?.serial;
      return parent === undefined
        ? { serial: s.serial, connection: s.connection }
        : { serial: s.serial, connection: s.connection, ikeSerial: parent };
    });
}
