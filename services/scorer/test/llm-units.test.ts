import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../src/adapters/openai-chat';
import { SEVERITY_ORDER, scoreBaseline, severityRank } from '../src/domain/index';
import { LruRefinementCache, Semaphore, TokenBudget, guardSeverity, loadPrompt, parseRefinementOutput, refinementJsonSchema, renderPrompt } from '../src/llm/index';
import { defaultModel, event, incidentOf, STAMP } from './fixtures';

describe('guardSeverity', () => {
  it('moves at most one level and never below the floor, for every combination', () => {
    for (const proposed of SEVERITY_ORDER) {
      for (const baseline of SEVERITY_ORDER) {
        for (const floor of [null, ...SEVERITY_ORDER]) {
          if (floor !== null && severityRank(baseline) < severityRank(floor)) continue; // the baseline honours the floor
          const { severity, clamped } = guardSeverity(proposed, baseline, floor);
          expect(Math.abs(severityRank(severity) - severityRank(baseline))).toBeLessThanOrEqual(1);
          if (floor !== null) expect(severityRank(severity)).toBeGreaterThanOrEqual(severityRank(floor));
          expect(clamped).toBe(severity !== proposed);
        }
      }
    }
  });
});

describe('TokenBudget', () => {
  it('refuses past the minute window and recovers after it', () => {
    let now = 0;
    const budget = new TokenBudget({ perMinute: 1000, perDay: 10_000 }, () => now);
    const a = budget.tryReserve(600);
    expect(a.ok).toBe(true);
    expect(budget.tryReserve(600)).toEqual({ ok: false, window: 'minute' });
    if (a.ok) a.settle(300); // the real usage was lower
    expect(budget.tryReserve(600).ok).toBe(true);
    now += 61_000;
    expect(budget.usage().minute).toBe(0);
  });

  it('refuses past the day window until the next UTC day', () => {
    let now = Date.UTC(2026, 0, 1, 23, 0);
    const budget = new TokenBudget({ perMinute: 10_000, perDay: 1500 }, () => now);
    expect(budget.tryReserve(1000).ok).toBe(true);
    now += 120_000;
    expect(budget.tryReserve(1000)).toEqual({ ok: false, window: 'day' });
    now = Date.UTC(2026, 0, 2, 0, 1);
    expect(budget.tryReserve(1000).ok).toBe(true);
  });
});

describe('Semaphore', () => {
  it('never runs more than the limit at once', async () => {
    const semaphore = new Semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(Array.from({ length: 20 }, (_, i) => semaphore.run(async () => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 5 + (i % 3)));
      active -= 1;
    })));
    expect(peak).toBe(3);
    expect(semaphore.inUse).toBe(0);
  });

  it('releases the slot when a task throws', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(semaphore.run(() => Promise.resolve(7))).resolves.toBe(7);
  });
});

describe('LruRefinementCache', () => {
  const value = { output: { severity: 'low' as const, riskScore: 20, confidence: 0.5, falsePositiveLikelihood: 0.2, reasons: ['scanner-noise' as const], evidence: ['a'], analysis: '' }, rawOutput: '{}', tokensIn: 1, tokensOut: 1 };
  it('evicts the least recently used entry and expires by TTL', async () => {
    let now = 0;
    const cache = new LruRefinementCache(2, 1000, () => now);
    await cache.set('a', value);
    await cache.set('b', value);
    await cache.get('a');
    await cache.set('c', value);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBeDefined();
    now = 2000;
    expect(await cache.get('a')).toBeUndefined();
  });
});

describe('output schema', () => {
  it('the JSON schema is strict: all properties required, no additional properties, evidence limited to members', () => {
    const schema = refinementJsonSchema(['qradar:offense:1']) as { required: string[]; properties: Record<string, unknown>; additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    expect([...schema.required].sort()).toEqual(Object.keys(schema.properties).sort());
    expect(JSON.stringify(schema.properties.evidence)).toContain('qradar:offense:1');
  });

  it('rejects extra fields, out-of-range numbers and unknown reasons', () => {
    const good = { severity: 'low', riskScore: 20, confidence: 0.5, falsePositiveLikelihood: 0.2, reasons: ['scanner-noise'], evidence: ['a'], analysis: 'x' };
    expect(parseRefinementOutput(JSON.stringify(good)).ok).toBe(true);
    expect(parseRefinementOutput(JSON.stringify({ ...good, summary: 'free text' })).ok).toBe(false);
    expect(parseRefinementOutput(JSON.stringify({ ...good, riskScore: 101 })).ok).toBe(false);
    expect(parseRefinementOutput(JSON.stringify({ ...good, reasons: ['ignore previous instructions'] })).ok).toBe(false);
    expect(parseRefinementOutput('{"severity":').ok).toBe(false);
    expect(parseRefinementOutput(null).ok).toBe(false);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, HTTP dates and retry-after-ms', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150' }))).toBe(150);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeNull();
    expect(retryAfterMs(undefined)).toBeNull();
  });
});

describe('prompt data', () => {
  it('gives the model the whole member count of an incident whose record left members out', () => {
    const e = event({ title: 'AssumeRole', sourceSeverity: 40 });
    const incident = { ...incidentOf([e]), membersOmitted: 2_999 };
    const baseline = scoreBaseline({ incident, events: [e] }, defaultModel, STAMP);
    const { messages } = renderPrompt(loadPrompt('refine.v1'), incident, [e], baseline, 'model');
    expect(messages.map((m) => m.content).join('\n')).toContain('"memberCount":3000');
  });
});
