/**
 * Prometheus metrics of the enrichment providers, registered on the kit's registry (the one
 * `/metrics` serves): `kit.metrics.registry`. One label, `provider` (the `missing` name).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CircuitState } from './providers/resilience';

export interface EnricherMetrics {
  /** Calls that reached the provider (cache misses let through by the circuit breaker). */
  readonly calls: Counter<'provider'>;
  /** Calls that failed with an error (not a timeout). */
  readonly errors: Counter<'provider'>;
  /** Events whose lookups at the provider did not finish within its timeout. */
  readonly timeouts: Counter<'provider'>;
  /** Lookups refused at once because the provider's circuit was open. */
  readonly shortCircuited: Counter<'provider'>;
  /** 0 closed, 1 half-open, 2 open. */
  readonly circuitState: Gauge<'provider'>;
  readonly cacheHits: Counter<'provider'>;
  readonly cacheMisses: Counter<'provider'>;
  /** Duration of each provider call, failures included. */
  readonly latency: Histogram<'provider'>;
}

export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Registers the enricher's metrics on `registry` (pass `kit.metrics.registry`). Call once per registry. */
export function createEnricherMetrics(registry: Registry): EnricherMetrics {
  const registers = [registry];
  const labelNames = ['provider'] as const;
  return {
    calls: new Counter({ name: 'seam_enrich_provider_calls_total', help: 'Lookups sent to an enrichment provider (cache misses let through by its circuit breaker)', labelNames, registers }),
    errors: new Counter({ name: 'seam_enrich_provider_errors_total', help: 'Provider lookups that failed with an error (timeouts counted apart)', labelNames, registers }),
    timeouts: new Counter({ name: 'seam_enrich_provider_timeouts_total', help: "Events whose lookups at a provider did not finish within the provider's timeout", labelNames, registers }),
    shortCircuited: new Counter({ name: 'seam_enrich_provider_short_circuited_total', help: 'Lookups refused at once because the circuit was open', labelNames, registers }),
    circuitState: new Gauge({ name: 'seam_enrich_provider_circuit_state', help: 'Circuit breaker state per provider: 0 closed, 1 half-open, 2 open', labelNames, registers }),
    cacheHits: new Counter({ name: 'seam_enrich_cache_hits_total', help: 'Provider answers served from the enrichment cache', labelNames, registers }),
    cacheMisses: new Counter({ name: 'seam_enrich_cache_misses_total', help: 'Enrichment cache misses (the provider is asked)', labelNames, registers }),
    latency: new Histogram({
      name: 'seam_enrich_provider_duration_seconds',
      help: 'Duration of one provider lookup, failures included',
      labelNames,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}
