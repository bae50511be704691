import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, TimeoutError, withTimeout } from '../src/providers/resilience';
import { FakeClock } from './fake-clock';

const fail = () => Promise.reject(new Error('down'));
const succeed = () => Promise.resolve('ok');

describe('withTimeout', () => {
  it('rejects with TimeoutError at the deadline and aborts the signal, even if the work ignores it', async () => {
    const clock = new FakeClock();
    let seen: AbortSignal | undefined;
    const pending = withTimeout((signal) => {
      seen = signal;
      return new Promise<string>(() => undefined);
    }, 100, clock);
    clock.advance(99);
    expect(seen?.aborted).toBe(false);
    clock.advance(1);
    await expect(pending).rejects.toBeInstanceOf(TimeoutError);
    expect(seen?.aborted).toBe(true);
  });

  it('resolves before the deadline and clears its timer', async () => {
    const clock = new FakeClock();
    await expect(withTimeout(() => Promise.resolve(7), 100, clock)).resolves.toBe(7);
    expect(clock.pending).toBe(0);
  });

  it('follows a parent abort', () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    let seen: AbortSignal | undefined;
    void withTimeout((signal) => {
      seen = signal;
      return Promise.resolve(1);
    }, 100, clock, parent.signal);
    parent.abort();
    expect(seen?.aborted).toBe(true);
  });
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, fails fast while open, and probes once after the cool-down', async () => {
    const clock = new FakeClock();
    const states: string[] = [];
    const breaker = new CircuitBreaker('cmdb', { failureThreshold: 3, coolDownMs: 1000, clock, onStateChange: (s) => states.push(s) });
    await expect(breaker.run(fail)).rejects.toThrow('down');
    await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('closed');
    await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');

    let calls = 0;
    const counted = () => {
      calls++;
      return Promise.resolve('ok');
    };
    await expect(breaker.run(counted)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(999);
    await expect(breaker.run(counted)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(calls).toBe(0);

    clock.advance(1);
    expect(breaker.state).toBe('half-open');
    // One probe at a time: a concurrent call still fails fast.
    let release!: (v: string) => void;
    const probe = breaker.run(() => new Promise<string>((resolve) => (release = resolve)));
    await expect(breaker.run(counted)).rejects.toBeInstanceOf(CircuitOpenError);
    release('ok');
    await expect(probe).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    await expect(breaker.run(counted)).resolves.toBe('ok');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens when the probe fails, for another full cool-down', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker('intel', { failureThreshold: 1, coolDownMs: 500, clock });
    await expect(breaker.run(fail)).rejects.toThrow('down');
    clock.advance(500);
    await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    clock.advance(499);
    await expect(breaker.run(succeed)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(1);
    await expect(breaker.run(succeed)).resolves.toBe('ok');
  });

  it('a success resets the failure count', async () => {
    const breaker = new CircuitBreaker('vulns', { failureThreshold: 2, coolDownMs: 500, clock: new FakeClock() });
    await expect(breaker.run(fail)).rejects.toThrow();
    await breaker.run(succeed);
    await expect(breaker.run(fail)).rejects.toThrow();
    expect(breaker.state).toBe('closed');
  });
});
