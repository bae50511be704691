/**
 * Runs every provider for an event's indicators: Redis cache first, then the provider behind its
 * circuit breaker, all under the provider's timeout. A provider that fails or does not answer in
 * time is listed in `enrichment.missing`; the event always goes on.
 */
import type { Logger } from 'pino';
import { indicatorsOf, mergeEnrichment, type EnrichmentProvider, type Indicator, type ProviderOutcome } from './domain/providers';
import type { SecurityEvent } from './domain/security-event';
import { CIRCUIT_STATE_VALUE, type EnricherMetrics } from './metrics';
import { cacheKey, type LookupCache } from './providers/cache';
import { CircuitBreaker, CircuitOpenError, TimeoutError, systemClock, withTimeout, type Clock } from './providers/resilience';

export interface ProviderSettings {
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly coolDownMs: number;
}

export interface EnricherOptions {
  readonly providers: readonly EnrichmentProvider[];
  readonly settings: (provider: string) => ProviderSettings;
  readonly cache: LookupCache | null;
  readonly cacheTtlSeconds: number;
  readonly negativeCacheTtlSeconds: number;
  readonly cachePrefix?: string;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Prometheus metrics (createEnricherMetrics(kit.metrics.registry)). */
  readonly metrics?: EnricherMetrics;
}

export interface EnricherStats {
  cacheHits: number;
  cacheMisses: number;
  lookups: number;
  failures: number;
}

type Found = Awaited<ReturnType<EnrichmentProvider['lookup']>>;

export class Enricher {
  readonly stats: EnricherStats = { cacheHits: 0, cacheMisses: 0, lookups: 0, failures: 0 };
  readonly breakers = new Map<string, CircuitBreaker>();
  readonly #clock: Clock;

  constructor(private readonly options: EnricherOptions) {
    this.#clock = options.clock ?? systemClock;
    for (const provider of options.providers) {
      const settings = options.settings(provider.name);
      options.metrics?.circuitState.set({ provider: provider.name }, CIRCUIT_STATE_VALUE.closed);
      this.breakers.set(
        provider.name,
        new CircuitBreaker(provider.name, {
          failureThreshold: settings.failureThreshold,
          coolDownMs: settings.coolDownMs,
          clock: this.#clock,
          onStateChange: (state) => {
            options.metrics?.circuitState.set({ provider: provider.name }, CIRCUIT_STATE_VALUE[state]);
            options.log?.warn({ provider: provider.name, circuit: state }, 'provider circuit changed state');
          },
        }),
      );
    }
  }

  async enrich(event: SecurityEvent, signal?: AbortSignal): Promise<SecurityEvent> {
    const indicators = indicatorsOf(event);
    if (indicators.length === 0) return event;
    const prefetched = await this.#prefetch(indicators);
    const outcomes = await Promise.all(this.options.providers.map((provider) => this.#runProvider(provider, indicators, signal, prefetched)));
    return mergeEnrichment(event, outcomes.flat());
  }

  /** Every cache key this event needs, read in one round trip. */
  async #prefetch(indicators: readonly Indicator[]): Promise<Map<string, string | null>> {
    const cache = this.options.cache;
    const prefetched = new Map<string, string | null>();
    if (cache === null) return prefetched;
    const keys = this.options.providers.flatMap((provider) =>
      indicators.filter((i) => provider.indicatorKinds.includes(i.kind)).map((i) => cacheKey(provider.name, i, this.options.cachePrefix)),
    );
    const values = await cache.getMany(keys);
    keys.forEach((key, i) => prefetched.set(key, values[i] ?? null));
    return prefetched;
  }

  async #runProvider(provider: EnrichmentProvider, indicators: readonly Indicator[], parent: AbortSignal | undefined, prefetched: ReadonlyMap<string, string | null>): Promise<ProviderOutcome[]> {
    const wanted = indicators.filter((i) => provider.indicatorKinds.includes(i.kind));
    if (wanted.length === 0) return [];
    const { timeoutMs } = this.options.settings(provider.name);
    const metrics = this.options.metrics;
    const labels = { provider: provider.name };
    const found: Found[number][] = [];
    let failure: 'timeout' | 'error' | 'circuit-open' | null = null;
    try {
      await withTimeout(
        (signal) =>
          Promise.all(
            wanted.map(async (indicator) => {
              try {
                found.push(...(await this.#lookup(provider, indicator, signal, prefetched)));
              } catch (error) {
                const kind = error instanceof CircuitOpenError ? 'circuit-open' : error instanceof TimeoutError || signal.aborted ? 'timeout' : 'error';
                failure ??= kind;
                if (kind === 'circuit-open') metrics?.shortCircuited.inc(labels);
                else if (kind === 'error') metrics?.errors.inc(labels);
                if (kind !== 'circuit-open') this.options.log?.debug({ provider: provider.name, err: error instanceof Error ? error.message : String(error) }, 'provider lookup failed');
              }
            }),
          ),
        timeoutMs,
        this.#clock,
        parent,
      );
    } catch {
      failure = 'timeout';
    }
    if (failure === 'timeout') metrics?.timeouts.inc(labels);
    if (failure !== null) this.stats.failures++;
    const outcomes: ProviderOutcome[] = [];
    if (found.length > 0) outcomes.push({ provider: provider.name, status: 'ok', [provider.kind]: found });
    if (failure !== null) outcomes.push({ provider: provider.name, status: 'missing', reason: failure });
    return outcomes;
  }

  async #lookup(provider: EnrichmentProvider, indicator: Indicator, signal: AbortSignal, prefetched: ReadonlyMap<string, string | null>): Promise<Found> {
    const cache = this.options.cache;
    const metrics = this.options.metrics;
    const labels = { provider: provider.name };
    const key = cacheKey(provider.name, indicator, this.options.cachePrefix);
    if (cache !== null) {
      const cached = prefetched.has(key) ? (prefetched.get(key) ?? null) : await cache.get(key);
      if (cached !== null) {
        try {
          const value = JSON.parse(cached) as Found;
          this.stats.cacheHits++;
          metrics?.cacheHits.inc(labels);
          return value;
        } catch {
          // A corrupt entry is a miss.
        }
      }
      this.stats.cacheMisses++;
      metrics?.cacheMisses.inc(labels);
    }
    const breaker = this.breakers.get(provider.name);
    const call = async (): Promise<Found> => {
      this.stats.lookups++;
      metrics?.calls.inc(labels);
      const started = performance.now();
      try {
        return await provider.lookup(indicator, signal);
      } finally {
        metrics?.latency.observe(labels, (performance.now() - started) / 1000);
      }
    };
    const result = breaker === undefined ? await call() : await breaker.run(call);
    if (cache !== null) await cache.set(key, JSON.stringify(result), result.length > 0 ? this.options.cacheTtlSeconds : this.options.negativeCacheTtlSeconds);
    return result;
  }
}
