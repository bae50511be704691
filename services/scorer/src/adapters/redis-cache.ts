/**
 * Redis pieces of the scorer: the LLM answer cache (shared by every instance, keyed by the
 * refiner's input hash = incident content + prompt version + model) and the highest incident version
 * already scored per incident. Both are best effort: when Redis is slow or down, every operation
 * gives up after `timeoutMs`, the scorer works without them (an LLM call more, never a failed
 * verdict), the outage is logged once and Redis is skipped for `cooldownMs` before the next try.
 * Every key is a single key (no multi-key commands), so Redis Cluster works unchanged.
 */
import type { RedisClient } from '@seam/kit';
import type { Logger } from 'pino';
import { z } from 'zod';
import { refinementOutputSchema, type CachedRefinement, type LruRefinementCache, type RefinementCache } from '../llm/index';

/** Calls Redis with a time limit and a shared "down" state, so an outage costs one timeout per cooldown. */
export class RedisGuard {
  private downUntil = 0;
  private down = false;

  constructor(
    readonly redis: RedisClient,
    private readonly log: Logger,
    private readonly timeoutMs = 250,
    private readonly cooldownMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {
    // ioredis reports connection failures as 'error' events; without a listener it prints them itself.
    redis.on('error', (error: unknown) => this.markDown(error));
  }

  get available(): boolean {
    return !this.down || this.now() >= this.downUntil;
  }

  /** `fn`'s result, or `undefined` when Redis is down, slow or failing (logged once per outage). */
  async run<T>(fn: (redis: RedisClient) => Promise<T>): Promise<T | undefined> {
    if (!this.available) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        fn(this.redis),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      if (this.down) {
        this.down = false;
        this.log.info('redis is back: scorer cache and version tracking resumed');
      }
      return result;
    } catch (error) {
      this.markDown(error);
      return undefined;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  private markDown(error: unknown): void {
    this.downUntil = this.now() + this.cooldownMs;
    if (this.down) return;
    this.down = true;
    this.log.warn({ err: error instanceof Error ? error.message : String(error), cooldownMs: this.cooldownMs },
      'redis unavailable: scoring continues without the shared LLM cache and version tracking');
  }
}

const cachedSchema = z.object({
  output: refinementOutputSchema,
  rawOutput: z.string(),
  tokensIn: z.number().int().nonnegative(),
  tokensOut: z.number().int().nonnegative(),
});

/** LLM answers in Redis under `<prefix>llm:<inputHash>` with a TTL; entries are validated on read. */
export class RedisRefinementCache implements RefinementCache {
  constructor(private readonly guard: RedisGuard, private readonly prefix: string, private readonly ttlMs: number) {}

  key(inputHash: string): string {
    return `${this.prefix}llm:${inputHash}`;
  }

  async get(inputHash: string): Promise<CachedRefinement | undefined> {
    const text = await this.guard.run((redis) => redis.get(this.key(inputHash)));
    if (text === undefined || text === null) return undefined;
    try {
      const parsed = cachedSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined; // not JSON: a miss, the next answer overwrites it
    }
  }

  async set(inputHash: string, value: CachedRefinement): Promise<void> {
    await this.guard.run((redis) => redis.set(this.key(inputHash), JSON.stringify(value), 'PX', this.ttlMs));
  }
}

/** An in-process LRU in front of a shared cache: hits stay local, misses fall through, answers go to both. */
export class TieredRefinementCache implements RefinementCache {
  constructor(private readonly local: LruRefinementCache, private readonly shared: RefinementCache | undefined) {}

  async get(key: string): Promise<CachedRefinement | undefined> {
    const local = await this.local.get(key);
    if (local !== undefined || this.shared === undefined) return local;
    const shared = await this.shared.get(key);
    if (shared !== undefined) await this.local.set(key, shared);
    return shared;
  }

  async set(key: string, value: CachedRefinement): Promise<void> {
    await this.local.set(key, value);
    await this.shared?.set(key, value);
  }
}

/** The highest incident version scored per incident, so replays of older versions skip the LLM. */
export interface ScoredVersions {
  /** Records `version` and returns the highest version recorded before it (0 when none). */
  observe(incidentId: string, version: number): Promise<number>;
}

// Atomic max: the stored version only grows, whatever the order of concurrent instances.
const OBSERVE_MAX = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local incoming = tonumber(ARGV[1])
if incoming > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return current
`;

/** In-process record (bounded; the oldest incidents are forgotten first); the fallback when Redis is down. */
export class LocalScoredVersions implements ScoredVersions {
  private readonly versions = new Map<string, number>();
  constructor(private readonly maxEntries = 100_000) {}

  observe(incidentId: string, version: number): Promise<number> {
    const before = this.versions.get(incidentId) ?? 0;
    this.versions.delete(incidentId);
    this.versions.set(incidentId, Math.max(before, version));
    while (this.versions.size > this.maxEntries) {
      const oldest = this.versions.keys().next();
      if (oldest.done === true) break;
      this.versions.delete(oldest.value);
    }
    return Promise.resolve(before);
  }
}

/** Shared across instances in Redis (`<prefix>scored:{<incidentId>}`), with the local record as fallback. */
export class RedisScoredVersions implements ScoredVersions {
  private readonly local = new LocalScoredVersions();

  constructor(private readonly guard: RedisGuard, private readonly prefix: string, private readonly ttlMs: number) {}

  key(incidentId: string): string {
    return `${this.prefix}scored:{${incidentId}}`;
  }

  async observe(incidentId: string, version: number): Promise<number> {
    const local = await this.local.observe(incidentId, version);
    const shared = await this.guard.run(async (redis) => Number(await redis.eval(OBSERVE_MAX, 1, this.key(incidentId), String(version), String(this.ttlMs))));
    return Math.max(local, shared !== undefined && Number.isFinite(shared) ? shared : 0);
  }
}
