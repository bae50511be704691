/** Provider answers cached in Redis: one key per provider and indicator, negative answers kept briefly. */
import type { RedisClient } from '@seam/kit';
import type { Indicator } from '../domain/providers';

export interface LookupCache {
  get(key: string): Promise<string | null>;
  /** Several keys in one round trip (null per miss). */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

// v2: the namespace joined the key (v1 keys had none and are never read again; they expire).
export const CACHE_PREFIX = 'seam:enrich:v2';

/** `@` for no namespace (public addresses, host names); a namespace is URI-encoded, so it is never `@` and holds no `:`. */
export const namespaceKeyPart = (namespace: string | null): string => (namespace === null ? '@' : encodeURIComponent(namespace));

/**
 * `<prefix>:<provider>:<ip|host>:<namespace>:<value>`. The namespace is part of every key: the same
 * private address in two namespaces is two machines and never shares an answer.
 */
export function cacheKey(provider: string, indicator: Indicator, prefix = CACHE_PREFIX): string {
  return `${prefix}:${provider}:${indicator.kind}:${namespaceKeyPart(indicator.namespace)}:${indicator.value}`;
}

/** Redis-backed cache. Every call is bounded by `timeoutMs`; a slow or failing Redis is a miss, never an error. */
export class RedisLookupCache implements LookupCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly timeoutMs = 200,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  async get(key: string): Promise<string | null> {
    try {
      return await this.#bounded(this.redis.get(key));
    } catch (error) {
      this.onError(error);
      return null;
    }
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    try {
      // A cluster refuses MGET across hash slots: one GET per key there (pipelined by ioredis).
      if (this.redis.isCluster) return await this.#bounded(Promise.all(keys.map((key) => this.redis.get(key))));
      return await this.#bounded(this.redis.mget(...keys));
    } catch (error) {
      this.onError(error);
      return keys.map(() => null);
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    try {
      await this.#bounded(this.redis.set(key, value, 'EX', Math.max(1, Math.round(ttlSeconds))));
    } catch (error) {
      this.onError(error);
    }
  }

  #bounded<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('redis: no answer in time')), this.timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}

/** A process-local cache (tests, and running without Redis). Expiry by an injectable clock. */
export class MemoryLookupCache implements LookupCache {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): Promise<string | null> {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt <= this.now()) return Promise.resolve(null);
    return Promise.resolve(entry.value);
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    return Promise.resolve();
  }
}
