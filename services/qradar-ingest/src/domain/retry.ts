/** Retry timing for QRadar calls: exponential with jitter, but never sooner than Retry-After. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined, random: () => number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(base * (0.8 + 0.4 * random()));
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. Capped. */
export function parseRetryAfter(value: string | undefined, now: number, capMs = 300_000): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(capMs, Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.min(capMs, Math.max(0, date - now));
}

export type FailureClass = 'retriable' | 'permanent';

/** 401 (token rotation, auth backend hiccup), 408, 429 and 5xx are worth retrying; other 4xx are not. */
export function classifyStatus(status: number): FailureClass {
  if (status === 401 || status === 408 || status === 429 || status >= 500) return 'retriable';
  return 'permanent';
}

/** Backoff for the poll loop itself after a failed poll: grows per consecutive failure, capped. */
export function pollBackoffMs(consecutiveFailures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, consecutiveFailures - 1));
}
