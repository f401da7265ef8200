/**
 * Responder take-over. Only one side of a pair initiates (connection-plan.ts
 * says why). When the responder's pluto is new (pluto restarted, or the whole
 * gateway restarted with its kernel state) while the initiator's is not, the
 * initiator still believes in the old IKE SA: it will not initiate until its
 * liveness checks give up (DPD 30 s plus retransmissions), and with
 * dpdaction=hold only when traffic arrives after that. The cable would stay
 * down for minutes.
 *
 * The evidence that this happened is on the responder: its kernel still holds
 * SAs with that peer that its new pluto never negotiated. So, for connections
 * it has just (re)added as responder towards such a peer, the driver waits a
 * grace period (an initiator that restarted too initiates first, and both
 * sides initiating at once is what the one-initiator rule avoids), and then
 * initiates the ones still not established. The peer's pluto replaces its
 * stale IKE SA with the new one (uniqueids; INITIAL_CONTACT).
 *
 * A first install has no such SAs, so nothing changes there; neither does a
 * restart that lost the kernel state too (a reboot): that is left to DPD.
 */
import { errorMessage } from '../../src/lib/errors.js';
import type { Logger } from '../../src/lib/logger.js';
import type { XfrmState } from '../../src/lib/netlink/index.js';

/** How long a responder waits for the initiator before it initiates itself. */
export const TAKE_OVER_GRACE_MS = 10_000;

/** A connection this side added as responder, and the peer address it talks to. */
export interface TakeOverCandidate {
  connection: string;
  peer: string;
}

export interface TakeOverDeps {
  /** The kernel's SAs (the netlink adapter's listStates). */
  listStates: () => Promise<XfrmState[]>;
  /** Names of the connections that have an established Child SA in pluto now. */
  established: () => Promise<Set<string>>;
  initiate: (connections: string[]) => Promise<void>;
  logger: Logger;
  graceMs?: number;
}

/** Peers with which the kernel holds real SAs (larval ACQUIRE states, SPI 0, are not SAs). */
export function peersWithSas(states: readonly XfrmState[]): Set<string> {
  const peers = new Set<string>();
  for (const st of states) {
    if (st.spi === 0) continue;
    peers.add(st.src);
    peers.add(st.dst);
  }
  return peers;
}

/** What consider() decided: the connections it will take over, and when that is done (or cancelled). */
export interface TakeOverPlan {
  connections: string[];
  done: Promise<void>;
}

export class ResponderTakeOver {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  constructor(private readonly deps: TakeOverDeps) {}

  /**
   * Call right after (re)adding `candidates`, before anything was negotiated
   * with the new pluto: the SAs the kernel holds now are the old pluto's.
   * Resolves once the evidence is read; the take-over itself follows after
   * the grace period (`done`).
   */
  async consider(candidates: readonly TakeOverCandidate[]): Promise<TakeOverPlan> {
    const none = { connections: [], done: Promise.resolve() };
    if (!candidates.length) return none;
    let peers: Set<string>;
    try {
      peers = peersWithSas(await this.deps.listStates());
    } catch (err) {
      this.deps.logger.warn('cannot list XFRM states; responder take-over skipped (DPD will recover)', {
        error: errorMessage(err),
      });
      return none;
    }
    const connections = candidates.filter((c) => peers.has(c.peer)).map((c) => c.connection);
    if (!connections.length) return none;
    const graceMs = this.deps.graceMs ?? TAKE_OVER_GRACE_MS;
    this.deps.logger.info(
      'the kernel holds SAs with these peers that this pluto did not negotiate; initiating as responder unless the peer does first',
      {
        connections,
        graceMs,
      },
    );
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        void this.takeOver(connections).finally(resolve);
      }, graceMs);
      timer.unref();
      this.pending.set(timer, resolve);
    });
    return { connections, done };
  }

  private async takeOver(connections: string[]): Promise<void> {
    try {
      const up = await this.deps.established();
      const down = connections.filter((c) => !up.has(c));
      if (!down.length) return;
      this.deps.logger.info('initiating as responder: the peer still holds the SAs of an IKE SA this pluto lost', {
        connections: down,
      });
      await this.deps.initiate(down);
    } catch (err) {
      this.deps.logger.warn('responder take-over failed; DPD on the peer will recover the connections', {
        connections,
        error: errorMessage(err),
      });
    }
  }

  /** Cancels pending take-overs (the driver is stopping or cleaning up). */
  stop(): void {
    for (const [timer, resolve] of this.pending) {
      clearTimeout(timer);
      resolve();
    }
    this.pending.clear();
  }
}
