/**
 * What the endpoint sources (the file, the Kubernetes API) share: the
 * callbacks they take, and the step that puts a new snapshot in force,
 * announcing it only when it differs from the one before.
 */
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { EndpointPolicy } from './endpoint-policy.js';
import type { EndpointsSnapshot } from './snapshot.js';

/** Options every endpoint source takes besides where it reads from. */
export interface EndpointSourceOptions {
  /** Endpoints of this cluster are dropped. */
  readonly localClusterId?: string;
  /** Limits and this gateway, applied to every entry. @default DEFAULT_POLICY */
  readonly policy?: EndpointPolicy;
  /** A different snapshot is in force. */
  readonly onChange: (snapshot: EndpointsSnapshot) => void;
  /** Reading failed; the previous snapshot stays in force. */
  readonly onError?: (err: Error) => void;
  /** Reading works again after onError (called whether or not anything changed). */
  readonly onRecovered?: () => void;
  readonly logger?: Logger;
  /** @default 100 */
  readonly debounceMs?: number;
}

/** Holds a source's snapshot in force. */
export class SnapshotPublisher {
  private snapshot: EndpointsSnapshot | undefined;
  private print = '';

  /** `fields` name the source in log lines. */
  constructor(
    private readonly options: Pick<EndpointSourceOptions, 'onChange' | 'logger'>,
    private readonly fields: Record<string, unknown>,
  ) {}

  get current(): EndpointsSnapshot | undefined {
    return this.snapshot;
  }

  /**
   * Puts `next` in force unless it equals the snapshot in force. Announced
   * (logged, onChange called; a throwing handler is logged) unless
   * `announce` is false, for a first snapshot the caller hands out itself.
   */
  publish(next: EndpointsSnapshot, announce = true): void {
    const print = JSON.stringify(next);
    if (this.snapshot !== undefined && print === this.print) return;
    const first = this.snapshot === undefined;
    [this.snapshot, this.print] = [next, print];
    const log = this.options.logger;
    if (announce)
      log?.info(first ? 'endpoints listed' : 'endpoints changed', {
        ...this.fields,
        endpoints: next.endpoints.length,
        rejected: next.rejected.length,
      });
    if (next.rejected.length) log?.warn('endpoints rejected', { ...this.fields, rejected: next.rejected });
    if (next.warnings.length)
      log?.warn('endpoints accepted with warnings', { ...this.fields, warnings: next.warnings });
    if (!announce) return;
    try {
      this.options.onChange(next);
    } catch (err) {
      log?.error('endpoints change handler failed', { error: errorMessage(err) });
    }
  }
}
