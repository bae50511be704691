import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FaultInjectorBase, PerSecondBudget, delayMsSchema, nextOrRateShape, seedSchema, takeFromBudget, takeNext } from './faults';
import { seededRandom } from './random';

const schema = z
  .object({
    delayMs: delayMsSchema,
    fail: z.object(nextOrRateShape).strict().optional(),
    prefix: z.string().optional(),
    seed: seedSchema,
  })
  .strict();
type Config = z.infer<typeof schema>;

/** A minimal emulator-side injector: requests keyed by path, one `fail` fault. */
class TestInjector extends FaultInjectorBase<Config> {
  constructor(initial: Config = {}) {
    super(schema, initial);
  }

  protected applies(key: string): boolean {
    return this.config.prefix === undefined || key.startsWith(this.config.prefix);
  }

  next(key: string): boolean {
    return this.applies(key) && this.config.fail !== undefined && this.strikes(this.config.fail);
  }
}

describe('seededRandom', () => {
  it('is mulberry32: the same seed gives the same values (pinned, so recorded fault runs replay)', () => {
    const random = seededRandom(42);
    expect([random(), random(), random()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    expect(seededRandom(1)()).toBe(0.6270739405881613);
  });

  it('gives other values for another seed, all in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(8);
    const as = Array.from({ length: 200 }, () => a());
    const bs = Array.from({ length: 200 }, () => b());
    expect(as).not.toEqual(bs);
    for (const v of [...as, ...bs]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });
});

describe('FaultInjectorBase', () => {
  const pattern = (faults: TestInjector, n = 40): boolean[] => Array.from({ length: n }, () => faults.next('/api/x'));

  it('replays rate-based faults identically for a seed, and differently for another seed', () => {
    const run = (seed: number) => pattern(new TestInjector({ fail: { rate: 0.5 }, seed }));
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
    expect(run(3)).toContain(true);
    expect(run(3)).toContain(false);
  });

  it('restarts the PRNG on set(), and defaults the seed to 1', () => {
    const faults = new TestInjector({ fail: { rate: 0.5 }, seed: 9 });
    const first = pattern(faults);
    faults.set({ fail: { rate: 0.5 }, seed: 9 });
    expect(pattern(faults)).toEqual(first);
    const unseeded = pattern(new TestInjector({ fail: { rate: 0.5 } }));
    expect(unseeded).toEqual(pattern(new TestInjector({ fail: { rate: 0.5 }, seed: 1 })));
  });

  it('consumes `next` before drawing against `rate`, and draws only when a rate is set', () => {
    const faults = new TestInjector({ fail: { next: 2, rate: 0 } });
    expect(pattern(faults, 4)).toEqual([true, true, false, false]);
    expect(faults.snapshot().fail).toEqual({ next: 0, rate: 0 });
    // The countdown did not use up PRNG draws: the rate sequence after it equals a fresh one's.
    const withCountdown = new TestInjector({ fail: { next: 3, rate: 0.5 }, seed: 5 });
    const fresh = new TestInjector({ fail: { rate: 0.5 }, seed: 5 });
    expect(pattern(withCountdown, 23).slice(3)).toEqual(pattern(fresh, 20));
  });

  it('scopes delay and faults with applies()', () => {
    const faults = new TestInjector({ delayMs: 25, fail: { next: 1 }, prefix: '/api/siem' });
    expect(faults.delayFor('/api/ariel')).toBe(0);
    expect(faults.delayFor('/api/siem/offenses')).toBe(25);
    expect(faults.next('/api/ariel')).toBe(false);
    expect(faults.next('/api/siem/offenses')).toBe(true);
  });

  it('validates configurations, hands out copies, and clears', () => {
    expect(() => new TestInjector({ fail: { rate: 2 } })).toThrow();
    expect(() => new TestInjector({ delayMs: 600_001 })).toThrow();
    const faults = new TestInjector({ fail: { next: 1 } });
    expect(() => faults.set({ nope: 1 } as Config)).toThrow();
    expect(faults.snapshot()).toEqual({ fail: { next: 1 } });
    const given: Config = { fail: { next: 2 } };
    faults.set(given);
    faults.next('/x');
    expect(given.fail?.next).toBe(2);
    const copy = faults.snapshot();
    copy.fail = { next: 50 };
    expect(faults.snapshot()).toEqual({ fail: { next: 1 } });
    faults.clear();
    expect(faults.snapshot()).toEqual({});
    expect(faults.next('/x')).toBe(false);
  });
});

describe('counters', () => {
  it('takeNext counts down and stops at zero; absent means no fault', () => {
    const holder: { next?: number } = { next: 2 };
    expect([takeNext(holder, 'next'), takeNext(holder, 'next'), takeNext(holder, 'next')]).toEqual([true, true, false]);
    expect(holder.next).toBe(0);
    const absent: { next?: number } = {};
    expect(takeNext(absent, 'next')).toBe(false);
    expect(absent).toEqual({});
  });

  it('takeFromBudget: absent is unlimited, otherwise counts down to zero', () => {
    const unlimited: { calls?: number } = {};
    expect([takeFromBudget(unlimited, 'calls'), takeFromBudget(unlimited, 'calls')]).toEqual([true, true]);
    const limited: { calls?: number } = { calls: 1 };
    expect([takeFromBudget(limited, 'calls'), takeFromBudget(limited, 'calls')]).toEqual([true, false]);
    expect(limited.calls).toBe(0);
  });

  it('PerSecondBudget allows `max` per rolling second and does not count refused events', () => {
    const budget = new PerSecondBudget();
    expect([0, 10, 20, 999, 1001, 1011, 1012].map((t) => budget.overBudget(2, t))).toEqual([false, false, true, true, false, false, true]);
    budget.reset();
    expect(budget.overBudget(1, 1013)).toBe(false);
  });
});
