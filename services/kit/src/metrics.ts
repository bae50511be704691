import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RecordHistogram } from './record-histogram';

/**
 * The kit's Prometheus metrics. Stages register their own metrics on `registry` (the same one
 * `/metrics` serves).
 */
export interface KitMetrics {
  readonly registry: Registry;
  readonly consumed: Counter<'stage' | 'topic'>;
  readonly produced: Counter<'stage' | 'topic'>;
  readonly dlq: Counter<'stage' | 'topic' | 'error_class'>;
  /** Observed once per record: a lighter histogram than prom-client's (same exposition). */
  readonly handlerSeconds: RecordHistogram<'stage' | 'topic'>;
  readonly lag: Gauge<'stage' | 'topic' | 'partition'>;
  readonly rebalances: Counter<'stage'>;
}

export interface MetricsOptions {
  readonly registry?: Registry;
  /** Process metrics (CPU, memory, event loop lag); off in unit tests. */
  readonly defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): KitMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    consumed: new Counter({ name: 'seam_records_consumed_total', help: 'Input records processed', labelNames: ['stage', 'topic'], registers }),
    produced: new Counter({ name: 'seam_records_produced_total', help: 'Output records acknowledged by the broker', labelNames: ['stage', 'topic'], registers }),
    dlq: new Counter({ name: 'seam_records_dlq_total', help: 'Input records sent to the DLQ', labelNames: ['stage', 'topic', 'error_class'], registers }),
    handlerSeconds: new RecordHistogram({
      name: 'seam_handler_duration_seconds',
      help: 'Time spent in the stage handler per record, retries included',
      labelNames: ['stage', 'topic'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    lag: new Gauge({ name: 'seam_consumer_lag', help: 'Records behind the high watermark, per partition', labelNames: ['stage', 'topic', 'partition'], registers }),
    rebalances: new Counter({ name: 'seam_consumer_rebalances_total', help: 'Consumer group rebalances seen', labelNames: ['stage'], registers }),
  };
}
