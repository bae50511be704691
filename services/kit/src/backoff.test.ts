import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, type BackoffPolicy } from './backoff';

const policy: BackoffPolicy = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 250, multiplier: 2, jitter: 0 };

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and stops after maxAttempts', () => {
    expect(backoffDelay(policy, 1)).toBe(100);
    expect(backoffDelay(policy, 2)).toBe(200);
    expect(backoffDelay(policy, 3)).toBe(250);
    expect(backoffDelay(policy, 4)).toBeUndefined();
    expect(backoffDelay(policy, 0)).toBeUndefined();
  });

  it('keeps jittered delays within [base*(1-jitter), base]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (attempt, r) => {
        const p: BackoffPolicy = { maxAttempts: 10, initialDelayMs: 50, maxDelayMs: 5000, multiplier: 3, jitter: 0.5 };
        const base = Math.min(5000, 50 * 3 ** (attempt - 1));
        const delay = backoffDelay(p, attempt, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.5));
        expect(delay).toBeLessThanOrEqual(base);
      }),
    );
  });
});
