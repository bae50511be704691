import { Writable } from 'node:stream';
import { continueTrace, createLogger, createRedis, jsonCodec, RetriableError, type HandlerContext, type ProducerPort, type TopicMessages } from '@seam/kit';
import { incidentSchema, verdictSchema, type Incident, type LlmInference, type SecurityEvent, type Verdict } from '@seam/schemas';
import { startFakeOpenAi, steps, type FakeOpenAi } from '@seam/infra/llm/fake-openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAiChat } from '../src/adapters/openai-chat';
import { LocalScoredVersions, RedisGuard, RedisRefinementCache, RedisScoredVersions, TieredRefinementCache, type ScoredVersions } from '../src/adapters/redis-cache';
import { DEFAULT_REFINER_SETTINGS, LruRefinementCache, Refiner, loadPrompt, type RefinementCache } from '../src/llm/index';
import { LocalEventStore } from '../src/adapters/event-store';
import { scorerEventsStage, scorerStage, type ScoredEvent, type ScorerEventOptions } from '../src/stage';
import { T0, asset, defaultModel, event, factorNamed, incidentOf, targetIp } from './fixtures';

/** The stage handler without a broker: verdict versions, order, stale versions, LLM faults, Redis down. */

const KEY = 'sk-stage-unit-0123456789';

class CollectingProducer implements ProducerPort {
  readonly verdicts: Verdict[] = [];
  fail = false;
  connect(): Promise<void> { return Promise.resolve(); }
  sendBatch(batches: readonly TopicMessages[]): Promise<void> {
    if (this.fail) return Promise.reject(new Error('broker unavailable'));
    for (const batch of batches) for (const m of batch.messages) this.verdicts.push(JSON.parse(String(m.value)) as Verdict);
    return Promise.resolve();
  }
  disconnect(): Promise<void> { return Promise.resolve(); }
}

const incident = (incidentId: string, version: number, titles: readonly string[], mergedInto: string | null = null): Incident => incidentSchema.parse({
  incidentId, version, status: 'open', firstSeen: T0, lastSeen: T0, updatedAt: T0 + version, mergedInto,
  members: titles.map((title, i) => ({ eventId: `qradar:offense:${incidentId}-${i}`, source: 'qradar', observedAt: T0 + i, title, sourceSeverity: 60 })),
  hybrid: false, sources: { qradar: titles.length },
});

let fake: FakeOpenAi;
beforeEach(async () => {
  fake = await startFakeOpenAi({ apiKey: KEY, script: (r) => (r.text.includes('fault') ? steps.serverError(503) : steps.valid({ severity: 'high', riskScore: 70 })) });
});
afterEach(async () => {
  await fake.close();
});

function build(cache: RefinementCache, scored: ScoredVersions = new LocalScoredVersions(), logLines: string[] = [], eventOptions: Partial<ScorerEventOptions> = {}) {
  const logger = createLogger({ service: 'scorer-test', level: 'info', destination: new Writable({ write: (chunk, _enc, cb) => { logLines.push(String(chunk)); cb(); } }) });
  const producer = new CollectingProducer();
  const events: ScoredEvent[] = [];
  const refiner = new Refiner({
    ...DEFAULT_REFINER_SETTINGS, prompt: loadPrompt('refine.v1'), timeoutMs: 1_000, deadlineMs: 3_000, backoff: { initialMs: 5, maxMs: 20, multiplier: 2 },
  }, { chat: createOpenAiChat({ baseURL: fake.baseURL, model: 'fake-model', apiKey: KEY }), riskModel: defaultModel, cache });
  const eventSide: ScorerEventOptions = {
    topic: 'enriched', codec: jsonCodec<unknown>(), store: new LocalEventStore(3_600_000), maxBytes: 8_192, maxMembers: 200, waitMs: 0, ttlMs: 3_600_000, retryMaxAttempts: 5, ...eventOptions,
  };
  const eventsStage = scorerEventsStage({ events: eventSide });
  const stage = scorerStage({
    topics: { correlated: 'correlated', verdicts: 'verdicts', audit: 'llm.audit' },
    codecs: { incident: jsonCodec<unknown>(), verdict: jsonCodec<Verdict>(), audit: jsonCodec<LlmInference>() },
    events: eventSide,
    riskModel: defaultModel, refiner, producer, scored, now: () => T0 + 1_000, onScored: (e) => events.push(e),
  });
  const ctx: HandlerContext = { stage: 'scorer', log: logger, trace: continueTrace(undefined), attempt: 1, signal: new AbortController().signal };
  const handle = (value: Incident, attempt = 1) =>
    stage.handle({ input: 'correlated', topic: 'correlated', partition: 0, offset: '0', key: null, value, headers: {}, timestamp: undefined }, { ...ctx, attempt });
  const store = (value: SecurityEvent) =>
    eventsStage.handle({ input: 'events', topic: 'enriched', partition: 0, offset: '0', key: null, value, headers: {}, timestamp: undefined }, ctx);
  return { stage, producer, events, handle, store, logLines };
}

const tags = (verdicts: readonly Verdict[]) => verdicts.map((v) => `${v.incidentId}:${v.verdictVersion}:${v.phase}`);

describe('scorer stage handler', () => {
  it('sends the baseline (2v-1) then the llm verdict (2v) itself, and returns one audit record per call', async () => {
    const { producer, handle } = build(new LruRefinementCache());
    const out1 = await handle(incident('i1', 1, ['Brute force']));
    const out2 = await handle(incident('i1', 2, ['Brute force', 'ConsoleLogin without MFA']));
    expect(tags(producer.verdicts)).toEqual(['i1:1:baseline', 'i1:2:llm', 'i1:3:baseline', 'i1:4:llm']);
    for (const v of producer.verdicts) expect(verdictSchema.parse(v)).toEqual(v);
    expect(producer.verdicts.map((v) => v.incidentVersion)).toEqual([1, 1, 2, 2]);
    const audit = [...out1, ...out2];
    expect(audit.map((o) => [o.to, o.key, o.value.incidentVersion])).toEqual([['audit', 'i1', 1], ['audit', 'i1', 2]]);
    for (const o of audit) expect(['ok', 'guardrail_clamped']).toContain(o.value.outcome);
  });

  it('an older version skips the LLM, a redelivered one is answered from the cache, a merged-away one is not refined', async () => {
    const { producer, handle, events } = build(new LruRefinementCache());
    await handle(incident('i2', 2, ['Brute force', 'Port scan']));
    await handle(incident('i2', 1, ['Brute force']));
    const again = await handle(incident('i2', 2, ['Brute force', 'Port scan']));
    await handle(incident('i3', 1, ['Brute force'], 'i2'));
    expect(tags(producer.verdicts)).toEqual(['i2:3:baseline', 'i2:4:llm', 'i2:1:baseline', 'i2:3:baseline', 'i2:4:llm', 'i3:1:baseline']);
    expect(events.map((e) => e.llm)).toEqual(['refined', 'skipped_stale', 'refined', 'skipped_merged']);
    expect(again.map((o) => o.value.outcome)).toEqual(['cache_hit']);
    expect(fake.received()).toBe(1);
  });

  it('LLM faults leave the baseline standing, audited, without throwing', async () => {
    const { producer, handle, events } = build(new LruRefinementCache());
    const out = await handle(incident('i4', 1, ['fault injected']));
    expect(tags(producer.verdicts)).toEqual(['i4:1:baseline']);
    expect(out.map((o) => o.value.outcome)).toEqual(['server_error', 'server_error', 'server_error']);
    expect(events[0]).toMatchObject({ llm: 'baseline_stands', outcome: 'server_error' });
  });

  it('a verdict that cannot be produced is retriable (the kit retries the record; versions stay the same)', async () => {
    const { producer, handle } = build(new LruRefinementCache());
    producer.fail = true;
    await expect(handle(incident('i5', 1, ['Brute force']))).rejects.toBeInstanceOf(RetriableError);
    producer.fail = false;
    await handle(incident('i5', 1, ['Brute force']));
    expect(tags(producer.verdicts)).toEqual(['i5:1:baseline', 'i5:2:llm']);
  });

  it('Redis down: scoring goes on without the shared cache, logged once, never a crash', async () => {
    // Nothing listens on port 1 (loopback): every command fails.
    const redis = createRedis(
      { REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: undefined, REDIS_USERNAME: undefined, REDIS_PASSWORD: undefined, REDIS_TLS: false, REDIS_TLS_CA: undefined },
      { maxRetriesPerRequest: 1, retryStrategy: () => 200, lazyConnect: true },
    );
    const logLines: string[] = [];
    const logger = createLogger({ service: 'scorer-test', level: 'info', destination: new Writable({ write: (chunk, _enc, cb) => { logLines.push(String(chunk)); cb(); } }) });
    try {
      const guard = new RedisGuard(redis, logger, 100, 60_000);
      const cache = new TieredRefinementCache(new LruRefinementCache(), new RedisRefinementCache(guard, 'seam-test:', 60_000));
      const { producer, handle } = build(cache, new RedisScoredVersions(guard, 'seam-test:', 60_000), logLines);
      const started = Date.now();
      await handle(incident('i6', 1, ['Brute force']));
      await handle(incident('i6', 2, ['Brute force', 'Port scan']));
      await handle(incident('i6', 1, ['Brute force'])); // the local record still knows v2
      await handle(incident('i6', 2, ['Brute force', 'Port scan'])); // the in-process LRU still answers
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(tags(producer.verdicts)).toEqual(['i6:1:baseline', 'i6:2:llm', 'i6:3:baseline', 'i6:4:llm', 'i6:1:baseline', 'i6:3:baseline', 'i6:4:llm']);
      expect(fake.received()).toBe(2);
      expect(logLines.filter((l) => l.includes('redis unavailable'))).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });

  it('scores members with their stored events (enriched input), waits for missing ones while attempts remain, then names them', async () => {
    const { producer, handle, store, events } = build(new LruRefinementCache(), undefined, [], { waitMs: 10_000, retryMaxAttempts: 3 });
    const crownJewel = event({
      eventId: 'qradar:offense:cj-1', sourceSeverity: 60,
      entities: { ips: [targetIp('10.0.0.5')] },
      enrichment: { assets: [asset('10.0.0.5', 5)], vulns: [{ cve: 'CVE-2024-9', cvss: 9, exploitAvailable: true, host: '10.0.0.5' }] },
    });
    const later = event({ eventId: 'qradar:offense:cj-2', sourceSeverity: 30 });
    const inc = incidentOf([crownJewel, later], { incidentId: 'i7', updatedAt: T0 });
    expect(await store(crownJewel)).toEqual([]);
    // cj-2 is not stored: attempts 1 and 2 wait (RetriableError), nothing is produced.
    await expect(handle(inc, 1)).rejects.toBeInstanceOf(RetriableError);
    await expect(handle(inc, 2)).rejects.toBeInstanceOf(RetriableError);
    expect(producer.verdicts).toHaveLength(0);
    // The last attempt never waits (it would end in the DLQ): scored with what is there.
    await handle(inc, 3);
    const baseline = producer.verdicts.find((v) => v.phase === 'baseline');
    expect(factorNamed(baseline ?? { factors: [] }, 'exploitable-vulnerability')?.points).toBe(13.5);
    expect(baseline?.evidence).toContain('qradar:offense:cj-1');
    expect(factorNamed(baseline ?? { factors: [] }, 'asset-criticality')?.points).toBe(20);
    expect(factorNamed(baseline ?? { factors: [] }, 'incomplete-context')?.detail).toBe('1 member event(s) unavailable (qradar:offense:cj-2)');
    expect(events.at(-1)?.memberEvents).toEqual({ loaded: 1, missing: 1, notLoaded: 0 });
    // Once cj-2 lands, the next version is scored at once with both.
    await store(later);
    await handle(incidentOf([crownJewel, later], { incidentId: 'i7', version: 2, updatedAt: T0 }), 1);
    expect(events.at(-1)?.memberEvents).toEqual({ loaded: 2, missing: 0, notLoaded: 0 });
  });

  it('loads at most maxMembers member events, the most severe first, and says so', async () => {
    const { producer, handle, store } = build(new LruRefinementCache(), undefined, [], { maxMembers: 2, waitMs: 10_000 });
    const members = [10, 90, 50, 70].map((sourceSeverity, i) => event({ eventId: `qradar:offense:cap-${i}`, sourceSeverity }));
    for (const m of members) await store(m);
    await handle(incidentOf(members, { incidentId: 'i8', updatedAt: T0 }));
    const baseline = producer.verdicts.find((v) => v.phase === 'baseline');
    expect(factorNamed(baseline ?? { factors: [] }, 'incomplete-context')?.detail)
      .toBe('2 member event(s) not loaded: over the cap of 2 members per incident, the most severe were loaded');
  });

  it('an incident version older than the event TTL never waits (a replay whose events may have expired)', async () => {
    const { producer, handle } = build(new LruRefinementCache(), undefined, [], { waitMs: 10_000, ttlMs: 500 });
    await handle(incident('i9', 1, ['Brute force'])); // updatedAt T0 + 1, now T0 + 1000
    expect(tags(producer.verdicts)[0]).toBe('i9:1:baseline');
  });
});
