/**
 * Leader election on a Lease, as client-go's leaderelection does it, with
 * two additions that shorten a takeover without weakening it:
 *
 * - Every `retryPeriod` (followers: plus up to 20 % jitter) the Lease is read;
 *   a follower takes it when it is free (no holder: released) or when the
 *   record has not changed for `leaseDuration` as measured on this host's
 *   clock from when this host saw it change (never the writer's clock). The
 *   leader renews it. Every write carries the resourceVersion read, so of
 *   two gateways trying at once the API server lets one through and answers
 *   the other 409 Conflict.
 * - Additions: a watch on the Lease (when the store has one) so a follower
 *   sees a release or a renewal at once instead of at its next poll, and a
 *   timer at the exact moment the observed record expires.
 * - A gateway whose identity the Lease still names may take it back at once
 *   (a restart, or after an API outage): the guarded write succeeds only if
 *   nobody took it in between.
 *
 * Fail safe: a leader that has not renewed for `renewDeadline` (counted from
 * when its last successful renewal was *sent*) stops being leader at that
 * moment, by a timer, whatever its pending calls do. renewDeadline <
 * leaseDuration, so it has stopped before any other gateway can consider the
 * Lease expired; the gap (5 s by default) is its time to remove its cables.
 */
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { LeaseRecord, LeaseStore, ReadLease } from './lease.js';

export interface ElectorOptions {
  store: LeaseStore;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger: Logger;
  /** Called on every change of role; `why` says what happened. */
  onChange: (state: ElectorState) => void;
  /** @default Date.now */
  now?: () => number;
  /** @default Math.random */
  random?: () => number;
}

/** What the elector knows. */
export interface ElectorState {
  leader: boolean;
  /** The holder as last read ("" for none). */
  holder: string;
  /** Why the role is what it is. */
  why: string;
  /** The last error talking to the API, "" after a call that worked. */
  lastError: string;
  /** Whether at least one attempt has completed (leader or not). */
  decided: boolean;
}

export class LeaderElector {
  private observed: ReadLease | undefined;
  /** Local time the observed record last changed. */
  private observedAt = 0;
  private leader = false;
  /** Local time the last successful acquire/renew was sent. */
  private renewedAt = 0;
  private state: ElectorState = { leader: false, holder: '', why: 'electing', lastError: '', decided: false };
  private timer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastAttemptFailed = false;
  private watch: { done: Promise<void>; close(): void } | undefined;
  private watchRetry: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: Logger;

  constructor(private readonly o: ElectorOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.log = o.logger.child({ component: 'leader-election', lease: o.store.description });
  }

  get current(): ElectorState {
    return this.state;
  }

  start(): void {
    this.log.info('leader election starting', {
      identity: this.o.identity,
      leaseDurationMs: this.o.leaseDurationMs,
      renewDeadlineMs: this.o.renewDeadlineMs,
      retryPeriodMs: this.o.retryPeriodMs,
    });
    this.startWatch();
    this.kick();
  }

  /** Runs an attempt now (coalesced with one under way). */
  kick(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = (async () => {
      do {
        this.again = false;
        await this.attempt();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  /** Stops electing (no more reads or renewals); a leader stays leader until release() or its deadline. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchRetry);
    this.watch?.close();
    await this.running;
  }

  /**
   * Hands the Lease over at once, if this gateway holds it: no holder, 1 s
   * duration (what client-go's ReleaseOnCancel writes); the others' watch
   * sees it and one of them takes it. Call after stop().
   */
  async release(timeoutMs = this.o.retryPeriodMs): Promise<void> {
    const wasLeader = this.leader;
    clearTimeout(this.deadlineTimer);
    this.setLeader(false, 'stopped: lease released');
    if (!wasLeader || !this.observed) return;
    const now = this.now();
    try {
      await this.o.store.update(
        {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: this.observed.record.leaseTransitions,
        },
        this.observed.resourceVersion,
        timeoutMs,
      );
      this.log.info('lease released');
    } catch (err) {
      this.log.warn('releasing the lease failed; the others take over when it expires', { error: errorMessage(err) });
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    // A leader renews one retry period after its last renewal was sent (not after the answer came, so
    // a slow API does not stretch the cadence), and soon again after a failed attempt.
    let delay = this.leader
      ? this.lastAttemptFailed
        ? Math.min(500, this.o.retryPeriodMs / 2)
        : Math.max(0, this.renewedAt + this.o.retryPeriodMs - this.now())
      : this.o.retryPeriodMs * (1 + 0.2 * this.random());
    const holder = this.observed?.record.holderIdentity;
    if (!this.leader && holder && holder !== this.o.identity) {
      // Wake exactly when the observed record expires, if that comes first.
      const expiresIn = this.observedAt + this.leaseDurationOf(this.observed) - this.now() + 20;
      delay = Math.max(0, Math.min(delay, expiresIn));
    }
    this.timer = setTimeout(() => this.kick(), delay);
  }

  private leaseDurationOf(lease: ReadLease | undefined): number {
    const s = lease?.record.leaseDurationSeconds ?? 0;
    return s > 0 ? s * 1000 : this.o.leaseDurationMs;
  }

  private observe(lease: ReadLease | undefined): void {
    if (!lease) {
      this.observed = undefined;
      return;
    }
    if (!this.observed || this.observed.resourceVersion !== lease.resourceVersion) {
      this.observed = lease;
      this.observedAt = this.now();
    }
  }

  /** How long a call may take: a leader's must end by its deadline. */
  private callTimeout(): number {
    if (!this.leader) return this.o.retryPeriodMs;
    return Math.max(100, this.renewedAt + this.o.renewDeadlineMs - this.now());
  }

  private async attempt(): Promise<void> {
    this.lastAttemptFailed = false;
    const me = this.o.identity;
    const sentAt = this.now();
    try {
      const mine = this.observed;
      if (this.leader && mine?.record.holderIdentity === me) {
        // Renewal: one guarded write with the resourceVersion of the last write (409: read, then decide).
        const renewed = await this.o.store.update(this.record(sentAt, mine), mine.resourceVersion, this.callTimeout());
        return this.won(renewed, sentAt, 'renewed');
      }
      const lease = await this.o.store.get(this.callTimeout());
      if (this.stopped) return;
      this.observe(lease);
      if (!lease) {
        const created = await this.o.store.create(this.record(sentAt, undefined), this.callTimeout());
        return this.won(created, sentAt, 'created the lease');
      }
      const r = lease.record;
      const now = this.now();
      const heldByOther = r.holderIdentity !== '' && r.holderIdentity !== me;
      if (heldByOther && this.observedAt + this.leaseDurationOf(lease) > now) {
        this.lostTo(r.holderIdentity);
        this.report({ holder: r.holderIdentity, lastError: '', decided: true });
        return;
      }
      const why = !heldByOther
        ? r.holderIdentity === me
          ? this.leader
            ? 'renewed'
            : 'took back the lease that still names this gateway'
          : 'took the released lease'
        : `took over the lease of ${r.holderIdentity}, not renewed for ${Math.round((now - this.observedAt) / 100) / 10} s`;
      const updated = await this.o.store.update(this.record(sentAt, lease), lease.resourceVersion, this.callTimeout());
      this.won(updated, sentAt, why);
    } catch (err) {
      if (this.stopped) return;
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 409) {
        // Someone else wrote it first; read it again next time.
        this.log.info('lease changed under this attempt (409 Conflict); reading it again', { identity: me });
        this.observed = undefined;
        this.again = true;
        this.report({ lastError: '', decided: true });
        return;
      }
      this.lastAttemptFailed = true;
      const message = errorMessage(err);
      if (message !== this.state.lastError)
        this.log.warn('leader election: API call failed', { error: message, leader: this.leader });
      this.report({ lastError: message, decided: this.state.decided || !this.leader });
    }
  }

  private record(now: number, current: ReadLease | undefined): LeaseRecord {
    const r = current?.record;
    const mine = r?.holderIdentity === this.o.identity;
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime: mine && r ? r.acquireTime : now,
      renewTime: now,
      leaseTransitions: r ? (mine ? r.leaseTransitions : r.leaseTransitions + 1) : 0,
    };
  }

  private won(lease: ReadLease, sentAt: number, why: string): void {
    this.observed = lease;
    this.observedAt = this.now();
    this.renewedAt = sentAt;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(
      () => this.deadlinePassed(),
      Math.max(0, sentAt + this.o.renewDeadlineMs - this.now()),
    );
    if (!this.leader) this.log.info('became the active gateway', { identity: this.o.identity, why });
    this.setLeader(true, why === 'renewed' ? this.state.why : why);
    this.report({ holder: this.o.identity, lastError: '', decided: true });
  }

  private deadlinePassed(): void {
    if (!this.leader) return;
    const why = `could not renew the lease within the renew deadline (${this.o.renewDeadlineMs / 1000} s)${this.state.lastError ? `: ${this.state.lastError}` : ''}`;
    this.log.error('stopped acting as the active gateway: lease not renewed in time', {
      identity: this.o.identity,
      error: this.state.lastError || undefined,
    });
    this.setLeader(false, why);
  }

  private lostTo(holder: string): void {
    if (this.leader) {
      this.log.error('another gateway holds the lease; stopped acting as the active gateway', { holder });
      this.setLeader(false, `lease taken by ${holder}`);
    } else if (this.state.holder !== holder || !this.state.decided) {
      this.log.info('standing by', { leader: holder });
      this.setLeader(false, `standing by: the lease is held by ${holder}`);
    }
  }

  private setLeader(leader: boolean, why: string): void {
    if (!leader) clearTimeout(this.deadlineTimer);
    const changed = leader !== this.leader || why !== this.state.why;
    this.leader = leader;
    if (changed) this.report({ leader, why });
  }

  private report(patch: Partial<ElectorState>): void {
    const next = { ...this.state, ...patch, leader: this.leader };
    const changed =
      next.leader !== this.state.leader ||
      next.holder !== this.state.holder ||
      next.why !== this.state.why ||
      next.lastError !== this.state.lastError ||
      next.decided !== this.state.decided;
    this.state = next;
    if (changed) this.o.onChange(next);
  }

  private startWatch(): void {
    const store = this.o.store;
    if (!store.watch || this.stopped) return;
    const w = store.watch(
      (lease) => {
        if (this.stopped) return;
        const before = this.observed?.record.holderIdentity;
        this.observe(lease);
        const holder = lease?.record.holderIdentity ?? '';
        // A release, a deletion, a new holder: look at once. Otherwise just re-arm the expiry timer.
        if (holder === '' || holder !== before || (this.leader && holder !== this.o.identity)) this.kick();
        else if (this.running === undefined) this.schedule();
      },
      Math.max(30000, this.o.leaseDurationMs * 3),
    );
    this.watch = w;
    w.done
      .catch((err: unknown) => this.log.debug('lease watch ended', { error: errorMessage(err) }))
      .finally(() => {
        if (this.stopped) return;
        this.watchRetry = setTimeout(() => this.startWatch(), this.o.retryPeriodMs);
      });
  }
}
