// Fault injection for the /api endpoints, set at start or at runtime (PUT /_emulator/faults):
// slow answers, 5xx on the next N requests or at a rate, 401 on the next N, 429 with Retry-After,
// and offenses that change between page requests (so a pager that relies on offsets alone skips
// or duplicates). Counters count down as requests consume them.

import { z } from 'zod';

export const faultConfigSchema = z
  .object({
    /** Every matching request waits this long before it is answered. */
    delayMs: z.number().int().min(0).max(600_000).optional(),
    fail5xx: z
      .object({
        next: z.number().int().min(0).optional(),
        rate: z.number().min(0).max(1).optional(),
        status: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional(),
      })
      .strict()
      .optional(),
    unauthorizedNext: z.number().int().min(0).optional(),
    rateLimit: z.object({ next: z.number().int().min(0), retryAfterSeconds: z.number().int().min(0) }).strict().optional(),
    /**
     * Before each GET /siem/offenses whose Range does not start at 0 (a follow-up page): insert
     * new offenses, re-persist (bump last_persisted_time of) the least recently persisted ones,
     * and close the lowest-id open ones.
     */
    mutateWhilePaging: z
      .object({
        insert: z.number().int().min(0).optional(),
        update: z.number().int().min(0).optional(),
        close: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    /** Only requests whose path contains this string are affected (default: all /api requests). */
    pathContains: z.string().optional(),
    /** Seed for the rate-based failures, so a run is reproducible. */
    seed: z.number().int().optional(),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;

export type FaultOutcome =
  | { kind: 'none' }
  | { kind: 'unauthorized' }
  | { kind: 'rateLimited'; retryAfterSeconds: number }
  | { kind: 'serverError'; status: 500 | 502 | 503 };

export interface PagingMutation {
  insert: number;
  update: number;
  close: number;
}

/** mulberry32: a tiny deterministic PRNG so rate-based faults replay identically. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class FaultInjector {
  private config: FaultConfig = {};
  private random: () => number = prng(1);

  constructor(initial: FaultConfig = {}) {
    this.set(initial);
  }

  /** Replaces the whole configuration (validated). */
  set(config: FaultConfig): void {
    this.config = structuredClone(faultConfigSchema.parse(config));
    this.random = prng(this.config.seed ?? 1);
  }

  clear(): void {
    this.set({});
  }

  snapshot(): FaultConfig {
    return structuredClone(this.config);
  }

  private applies(path: string): boolean {
    return this.config.pathContains === undefined || path.includes(this.config.pathContains);
  }

  delayFor(path: string): number {
    return this.applies(path) ? (this.config.delayMs ?? 0) : 0;
  }

  /** Decides (and consumes) the injected failure for one request, if any. */
  next(path: string): FaultOutcome {
    if (!this.applies(path)) return { kind: 'none' };
    const c = this.config;
    if (c.unauthorizedNext !== undefined && c.unauthorizedNext > 0) {
      c.unauthorizedNext -= 1;
      return { kind: 'unauthorized' };
    }
    if (c.rateLimit && c.rateLimit.next > 0) {
      c.rateLimit.next -= 1;
      return { kind: 'rateLimited', retryAfterSeconds: c.rateLimit.retryAfterSeconds };
    }
    if (c.fail5xx) {
      const status = c.fail5xx.status ?? 503;
      if (c.fail5xx.next !== undefined && c.fail5xx.next > 0) {
        c.fail5xx.next -= 1;
        return { kind: 'serverError', status };
      }
      if (c.fail5xx.rate !== undefined && this.random() < c.fail5xx.rate) return { kind: 'serverError', status };
    }
    return { kind: 'none' };
  }

  /** The mutation to apply before serving an offense page that starts at `rangeFirst`. */
  pagingMutation(path: string, rangeFirst: number): PagingMutation | undefined {
    const m = this.config.mutateWhilePaging;
    if (!m || rangeFirst === 0 || !this.applies(path)) return undefined;
    return { insert: m.insert ?? 0, update: m.update ?? 0, close: m.close ?? 0 };
  }
}
