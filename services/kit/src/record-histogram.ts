import type { Metric, Registry } from 'prom-client';

/**
 * A Prometheus histogram for per-record observations on the hot path. prom-client's Histogram
 * hashes the label object and allocates on every `observe` (a labelled child included), which was
 * a measurable share of the kit's per-record CPU and garbage; here a labelled series is looked up
 * once (`labels`) and an observation is a bucket scan and three additions. Exposition (text and
 * JSON through the registry) is the same as prom-client's Histogram: cumulative `_bucket` lines
 * with `le` first, then `+Inf`, `_sum` and `_count` (a unit test compares the two).
 */
export interface RecordHistogramConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Upper bounds, ascending. */
  readonly buckets: readonly number[];
  readonly registers?: readonly Registry[];
}

export interface HistogramSeries {
  observe(value: number): void;
}

interface ExportedValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName: string;
  readonly sharedLabels?: Record<string, string>;
  /** Buckets carry `exemplar: null` as prom-client's do (exemplars are not supported here). */
  readonly exemplar?: null;
}

class Series implements HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count += 1;
  }
}

export class RecordHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly L[];
  private readonly bounds: readonly number[];
  private series = new Map<string, Series>();

  constructor(config: RecordHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    // The registry only calls name, get/getForPromString and reset; it is typed for its own classes.
    for (const registry of config.registers ?? []) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label set; keep it and call `observe` on it per record. */
  labels(labels: Readonly<Record<L, string>>): HistogramSeries {
    const values = this.labelNames.map((name) => {
      const value = labels[name];
      if (typeof value !== 'string') throw new Error(`Missing label ${name} for ${this.name}`);
      return value;
    });
    for (const name of Object.keys(labels)) {
      if (!(this.labelNames as readonly string[]).includes(name)) throw new Error(`Added label "${name}" is not included in initial labelset for ${this.name}`);
    }
    const key = JSON.stringify(values);
    let series = this.series.get(key);
    if (series === undefined) {
      const own: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (own[name] = values[i] as string));
      series = new Series(own, this.bounds);
      this.series.set(key, series);
    }
    return series;
  }

  observe(labels: Readonly<Record<L, string>>, value: number): void {
    this.labels(labels).observe(value);
  }

  reset(): void {
    this.series = new Map();
  }

  /** What the registry formats as text: `le` as the label, the series labels as shared ones. */
  getForPromString(): Promise<{ name: string; help: string; type: string; values: ExportedValue[]; aggregator: string }> {
    const values: ExportedValue[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i] ?? 0;
        values.push({ value: cumulative, labels: { le: bound }, metricName: `${this.name}_bucket`, exemplar: null, sharedLabels: { ...series.labels } });
      });
      values.push({ value: series.count, labels: { le: '+Inf' }, metricName: `${this.name}_bucket`, exemplar: null, sharedLabels: { ...series.labels } });
      values.push({ value: series.sum, labels: {}, metricName: `${this.name}_sum`, sharedLabels: { ...series.labels } });
      values.push({ value: series.count, labels: {}, metricName: `${this.name}_count`, sharedLabels: { ...series.labels } });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** JSON form (registry.getMetricsAsJSON): the labels splayed into one object. */
  async get(): Promise<{ name: string; help: string; type: string; values: ExportedValue[]; aggregator: string }> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })),
    };
  }
}
