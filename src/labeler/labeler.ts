/**
 * The offload-NIC labeler loop: detect ESP offload on this node's
 * interfaces, then make the node's label/annotation (and, when configured,
 * the NFD feature file) say so. Runs at start, every interval, and shortly
 * after any link change (RTNLGRP_LINK). Checks never overlap; a change that
 * arrives during a check runs one more. A failed write is logged with what
 * to do and retried at the next check; it never stops the loop.
 */
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { capableInterfaces, type OffloadReport } from '../offload/index.js';
import type { PatchOutcome } from './node-patcher.js';
import { syncNfdFeatureFile } from './nfd-feature-file.js';

/** What one check found and did. */
export interface CheckResult {
  readonly capable: readonly string[];
  /** The node write, or the error that stopped it. */
  readonly node: PatchOutcome | { error: string };
  /** The NFD file: changed, unchanged, not configured, or the error. */
  readonly nfd: 'changed' | 'unchanged' | 'off' | { error: string };
}

/** Options of OffloadLabeler. */
export interface LabelerOptions {
  readonly detect: () => Promise<OffloadReport>;
  readonly patcher: { apply(capable: readonly string[]): Promise<PatchOutcome> };
  /** NFD features.d directory; empty: no feature file. */
  readonly nfdFeaturesDir?: string;
  /** @default 60000 */
  readonly intervalMs?: number;
  /** Subscribes to link changes; omitted: periodic checks only. */
  readonly linkEvents?: (onChange: () => void) => { close(): void };
  /** Delay after a link change, so a burst of changes makes one check. @default 500 */
  readonly linkDebounceMs?: number;
  readonly logger: Logger;
}

export class OffloadLabeler {
  private running: Promise<CheckResult> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private events: { close(): void } | undefined;
  private stopped = false;

  constructor(private readonly options: LabelerOptions) {}

  /** Runs the first check, then keeps checking until stop(). */
  async start(): Promise<CheckResult> {
    const first = await this.check('start');
    if (this.stopped) return first;
    this.timer = setInterval(() => void this.check('interval'), this.options.intervalMs ?? 60000);
    this.events = this.options.linkEvents?.(() => {
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.check('link change'), this.options.linkDebounceMs ?? 500);
    });
    return first;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    this.events?.close();
  }

  /** One check, or joins the running one (and runs once more after it). */
  check(reason: string): Promise<CheckResult> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let result: CheckResult;
      do {
        this.again = false;
        result = await this.checkOnce(reason);
      } while (this.again && !this.stopped);
      this.running = undefined;
      return result;
    })();
    return this.running;
  }

  private async checkOnce(reason: string): Promise<CheckResult> {
    const log = this.options.logger;
    const report = await this.options.detect();
    for (const e of report.errors) log.warn('could not read the ESP offload features of an interface', e);
    const capable = capableInterfaces(report);
    let node: CheckResult['node'];
    try {
      node = await this.options.patcher.apply(capable);
      if (node === 'patched')
        log.info(capable.length ? 'node labelled: ESP offload' : 'node label removed: no ESP offload', {
          capable,
          reason,
        });
    } catch (err) {
      node = { error: errorMessage(err) };
      log.error('node label not updated; retrying at the next check', { error: node.error });
    }
    let nfd: CheckResult['nfd'] = 'off';
    if (this.options.nfdFeaturesDir) {
      try {
        nfd = (await syncNfdFeatureFile(this.options.nfdFeaturesDir, capable)) ? 'changed' : 'unchanged';
      } catch (err) {
        nfd = { error: errorMessage(err) };
        log.error('NFD feature file not updated; check that --nfd-features-dir is mounted writable', {
          dir: this.options.nfdFeaturesDir,
          error: nfd.error,
        });
      }
    }
    return { capable, node, nfd };
  }
}
