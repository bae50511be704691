// Fault injection for the /api endpoints, set at start or at runtime (PUT /_emulator/faults):
// slow answers, 5xx on the next N requests or at a rate, 401 on the next N, 429 with Retry-After,
// and offenses that change between page requests (so a pager that relies on offsets alone skips
// or duplicates). Counters count down as requests consume them.

import { z } from 'zod';
import { FaultInjectorBase, countSchema, delayMsSchema, nextOrRateShape, seedSchema, takeNext } from '../emulator-kit/faults';

export const faultConfigSchema = z
  .object({
    /** Every matching request waits this long before it is answered. */
    delayMs: delayMsSchema,
    fail5xx: z
      .object({
        ...nextOrRateShape,
        status: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional(),
      })
      .strict()
      .optional(),
    unauthorizedNext: countSchema.optional(),
    rateLimit: z.object({ next: countSchema, retryAfterSeconds: z.number().int().min(0) }).strict().optional(),
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
    seed: seedSchema,
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

export class FaultInjector extends FaultInjectorBase<FaultConfig> {
  constructor(initial: FaultConfig = {}) {
    super(faultConfigSchema, initial);
  }

  protected applies(path: string): boolean {
    return this.config.pathContains === undefined || path.includes(this.config.pathContains);
  }

  /** Decides (and consumes) the injected failure for one request, if any: 401, then 429, then 5xx. */
  next(path: string): FaultOutcome {
    if (!this.applies(path)) return { kind: 'none' };
    const c = this.config;
    if (takeNext(c, 'unauthorizedNext')) return { kind: 'unauthorized' };
    if (c.rateLimit && takeNext(c.rateLimit, 'next')) return { kind: 'rateLimited', retryAfterSeconds: c.rateLimit.retryAfterSeconds };
    if (c.fail5xx && this.strikes(c.fail5xx)) return { kind: 'serverError', status: c.fail5xx.status ?? 503 };
    return { kind: 'none' };
  }

  /** The mutation to apply before serving an offense page that starts at `rangeFirst`. */
  pagingMutation(path: string, rangeFirst: number): PagingMutation | undefined {
    const m = this.config.mutateWhilePaging;
    if (!m || rangeFirst === 0 || !this.applies(path)) return undefined;
    return { insert: m.insert ?? 0, update: m.update ?? 0, close: m.close ?? 0 };
  }
}
