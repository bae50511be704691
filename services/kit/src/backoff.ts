/** Bounded exponential backoff for retriable errors. Pure: the random source is injected. */
export interface BackoffPolicy {
  /** Total attempts including the first one; after the last failed attempt the record goes to the DLQ. */
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  /** 0..1: fraction of the delay that is randomized ("equal jitter"). */
  readonly jitter: number;
}

export const defaultBackoffPolicy: BackoffPolicy = {
  maxAttempts: 5,
  initialDelayMs: 200,
  maxDelayMs: 10_000,
  multiplier: 2,
  jitter: 0.2,
};

/**
 * Delay before retry number `attempt` (1 = the first retry, after the first failure), or undefined
 * when no attempt is left.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number | undefined {
  if (attempt < 1 || attempt >= policy.maxAttempts) return undefined;
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  const jitterSpan = base * Math.min(Math.max(policy.jitter, 0), 1);
  return Math.round(base - jitterSpan + jitterSpan * random());
}
