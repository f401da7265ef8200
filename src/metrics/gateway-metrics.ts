/**
 * The gateway's Prometheus registry, a read-only view of the engine: before
 * each scrape every gauge is brought in line with a MetricsSource (status() and
 * connections()). Label sets that are no longer reported (a removed
 * connection, a status that changed) are removed, so series disappear with
 * what they describe. Nothing in the driver path writes metrics.
 */
import { Gauge, Registry } from 'prom-client';
import type { Connection } from '../generated/cabled/driver/v1/driver.js';
import type { GatewayStatus } from '../generated/cabled/engine/v1/engine.js';
import { LABEL_NAMES, METRICS, gatewaySeries, type Labels, type MetricKey, type Sample } from './series.js';

interface Tracked {
  gauge: Gauge<string>;
  /** Label sets set at the last refresh, by key. */
  present: Map<string, Labels>;
}

/** What the metrics read of a gateway (the engine's GatewayView provides it): status and connections. */
export interface MetricsSource {
  status(): GatewayStatus;
  connections(): Connection[];
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly gauges = new Map<MetricKey, Tracked>();

  /** @param startedAtMs the gateway's creation time (submariner_gateway_creation_timestamp). */
  constructor(
    private readonly view: MetricsSource,
    private readonly startedAtMs: number = Date.now(),
  ) {
    for (const [key, m] of Object.entries(METRICS) as [MetricKey, (typeof METRICS)[MetricKey]][]) {
      const gauge = new Gauge({
        name: m.name,
        help: m.help,
        labelNames: LABEL_NAMES[m.labels],
        registers: [this.registry],
      });
      this.gauges.set(key, { gauge, present: new Map() });
    }
  }

  /** The exposition text, current as of this call. */
  async scrape(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Sets every series from the view and removes the ones it no longer reports. */
  refresh(): void {
    const series = gatewaySeries(this.view.status(), this.view.connections(), this.startedAtMs);
    for (const [key, tracked] of this.gauges) sync(tracked, series[key]);
  }
}

function sync(tracked: Tracked, samples: readonly Sample[]): void {
  const next = new Map<string, Labels>();
  for (const s of samples) {
    tracked.gauge.set(s.labels, s.value);
    next.set(JSON.stringify(s.labels), s.labels);
  }
  for (const [key, labels] of tracked.present) if (!next.has(key)) tracked.gauge.remove(labels);
  tracked.present = next;
}
