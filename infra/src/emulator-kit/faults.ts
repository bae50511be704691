// The emulator-independent half of fault injection: a validated, replaceable configuration with a
// seeded PRNG, per-request scoping, delays, and the counters the emulators' own fault kinds are
// built from ("the next N requests", "at this rate", "at most N per second", "only N more times").
// What a fault looks like on the wire (QRadar envelope, AWS error shapes) stays in each emulator.

import { z } from 'zod';
import { seededRandom } from './random';

/** `delayMs`: every matching request waits this long before it is answered. */
export const delayMsSchema = z.number().int().min(0).max(600_000).optional();
/** `seed`: seed for the rate-based failures, so a run is reproducible. */
export const seedSchema = z.number().int().optional();
/** A counter that counts down as requests consume it. */
export const countSchema = z.number().int().min(0);
/** The `next`/`rate` pair of a fault: the next N matching requests, then at this rate (0..1). */
export const nextOrRateShape = {
  next: countSchema.optional(),
  rate: z.number().min(0).max(1).optional(),
};

/** What every emulator's fault configuration has. */
export interface BaseFaultConfig {
  delayMs?: number | undefined;
  seed?: number | undefined;
}

export interface NextOrRate {
  next?: number | undefined;
  rate?: number | undefined;
}

/**
 * Consumes one unit of the countdown `holder[key]` ("fail the next N"): true (and decremented)
 * while it is above zero, false when it is absent or spent.
 */
export function takeNext<K extends string>(holder: Partial<Record<K, number | undefined>>, key: K): boolean {
  const left = holder[key];
  if (left === undefined || left <= 0) return false;
  holder[key] = left - 1;
  return true;
}

/**
 * Consumes one unit of the optional budget `holder[key]` ("only the next N"): absent means no limit
 * (always true); otherwise true (and decremented) while it is above zero.
 */
export function takeFromBudget<K extends string>(holder: Partial<Record<K, number | undefined>>, key: K): boolean {
  const left = holder[key];
  if (left === undefined) return true;
  if (left <= 0) return false;
  holder[key] = left - 1;
  return true;
}

/** At most `max` events per rolling second: true when the event at `nowMs` is over the budget (not counted then). */
export class PerSecondBudget {
  private recent: number[] = [];

  overBudget(max: number, nowMs: number): boolean {
    this.recent = this.recent.filter((t) => t > nowMs - 1000);
    if (this.recent.length >= max) return true;
    this.recent.push(nowMs);
    return false;
  }

  reset(): void {
    this.recent = [];
  }
}

/**
 * Holds one emulator's fault configuration. Subclasses define which requests a configuration
 * applies to (`applies`, keyed by path, operation name, …) and their own fault decisions, built
 * from `strikes`, `takeNext`, `takeFromBudget` and `PerSecondBudget`.
 */
export abstract class FaultInjectorBase<C extends BaseFaultConfig> {
  protected config: C;
  protected random: () => number;

  // Does not call the overridable set(), so a subclass's set() may use the subclass's own fields.
  protected constructor(
    private readonly schema: z.ZodType<C>,
    initial: C,
  ) {
    this.config = structuredClone(schema.parse(initial));
    this.random = seededRandom(this.config.seed ?? 1);
  }

  /** Replaces the whole configuration (validated); restarts the PRNG from the seed (default 1). */
  set(config: C): void {
    this.config = structuredClone(this.schema.parse(config));
    this.random = seededRandom(this.config.seed ?? 1);
  }

  clear(): void {
    this.set(this.schema.parse({}));
  }

  snapshot(): C {
    return structuredClone(this.config);
  }

  /** Whether the configuration applies to a request identified by `key`. */
  protected abstract applies(key: string): boolean;

  delayFor(key: string): number {
    return this.applies(key) ? (this.config.delayMs ?? 0) : 0;
  }

  /** The `next` countdown first, then one PRNG draw against `rate` (only when a rate is set). */
  protected strikes(spec: NextOrRate): boolean {
    if (takeNext(spec, 'next')) return true;
    return spec.rate !== undefined && this.random() < spec.rate;
  }
}
