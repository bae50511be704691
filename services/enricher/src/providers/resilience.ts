/** Per-provider timeout and circuit breaker. Time comes from an injectable clock (tests use a fake). */

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export class CircuitOpenError extends Error {
  constructor(name: string) {
    super(`circuit for ${name} is open`);
    this.name = 'CircuitOpenError';
  }
}

/**
 * Runs `fn` with an AbortSignal that aborts after `ms` (or when `parent` aborts); rejects with
 * TimeoutError at the deadline even if `fn` ignores the signal.
 */
export function withTimeout<T>(fn: (signal: AbortSignal) => Promise<T>, ms: number, clock: Clock = systemClock, parent?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted === true) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      const error = new TimeoutError(ms);
      controller.abort(error);
      reject(error);
    }, ms);
    const settle = () => {
      clock.clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    };
    fn(controller.signal).then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one probe is let through. */
  readonly coolDownMs: number;
  readonly clock?: Clock;
  readonly onStateChange?: (state: CircuitState) => void;
}

/**
 * closed: calls go through; `failureThreshold` consecutive failures open it. open: calls fail at
 * once with CircuitOpenError until `coolDownMs` passed, then half-open: exactly one probe goes
 * through (others still fail fast); its success closes the circuit, its failure re-opens it.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;
  readonly #clock: Clock;

  constructor(
    readonly name: string,
    private readonly options: CircuitBreakerOptions,
  ) {
    this.#clock = options.clock ?? systemClock;
  }

  get state(): CircuitState {
    if (this.#state === 'open' && this.#clock.now() - this.#openedAt >= this.options.coolDownMs) return 'half-open';
    return this.#state;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open') throw new CircuitOpenError(this.name);
    const probe = state === 'half-open';
    if (probe) {
      if (this.#probing) throw new CircuitOpenError(this.name);
      this.#probing = true;
      this.#transition('half-open');
    }
    try {
      const value = await fn();
      this.#failures = 0;
      this.#transition('closed');
      return value;
    } catch (error) {
      this.#failures++;
      if (probe || this.#failures >= this.options.failureThreshold) {
        this.#openedAt = this.#clock.now();
        this.#transition('open');
      }
      throw error;
    } finally {
      if (probe) this.#probing = false;
    }
  }

  #transition(state: CircuitState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.options.onStateChange?.(state);
  }
}
