/**
 * The one small interface both pluto modes implement (own: the driver starts
 * and supervises pluto; host: the driver uses a pluto someone else runs),
 * plus the restart-hook set they share.
 */
import type { Logger } from '../../../src/lib/logger.js';
import type { WhackAdapter } from '../../../src/lib/whack/index.js';
import type { SecretEntry } from './secrets.js';

/** Why the restart hook fired. */
export interface RestartEvent {
  mode: 'own' | 'host';
  /** pid of the new pluto, when known. */
  pid?: number;
  previousPid?: number;
  /** e.g. "pluto exited (signal SIGKILL)" or "pid changed 123 -> 456". */
  reason: string;
}

/** Called after pluto came back: connections added with whack are gone and must be re-added. */
export type RestartHook = (event: RestartEvent) => void | Promise<void>;

/** A pluto the driver can talk to. */
export interface PlutoHandle {
  readonly mode: 'own' | 'host';
  /** pluto's ctl socket. */
  readonly socket: string;
  /** The adapter bound to that socket. */
  readonly whack: WhackAdapter;
  /** pluto's log file when the driver owns it (own mode), for the SA classifier. */
  readonly logFile: string | undefined;
  /** Resolves when pluto answers on the socket (starts it in own mode; waits for it in host mode). */
  ready(): Promise<void>;
  /** Registers a hook run after every pluto restart; returns a function that removes it. */
  onRestart(hook: RestartHook): () => void;
  /** Replaces the driver's PSK entries and makes pluto reload them. PSKs never reach a command line or a log. */
  writeSecrets(entries: readonly SecretEntry[]): Promise<void>;
  /** own: stops pluto (its SAs go with it); host: stops watching (never touches the host's pluto). */
  stop(): Promise<void>;
  /** Stops watching and leaves pluto running with its SAs, for the next driver instance to adopt. */
  release(): Promise<void>;
  /** The current pluto pid, when known. */
  pid(): number | undefined;
}

/** Restart hooks: run in registration order; a failing hook is logged, the others still run. */
export class RestartHooks {
  private readonly hooks = new Set<RestartHook>();
  constructor(private readonly logger: Logger | undefined) {}

  add(hook: RestartHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  async fire(event: RestartEvent): Promise<void> {
    this.logger?.warn('pluto restarted; re-adding connections', { ...event });
    for (const hook of [...this.hooks]) {
      try {
        await hook(event);
      } catch (err) {
        this.logger?.error('pluto restart hook failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
