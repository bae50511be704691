/**
 * Runs every provider for an event's indicators: Redis cache first, then the provider behind its
 * circuit breaker, all under the provider's timeout. A provider that fails or does not answer in
 * time is listed in `enrichment.missing`; the event always goes on.
 */
import type { Logger } from 'pino';
import { indicatorsOf, mergeEnrichment, type EnrichmentProvider, type Indicator, type ProviderOutcome } from './domain/providers';
import type { SecurityEvent } from './domain/security-event';
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
      this.breakers.set(
        provider.name,
        new CircuitBreaker(provider.name, {
          failureThreshold: settings.failureThreshold,
          coolDownMs: settings.coolDownMs,
          clock: this.#clock,
          onStateChange: (state) => options.log?.warn({ provider: provider.name, circuit: state }, 'provider circuit changed state'),
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
      indicators.filter((i) => provider.indicatorKinds.includes(i.kind)).map((i) => cacheKey(provider.name, i.kind, i.value, this.options.cachePrefix)),
    );
    const values = await cache.getMany(keys);
    keys.forEach((key, i) => prefetched.set(key, values[i] ?? null));
    return prefetched;
  }

  async #runProvider(provider: EnrichmentProvider, indicators: readonly Indicator[], parent: AbortSignal | undefined, prefetched: ReadonlyMap<string, string | null>): Promise<ProviderOutcome[]> {
    const wanted = indicators.filter((i) => provider.indicatorKinds.includes(i.kind));
    if (wanted.length === 0) return [];
    const { timeoutMs } = this.options.settings(provider.name);
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
                failure ??= error instanceof CircuitOpenError ? 'circuit-open' : error instanceof TimeoutError || signal.aborted ? 'timeout' : 'error';
                if (!(error instanceof CircuitOpenError)) this.options.log?.debug({ provider: provider.name, err: error instanceof Error ? error.message : String(error) }, 'provider lookup failed');
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
    if (failure !== null) this.stats.failures++;
    const outcomes: ProviderOutcome[] = [];
    if (found.length > 0) outcomes.push({ provider: provider.name, status: 'ok', [provider.kind]: found });
    if (failure !== null) outcomes.push({ provider: provider.name, status: 'missing', reason: failure });
    return outcomes;
  }

  async #lookup(provider: EnrichmentProvider, indicator: Indicator, signal: AbortSignal, prefetched: ReadonlyMap<string, string | null>): Promise<Found> {
    const cache = this.options.cache;
    const key = cacheKey(provider.name, indicator.kind, indicator.value, this.options.cachePrefix);
    if (cache !== null) {
      const cached = prefetched.has(key) ? (prefetched.get(key) ?? null) : await cache.get(key);
      if (cached !== null) {
        try {
          this.stats.cacheHits++;
          return JSON.parse(cached) as Found;
        } catch {
          // A corrupt entry is a miss.
        }
      }
      this.stats.cacheMisses++;
    }
    const breaker = this.breakers.get(provider.name);
    this.stats.lookups++;
    const call = () => provider.lookup(indicator, signal) as Promise<Found>;
    const result = breaker === undefined ? await call() : await breaker.run(call);
    if (cache !== null) await cache.set(key, JSON.stringify(result), result.length > 0 ? this.options.cacheTtlSeconds : this.options.negativeCacheTtlSeconds);
    return result;
  }
}
