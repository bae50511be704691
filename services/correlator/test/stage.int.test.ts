import { randomUUID } from 'node:crypto';
import { continueTrace, createLogger, jsonCodec, PoisonError, type HandlerContext, type ProducerPort, type TopicMessages } from '@seam/kit';
import { incidentSchema, securityEventSchema, type Incident, type SecurityEvent } from '@seam/schemas';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisCorrelationState } from '../src/adapters/redis-state';
import { incidentIdFor } from '../src/domain/index';
import { CorrelatorMetrics } from '../src/metrics';
import { correlatorStage, type CorrelationStore, type CorrelatorStageOptions } from '../src/stage';
import { ev, ManualClock, MINUTE, person, T0 } from './fixtures';

/** The correlator stage's handler and timer on real Redis (standalone); Kafka is replaced by direct calls. */

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 3 });
const prefixes: string[] = [];
afterEach(async () => {
  for (const prefix of prefixes.splice(0)) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
});
afterAll(async () => {
  await redis.quit();
});

const log = createLogger({ service: 'correlator-test', level: 'silent' });
const ctx: HandlerContext = { stage: 'correlator', log, trace: continueTrace(undefined), attempt: 1, signal: new AbortController().signal };

const securityEvent = (eventId: string, minute: number, parts: { source: SecurityEvent['source']; user?: string; ip?: string }): SecurityEvent =>
  securityEventSchema.parse({
    eventId,
    source: parts.source,
    rawKind: parts.source === 'qradar' ? 'qradar_offense' : 'cloudtrail_event',
    sourceId: eventId,
    observedAt: T0 + minute * MINUTE,
    sourceUpdatedAt: T0,
    ingestedAt: T0,
    title: `event ${eventId}`,
    description: null,
    category: 'test',
    sourceSeverity: 50,
    mitre: [],
    entities: {
      ips: parts.ip === undefined ? [] : [{ address: parts.ip, role: 'actor', scope: 'public', namespace: null }],
      identities:
        parts.user === undefined ? [] : [{ canonical: parts.user, raw: parts.user, kind: 'ad', role: 'actor', resolved: true }],
      hosts: [],
      cloudResources: [],
      accounts: [],
    },
    enrichment: { assets: [], vulns: [], intel: [], missing: [] },
    raw: '{}',
    rawEvents: null,
  });

class CollectingProducer implements ProducerPort {
  readonly sent: TopicMessages[] = [];
  connected = false;
  connect(): Promise<void> {
    this.connected = true;
    return Promise.resolve();
  }
  sendBatch(topicMessages: readonly TopicMessages[]): Promise<void> {
    this.sent.push(...topicMessages);
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    this.connected = false;
    return Promise.resolve();
  }
}

const build = (debounceMs: number, timer?: CorrelatorStageOptions['timer'], metrics?: CorrelatorMetrics) => {
  const prefix = `t-${randomUUID().slice(0, 8)}:`;
  prefixes.push(prefix);
  const store = new RedisCorrelationState({
    redis,
    prefix,
    clock: { now: () => Date.now() },
    config: { windowMs: { ip: 30 * MINUTE, identity: 30 * MINUTE }, graceMs: MINUTE, debounceMs, maxDebounceDelayMs: debounceMs },
    ...(metrics === undefined ? {} : { onHotKey: (decision) => void metrics.hotKey(decision) }),
  });
  return correlatorStage({
    topics: { enriched: 'enriched', correlated: 'correlated' },
    codecs: { event: jsonCodec<unknown>(), incident: jsonCodec<Incident>() },
    store,
    now: () => T0 + 999,
    ...(timer === undefined ? {} : { timer }),
    ...(metrics === undefined ? {} : { observer: metrics }),
  });
};

type BatchItems = Awaited<ReturnType<NonNullable<ReturnType<typeof correlatorStage>['handleBatch']>>>;

/** What the kit does with a batch's items once the broker acknowledged their outputs. */
const produced = async (items: BatchItems): Promise<BatchItems> => {
  for (const item of items) if ('afterProduce' in item) await item.afterProduce?.();
  return items;
};

/** One sample of the registry's text exposition (0 when absent). */
const sample = async (registry: Registry, line: string): Promise<number> => {
  const text = await registry.metrics();
  const found = text.split('\n').find((row) => row.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
};

/** The store as the stage sees it, with some methods replaced (to count what the timer does). */
const storePort = (store: RedisCorrelationState, overrides: Partial<CorrelationStore>): CorrelationStore => ({
  ingest: store.ingest.bind(store),
  ingestBatch: store.ingestBatch.bind(store),
  advance: store.advance.bind(store),
  tick: store.tick.bind(store),
  ack: store.ack.bind(store),
  hasDue: store.hasDue.bind(store),
  ...overrides,
});

/** A stage driven by its timer alone (JSON codecs). */
const timerStage = (store: CorrelationStore, producer: CollectingProducer, tickIntervalMs: number, now: () => number) =>
  correlatorStage({
    topics: { enriched: 'enriched', correlated: 'correlated' },
    codecs: { event: jsonCodec<unknown>(), incident: jsonCodec<Incident>() },
    store,
    now,
    timer: { producer, tickIntervalMs },
  });

const record = (value: SecurityEvent, partition = 0) =>
  ({ input: 'enriched', topic: 'enriched', partition, offset: '0', key: null, value, headers: {}, timestamp: undefined }) as const;

describe('correlator stage', () => {
  it('joins a QRadar offense and a CloudTrail event by identity into one hybrid incident keyed by its id', async () => {
    const stage = build(0);
    const out = [
      ...(await stage.handle(record(securityEvent('qradar:offense:1', 0, { source: 'qradar', user: 'jdoe' })), ctx)),
      ...(await stage.handle(record(securityEvent('cloudtrail:a', 10, { source: 'cloudtrail', user: 'JDoe' })), ctx)),
      ...(await stage.handle(record(securityEvent('cloudtrail:b', 12, { source: 'cloudtrail', user: 'other' })), ctx)),
      // Far later: moves the watermark past every window, so the first incidents settle.
      ...(await stage.handle(record(securityEvent('cloudtrail:z', 600, { source: 'cloudtrail', user: 'zed' })), ctx)),
    ];
    for (const output of out) {
      expect(output.to).toBe('correlated');
      expect(output.key).toBe(output.value.incidentId);
      expect(incidentSchema.parse(output.value)).toEqual(output.value);
    }
    const rootId = incidentIdFor('qradar:offense:1');
    const last = out.filter((output) => output.key === rootId).at(-1)?.value;
    expect(last?.status).toBe('settled');
    expect(last?.hybrid).toBe(true);
    expect(last?.members.map((member) => member.eventId)).toEqual(['qradar:offense:1', 'cloudtrail:a']);
    expect(last?.updatedAt).toBe(T0 + 999);
    const lone = out.filter((output) => output.key === incidentIdFor('cloudtrail:b')).at(-1)?.value;
    expect(lone?.members).toHaveLength(1);
    // Redelivery of the whole input produces nothing new for the settled incidents.
    const again = await stage.handle(record(securityEvent('cloudtrail:a', 10, { source: 'cloudtrail', user: 'JDoe' })), ctx);
    expect(again.filter((output) => output.key === rootId)).toEqual([]);
  });

  it('handleBatch: one item per record, poison alone, versions on the last ingested record, same incidents as handle', async () => {
    const stage = build(0);
    const handleBatch = stage.handleBatch?.bind(stage);
    expect(handleBatch).toBeDefined();
    if (handleBatch === undefined) return;
    const batchCtx = { stage: 'correlator', log, traces: [], attempt: 1, signal: new AbortController().signal };
    const first = await handleBatch(
      [
        record(securityEvent('qradar:offense:1', 0, { source: 'qradar', user: 'jdoe' })),
        record(securityEvent('x:1', 1, { source: 'unknown', user: 'jdoe' })),
        record(securityEvent('cloudtrail:a', 10, { source: 'cloudtrail', user: 'JDoe' })),
        record(securityEvent('cloudtrail:a', 10, { source: 'cloudtrail', user: 'JDoe' })), // redelivered in the same batch
        record(securityEvent('cloudtrail:b', 12, { source: 'cloudtrail', user: 'other' })),
        record(securityEvent('x:2', 13, { source: 'unknown', user: 'jdoe' })),
      ],
      batchCtx,
    );
    expect(first).toHaveLength(6);
    expect('error' in (first[1] ?? {}) && (first[1] as { error: unknown }).error).toBeInstanceOf(PoisonError);
    expect('error' in (first[5] ?? {}) && (first[5] as { error: unknown }).error).toBeInstanceOf(PoisonError);
    for (const i of [0, 2, 3]) expect(first[i]).toEqual({ outputs: [] });
    const carried = first[4];
    if (carried === undefined || !('outputs' in carried)) throw new Error('expected outputs on the last ingested record');
    // debounce 0: the two incidents' first versions come out with this batch
    expect(new Set(carried.outputs.map((output) => output.key))).toEqual(new Set([incidentIdFor('qradar:offense:1'), incidentIdFor('cloudtrail:b')]));
    const second = await handleBatch([record(securityEvent('cloudtrail:z', 600, { source: 'cloudtrail', user: 'zed' }))], batchCtx);
    const out = [...carried.outputs, ...second.flatMap((item) => ('outputs' in item ? item.outputs : []))];
    const last = out.filter((output) => output.key === incidentIdFor('qradar:offense:1')).at(-1)?.value;
    expect(last?.status).toBe('settled');
    expect(last?.hybrid).toBe(true);
    expect(last?.members.map((member) => member.eventId)).toEqual(['qradar:offense:1', 'cloudtrail:a']);
  });

  it('reports hot keys, ingest outcomes, versions and the watermark as metrics', async () => {
    const registry = new Registry();
    const metrics = new CorrelatorMetrics(registry, 30 * MINUTE);
    const stage = build(0, undefined, metrics);
    const handleBatch = stage.handleBatch?.bind(stage);
    if (handleBatch === undefined) throw new Error('handleBatch expected');
    const batchCtx = { stage: 'correlator', log, traces: [], attempt: 1, signal: new AbortController().signal };
    // A NAT egress: seven people behind one address within minutes. K = 5 (default): the first five
    // carriers see at most five identities and link; the sixth and seventh see six and seven: hot.
    const nat = Array.from({ length: 7 }, (_, i) =>
      record(securityEvent(`cloudtrail:nat-${i}`, i, { source: 'cloudtrail', user: `user-${i}`, ip: '203.0.113.50' })),
    );
    await produced(await handleBatch([...nat, record(securityEvent('cloudtrail:nat-3', 3, { source: 'cloudtrail', user: 'user-3', ip: '203.0.113.50' }))], batchCtx));
    expect(await sample(registry, 'seam_correlator_events_total{outcome="accepted"}')).toBe(7);
    expect(await sample(registry, 'seam_correlator_events_total{outcome="duplicate"}')).toBe(1);
    // After the batch the watermark is minute 6 − 1 (grace): the carriers at minutes 0-4 are decided
    // (eligible, linked into one incident), the hot ones at 5 and 6 not yet. Versions: the NAT
    // incident and the two undecided carriers, still alone.
    expect(await sample(registry, 'seam_correlator_hot_key_decisions_total')).toBe(0);
    expect(await sample(registry, 'seam_correlator_watermark_seconds')).toBe((T0 + 5 * MINUTE) / 1000);
    expect(await sample(registry, 'seam_correlator_versions_total{kind="open"}')).toBe(3);
    await produced(await handleBatch([record(securityEvent('cloudtrail:later', 20, { source: 'cloudtrail', user: 'zed' }))], batchCtx));
    expect(await sample(registry, 'seam_correlator_hot_key_decisions_total')).toBe(2);
    expect(await sample(registry, 'seam_correlator_hot_keys')).toBe(1);
    expect(await sample(registry, 'seam_correlator_watermark_seconds')).toBe((T0 + 19 * MINUTE) / 1000);
    // Past W_ip of event time after the last hot decision the key no longer counts as hot.
    const far = await handleBatch([record(securityEvent('cloudtrail:far', 600, { source: 'cloudtrail', user: 'zed' }))], batchCtx);
    // Counted once produced: not before the kit's afterProduce.
    const settledBefore = await sample(registry, 'seam_correlator_versions_total{kind="settled"}');
    await produced(far);
    expect(settledBefore).toBe(0);
    expect(await sample(registry, 'seam_correlator_hot_keys')).toBe(0);
    expect(await sample(registry, 'seam_correlator_hot_key_decisions_total')).toBe(2);
    // Everything up to minute 20 settled with that batch: one NAT incident (five linked carriers),
    // two lone hot carriers, the later event; the counts follow what was handed out.
    const outputs = far.flatMap((item) => ('outputs' in item ? item.outputs : []));
    const settled = outputs.filter((output) => output.value.status === 'settled');
    expect(await sample(registry, 'seam_correlator_versions_total{kind="settled"}')).toBe(settled.length);
    expect(await sample(registry, 'seam_correlator_versions_total{kind="merged"}')).toBe(
      outputs.filter((output) => output.value.mergedInto !== null).length,
    );
    const hotOnes = settled.filter((output) => output.value.hotKeys.length > 0);
    expect(hotOnes.map((output) => output.value.members.map((member) => member.eventId))).toEqual(
      expect.arrayContaining([['cloudtrail:nat-5'], ['cloudtrail:nat-6']]),
    );
  });

  it('handleBatch releases the emission leases only after the produce: without it the versions come again', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = `t-${randomUUID().slice(0, 8)}:`;
    prefixes.push(prefix);
    const store = new RedisCorrelationState({
      redis,
      prefix,
      clock,
      emissionLeaseMs: 30_000,
      config: { windowMs: { ip: 30 * MINUTE, identity: 30 * MINUTE }, graceMs: MINUTE, debounceMs: 0, maxDebounceDelayMs: 0 },
    });
    const stage = correlatorStage({
      topics: { enriched: 'enriched', correlated: 'correlated' },
      codecs: { event: jsonCodec<unknown>(), incident: jsonCodec<Incident>() },
      store,
      now: () => T0 + 999,
    });
    const handleBatch = stage.handleBatch?.bind(stage);
    if (handleBatch === undefined) throw new Error('handleBatch expected');
    const batchCtx = { stage: 'correlator', log, traces: [], attempt: 1, signal: new AbortController().signal };
    const keysOf = (items: BatchItems) => items.flatMap((item) => ('outputs' in item ? item.outputs.map((output) => `${String(output.key)} v${output.value.version}`) : []));
    // Crash between handleBatch and the produce: the hook never runs.
    const lost = await handleBatch([record(securityEvent('qradar:offense:1', 0, { source: 'qradar', user: 'jdoe' }))], batchCtx);
    expect(keysOf(lost)).toEqual([`${incidentIdFor('qradar:offense:1')} v1`]);
    // The redelivered batch is a duplicate and re-emits nothing; the lease still holds the version.
    expect(keysOf(await handleBatch([record(securityEvent('qradar:offense:1', 0, { source: 'qradar', user: 'jdoe' }))], batchCtx))).toEqual([]);
    clock.advance(30_001);
    // After the lease, the same version again (any instance's tick: here the next batch's).
    const again = await handleBatch([record(securityEvent('qradar:offense:1', 0, { source: 'qradar', user: 'jdoe' }))], batchCtx);
    expect(keysOf(again)).toEqual([`${incidentIdFor('qradar:offense:1')} v1`]);
    await produced(again);
    // Produced and confirmed: never again.
    clock.advance(30_001);
    expect(keysOf(await handleBatch([record(securityEvent('cloudtrail:x', 1, { source: 'cloudtrail', user: 'other' }))], batchCtx))).toEqual([
      `${incidentIdFor('cloudtrail:x')} v1`,
    ]);
  });

  it('an event from an unknown source is poison', async () => {
    const stage = build(0);
    const error = await Promise.resolve()
      .then(() => stage.handle(record(securityEvent('x:1', 0, { source: 'unknown', user: 'jdoe' })), ctx))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoisonError);
  });

  it('the timer acknowledges what it produced (emission lease) and keeps going while advance() has work left', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}:`;
    prefixes.push(prefix);
    const store = new RedisCorrelationState({
      redis,
      prefix,
      clock: { now: () => Date.now() },
      config: { windowMs: { ip: 30 * MINUTE, identity: 30 * MINUTE }, graceMs: MINUTE, debounceMs: 0, maxDebounceDelayMs: 0 },
      emissionLeaseMs: 60_000,
      maxPerAdvance: 4,
      buckets: 4,
    });
    // 12 lone incidents, then one jump of event time past all of them: bounded advance() calls.
    await store.ingestBatch(
      Array.from({ length: 12 }, (_, i) => ev(`cloudtrail:s${i}`, i, { source: 'cloudtrail', ids: [person(`user${i}`)] })),
      'enriched:0',
    );
    await store.observe('enriched:0', T0 + 600 * MINUTE);
    const advanced: boolean[] = [];
    const counting = storePort(store, {
      advance: async () => {
        const result = await store.advance();
        advanced.push(result.more);
        return result;
      },
    });
    const producer = new CollectingProducer();
    const stage = timerStage(counting, producer, 20, () => T0 + 999);
    const settled = (): Set<string> =>
      new Set(
        producer.sent
          .flatMap((batch) => batch.messages.map((message) => JSON.parse(String(message.value)) as Incident))
          .filter((value) => value.status === 'settled')
          .map((value) => value.incidentId),
      );
    await stage.onStart?.({ stage: 'correlator', log });
    try {
      const deadline = Date.now() + 10_000;
      while (settled().size < 12 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await stage.onStop?.({ stage: 'correlator', log });
    }
    expect(settled().size).toBe(12);
    expect(advanced.filter((more) => more).length).toBeGreaterThanOrEqual(2); // 12 roots, at most 4 per call
    // Every version the timer produced was acknowledged after the produce: nothing leased or due.
    expect(await store.nextDueAt()).toBeUndefined();
  });

  it('the timer does not wait out its interval while versions are due beyond one tick', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}:`;
    prefixes.push(prefix);
    // At most 4 roots per tick (1 per bucket); 12 lone incidents due at once: 3 ticks.
    const store = new RedisCorrelationState({ redis, prefix, clock: { now: () => Date.now() }, config: { debounceMs: 0, maxDebounceDelayMs: 0 }, maxPerAdvance: 4, buckets: 4 });
    await store.ingestBatch(
      Array.from({ length: 12 }, (_, i) => ev(`cloudtrail:b${i}`, i, { source: 'cloudtrail', ids: [person(`buser${i}`)] })),
      'enriched:0',
    );
    const ticks: number[] = [];
    const counting = storePort(store, {
      tick: async () => {
        const versions = await store.tick();
        ticks.push(versions.length);
        return versions;
      },
    });
    const producer = new CollectingProducer();
    const intervalMs = 2_000;
    const stage = timerStage(counting, producer, intervalMs, () => Date.now());
    const sent = (): number => producer.sent.reduce((n, batch) => n + batch.messages.length, 0);
    const started = Date.now();
    await stage.onStart?.({ stage: 'correlator', log });
    let tookMs = Number.POSITIVE_INFINITY;
    try {
      const deadline = Date.now() + 4 * intervalMs;
      while (sent() < 12 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      tookMs = Date.now() - started;
    } finally {
      await stage.onStop?.({ stage: 'correlator', log });
    }
    expect(sent()).toBe(12);
    expect(ticks.slice(0, 3)).toEqual([4, 4, 4]);
    // The first round waits one interval; the second and third follow at once (not 2 more intervals).
    expect(tookMs).toBeLessThan(2 * intervalMs);
  });

  it('the timer emits debounced versions without further input', async () => {
    const producer = new CollectingProducer();
    const registry = new Registry();
    const stage = build(150, { producer, tickIntervalMs: 25 }, new CorrelatorMetrics(registry, 30 * MINUTE));
    const direct = await stage.handle(record(securityEvent('qradar:offense:7', 0, { source: 'qradar', user: 'jdoe' })), ctx);
    expect(direct).toEqual([]); // not due yet: debounced
    expect(await sample(registry, 'seam_correlator_versions_total{kind="open"}')).toBe(0);
    await stage.onStart?.({ stage: 'correlator', log });
    try {
      const deadline = Date.now() + 5_000;
      while (producer.sent.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      await stage.onStop?.({ stage: 'correlator', log });
    }
    expect(producer.connected).toBe(false);
    const messages = producer.sent.flatMap((batch) => batch.messages.map((message) => ({ topic: batch.topic, message })));
    expect(messages).toHaveLength(1);
    const [first] = messages;
    expect(first?.topic).toBe('correlated');
    expect(first?.message.key).toBe(incidentIdFor('qradar:offense:7'));
    const value = JSON.parse(String(first?.message.value)) as Incident;
    expect(value).toMatchObject({ incidentId: incidentIdFor('qradar:offense:7'), version: 1, status: 'open' });
    // The timer's produce counts too.
    expect(await sample(registry, 'seam_correlator_versions_total{kind="open"}')).toBe(1);
    expect(await sample(registry, 'seam_correlator_events_total{outcome="accepted"}')).toBe(1);
  });
});
