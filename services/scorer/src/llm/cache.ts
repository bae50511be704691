import type { RefinementOutput } from './output';

/** A validated model answer, stored by input hash (incident content + prompt version + model). */
export interface CachedRefinement {
  readonly output: RefinementOutput;
  readonly rawOutput: string;
  readonly tokensIn: number;
  readonly tokensOut: number;
}

/** Async so that a Redis-backed cache can implement it (values must be re-validated on read there). */
export interface RefinementCache {
  get(key: string): Promise<CachedRefinement | undefined>;
  set(key: string, value: CachedRefinement): Promise<void>;
}

/** In-memory LRU with a TTL; Map iteration order is insertion order, so the first key is the oldest. */
export class LruRefinementCache implements RefinementCache {
  private readonly entries = new Map<string, { value: CachedRefinement; expiresAt: number }>();

  constructor(
    private readonly maxEntries = 1000,
    private readonly ttlMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Promise<CachedRefinement | undefined> {
    const entry = this.entries.get(key);
    if (entry === undefined) return Promise.resolve(undefined);
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return Promise.resolve(undefined);
    this.entries.set(key, entry);
    return Promise.resolve(entry.value);
  }

  set(key: string, value: CachedRefinement): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    return Promise.resolve();
  }
}
