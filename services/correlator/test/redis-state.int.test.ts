import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCorrelationState, type RedisLike } from '../src/adapters/redis-state';
import {
  CorrelationEngine,
  compareStrings,
  referenceHotOccurrences,
  referencePartition,
  type CorrelationConfigInput,
  type CorrelationEvent,
  type IncidentVersion,
} from '../src/domain/index';
import { compacted, ManualClock, MINUTE, partitionOf, T0 } from './fixtures';
import { dropKeys, redisTargets, scanKeys } from './redis-targets';

/**
 * The Redis-backed state against the in-memory reference, on real Redis (standalone and the
 * 3-node cluster). Bounded: a few fast-check runs of at most 16 events each.
 */

const GRACE = 5 * MINUTE;
const NUM_RUNS = Number(process.env.CORRELATOR_REDIS_RUNS ?? 10);

const baseConfig = (lookahead: number, k: number): CorrelationConfigInput => ({
  windowMs: { ip: 30 * MINUTE, identity: 45 * MINUTE },
  graceMs: GRACE,
  hotKeyDistinctIdentities: k,
  hotKeyLookaheadMs: lookahead,
  scannerAllowList: ['192.0.2.0/24'],
  debounceMs: 2_000,
  maxDebounceDelayMs: 10_000,
});

const ipArb = fc.record({
  address: fc.constantFrom('203.0.113.1', '203.0.113.2', '10.0.0.1', '10.0.0.2', '192.0.2.9', '127.0.0.1'),
  role: fc.constantFrom('actor' as const, 'target' as const),
  namespace: fc.constantFrom('corp', 'vpc-a'),
});

const eventArb = (index: number) =>
  fc
    .record({
      minute: fc.integer({ min: 0, max: 150 }),
      second: fc.constantFrom(0, 0, 1, 59),
      source: fc.constantFrom('qradar' as const, 'cloudtrail' as const, 'guardduty' as const, 'securityhub' as const),
      ips: fc.array(ipArb, { maxLength: 2 }),
      ids: fc.uniqueArray(fc.constantFrom('u1', 'u2', 'u3', 'u4', 'AWSServiceRoleForConfig'), { maxLength: 2 }),
      severity: fc.integer({ min: 0, max: 100 }),
      tactics: fc.uniqueArray(fc.constantFrom('TA0001', 'TA0006', 'TA0008'), { maxLength: 2 }),
    })
    .map(
      (parts): CorrelationEvent => ({
        eventId: `ev-${String(index).padStart(2, '0')}`,
        source: parts.source,
        observedAt: T0 + parts.minute * MINUTE + parts.second * 1000,
        title: `event ${index}`,
        sourceSeverity: parts.severity,
        tactics: parts.tactics,
        ips: parts.ips.map((ip) => ({
          address: ip.address,
          role: ip.role,
          scope: ip.address.startsWith('10.') ? ('private' as const) : ('public' as const),
          namespace: ip.namespace,
        })),
        identities: parts.ids.map((canonical) => ({ canonical, kind: 'ad' as const })),
      }),
    );

const eventsArb = fc.integer({ min: 1, max: 16 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => eventArb(i))));
/**
 * The same events with ids in the sources' real formats, 30 to ~150 characters: longer than
 * Redis's default listpack value limit (64), so the indexes holding them are hashtables/skiplists,
 * and nothing may depend on an id's length (a root stores '=' as its parent, not its id).
 */
const LONG_ID: Record<CorrelationEvent['source'], (index: number) => string> = {
  qradar: (i) => `qradar:offense:${4_000_000 + i}`,
  cloudtrail: (i) => `cloudtrail:3f2b${String(i).padStart(4, '0')}-9c1d-4e5f-8a7b-0c1d2e3f4a5b`,
  guardduty: (i) => `guardduty:0ac4e2f19b8d7c6e5f4a3b2c1d0e${String(i).padStart(4, '0')}`,
  securityhub: (i) =>
    `securityhub:arn:aws:securityhub:eu-west-1:123456789012:subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.19/finding/${String(i).padStart(4, '0')}-4e5f-8a7b-0c1d2e3f4a5b`,
};
const longIdEventsArb = eventsArb.map((events) => events.map((event, i) => ({ ...event, eventId: LONG_ID[event.source](i) })));
const jittersArb = fc.array(fc.integer({ min: 0, max: GRACE }), { minLength: 1, maxLength: 20 });
const configArb = fc.record({ lookahead: fc.constantFrom(0, 30 * MINUTE), k: fc.integer({ min: 1, max: 3 }) });

/** An arrival order in which no event is more than G behind the newest one seen. */
const arrivalOrder = (events: readonly CorrelationEvent[], jitters: readonly number[]): CorrelationEvent[] =>
  events
    .map((event, i) => ({ event, key: event.observedAt + Math.min(jitters[i % jitters.length] ?? 0, GRACE) }))
    .sort((a, b) => a.key - b.key)
    .map(({ event }) => event);

/** Every arrival twice: the copy lands somewhere after the original. */
const withRedeliveries = (once: readonly CorrelationEvent[], spots: readonly number[]): CorrelationEvent[] => {
  const twice = [...once];
  once.forEach((event, i) => {
    const original = twice.indexOf(event);
    const spot = original + 1 + ((spots[i % spots.length] ?? 0) % (twice.length - original));
    twice.splice(spot, 0, structuredClone(event));
  });
  return twice;
};

/** Final content per surviving incident, without what legitimately depends on history. */
const finalContent = (versions: readonly IncidentVersion[]) =>
  new Map([...compacted(versions)].map(([id, { version: _v, absorbed: _a, ...rest }]) => [id, rest]));

const runMemory = (arrivals: readonly CorrelationEvent[], config: CorrelationConfigInput): IncidentVersion[] => {
  const clock = new ManualClock();
  const engine = new CorrelationEngine(config, clock);
  const versions: IncidentVersion[] = [];
  for (const event of arrivals) {
    expect(engine.ingest(event).status).not.toBe('late');
    clock.advance(700);
    versions.push(...engine.tick());
  }
  engine.flush();
  versions.push(...engine.drain());
  return versions;
};




interface RedisRun {
  readonly versions: IncidentVersion[];
  readonly statuses: string[];
  /** Keys alive at the end of the input, with no TTL (must be none). */
  readonly immortalKeys: string[];
  /** Keys left after every window closed. */
  readonly leftover: string[];
  readonly holdingTtlMs: number;
  readonly wmTtl: number;
  /** Hot decisions reported by any instance (`onHotKey`), as `<key>|<eventId>`. */
  readonly hot: string[];
}

/**
 * Feeds the arrivals round-robin into `clients.length` state instances sharing one Redis (instance
 * i reads partition p<i>), then moves every partition's event time past all windows and the dedup
 * retention, and collects every version emitted by any instance. `concurrent`: the instances run
 * their shares at the same time (racing unions, decisions, settles and emissions).
 */
const runRedis = async (
  clients: readonly RedisLike[],
  arrivals: readonly CorrelationEvent[],
  config: CorrelationConfigInput,
  concurrent = false,
  /** When given: the arrivals are cut into batches of these sizes (cycled), each fed to `ingestBatch`. */
  batchSizes?: readonly number[],
  /** Bound of one advance()/tick() (default: the state's). */
  maxPerAdvance?: number,
  /** Emission lease on: every tick/drain is acknowledged right after (as the stage's timer does). */
  emissionLeaseMs?: number,
  /** With the lease: acknowledged inside tick/drain (`{ acknowledge: true }`, as the stage's batch path does). */
  acknowledgeInTick = false,
): Promise<RedisRun> => {
  const prefix = `t-${randomUUID().slice(0, 8)}:`;
  const clock = new ManualClock();
  const hot: string[] = [];
  const states = clients.map(
    (redis) => new RedisCorrelationState({
        redis,
        prefix,
        config,
        clock,
        buckets: 4,
        onHotKey: ({ key, eventId }) => hot.push(`${key}|${eventId}`),
        ...(maxPerAdvance === undefined ? {} : { maxPerAdvance }),
        ...(emissionLeaseMs === undefined ? {} : { emissionLeaseMs }),
      }),
  );
  const first = clients[0];
  const firstState = states[0];
  if (first === undefined || firstState === undefined) throw new Error('no client');
  const versions: IncidentVersion[] = [];
  const statuses: string[] = [];
  const emitted = async (state: RedisCorrelationState, how: 'tick' | 'drain'): Promise<IncidentVersion[]> => {
    if (acknowledgeInTick) return how === 'tick' ? state.tick({ acknowledge: true }) : state.drain({ acknowledge: true });
    const list = await (how === 'tick' ? state.tick() : state.drain());
    await state.ack(list);
    return list;
  };
  try {
    if (batchSizes !== undefined) {
      const batches: CorrelationEvent[][] = [];
      for (let at = 0, n = 0; at < arrivals.length; n += 1) {
        const size = Math.max(1, batchSizes[n % batchSizes.length] ?? 1);
        batches.push(arrivals.slice(at, at + size));
        at += size;
      }
      const start = Math.min(...arrivals.map((event) => event.observedAt));
      for (const which of states.keys()) await firstState.observe(`p${which}`, start);
      const feed = async (state: RedisCorrelationState, which: number): Promise<void> => {
        for (const [n, batch] of batches.entries()) {
          if (n % states.length !== which) continue;
          statuses.push(...(await state.ingestBatch(batch, `p${which}`)).map((outcome) => outcome.status));
          clock.advance(700 * batch.length);
          await state.advance();
          versions.push(...(await emitted(state, 'tick')));
        }
      };
      if (concurrent) await Promise.all(states.map(feed));
      else for (const [which, state] of states.entries()) await feed(state, which);
    } else if (concurrent) {
      // Every partition is known from the start (as with Kafka assignments), so a slow instance
      // holds the shared watermark back instead of seeing its events declared late.
      const start = Math.min(...arrivals.map((event) => event.observedAt));
      for (const which of states.keys()) await firstState.observe(`p${which}`, start);
      await Promise.all(
        states.map(async (state, which) => {
          for (const [i, event] of arrivals.entries()) {
            if (i % states.length !== which) continue;
            statuses.push((await state.ingest(event, `p${which}`)).status);
            clock.advance(350);
            await state.advance();
            versions.push(...(await emitted(state, 'tick')));
          }
        }),
      );
    } else {
      for (const [i, event] of arrivals.entries()) {
        const which = i % states.length;
        const state = states[which];
        if (state === undefined) continue;
        statuses.push((await state.ingest(event, `p${which}`)).status);
        clock.advance(700);
        await state.advance();
        versions.push(...(await emitted(state, 'tick')));
      }
    }
    const immortalKeys: string[] = [];
    for (const key of await scanKeys(first, prefix)) if ((await first.pttl(key)) < 0) immortalKeys.push(key);

    const end = Math.max(...arrivals.map((event) => event.observedAt)) + 48 * 60 * MINUTE;
    for (const [which, state] of states.entries()) await state.observe(`p${which}`, end);
    for (const state of states) {
      // Bounded calls: repeat until nothing is left (at most one round per held entry).
      for (let rounds = 0; (await state.advance()).more && rounds < 10_000; rounds += 1) versions.push(...(await emitted(state, 'tick')));
    }
    for (const state of states) versions.push(...(await emitted(state, 'drain')));
    const leftover = await scanKeys(first, prefix);
    const wmTtl = await first.pttl(`${prefix}wm`);
    return { versions, statuses, immortalKeys, leftover, holdingTtlMs: firstState.holdingTtlMs, wmTtl, hot: hot.sort(compareStrings) };
  } finally {
    await dropKeys(first, prefix);
  }
};

const checkAgainstReference = (
  run: RedisRun,
  events: readonly CorrelationEvent[],
  arrivals: readonly CorrelationEvent[],
  config: CorrelationConfigInput,
): void => {
  expect(run.statuses).not.toContain('late');
  expect(partitionOf(run.versions)).toEqual(referencePartition(events, config));
  // Every hot occurrence reported exactly once, whichever instance decided it (redeliveries, races).
  expect(run.hot).toEqual(referenceHotOccurrences(events, config));
  expect(finalContent(run.versions)).toEqual(finalContent(runMemory(arrivals, config)));
  for (const version of compacted(run.versions).values()) expect(version.status).toBe('settled');
  expect(run.immortalKeys).toEqual([]);
  // Memory returns to zero: only the watermark hash is left, and it expires after the holding TTL.
  const prefixOf = (key: string): string => key.slice(0, key.indexOf(':') + 1);
  expect(run.leftover.map((key) => key.slice(prefixOf(key).length))).toEqual(['wm']);
  expect(run.wmTtl).toBeGreaterThan(0);
  expect(run.wmTtl).toBeLessThanOrEqual(run.holdingTtlMs);
};

describe.each(redisTargets)('Redis correlation state ($name)', ({ connect }) => {
  const clients: RedisLike[] = [];
  beforeAll(async () => {
    clients.push(connect(), connect());
    for (const client of clients) await client.ping();
  });
  afterAll(async () => {
    for (const client of clients) await client.quit();
  });
  const one = () => clients.slice(0, 1);

  it('gives the reference partition, the same ids and the same final versions as the in-memory engine', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, jittersArb, configArb, async (events, jitters, c) => {
        const config = baseConfig(c.lookahead, c.k);
        const arrivals = arrivalOrder(events, jitters);
        checkAgainstReference(await runRedis(one(), arrivals, config), events, arrivals, config);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('delivering every event twice changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, jittersArb, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), configArb, async (events, jitters, spots, c) => {
        const config = baseConfig(c.lookahead, c.k);
        const arrivals = arrivalOrder(events, jitters);
        const twice = await runRedis(one(), withRedeliveries(arrivals, spots), config);
        checkAgainstReference(twice, events, arrivals, config);
        expect(twice.statuses.filter((status) => status === 'duplicate')).toHaveLength(arrivals.length);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('two instances sharing one Redis, splitting the events, converge to the same incidents as one', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, jittersArb, configArb, async (events, jitters, c) => {
        const config = baseConfig(c.lookahead, c.k);
        const arrivals = arrivalOrder(events, jitters);
        const split = await runRedis(clients, arrivals, config);
        checkAgainstReference(split, events, arrivals, config);
        const single = await runRedis(one(), arrivals, config);
        expect(finalContent(split.versions)).toEqual(finalContent(single.versions));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('two instances ingesting their shares concurrently converge to the reference incidents', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, jittersArb, configArb, async (events, jitters, c) => {
        const config = baseConfig(c.lookahead, c.k);
        const arrivals = arrivalOrder(events, jitters);
        checkAgainstReference(await runRedis(clients, arrivals, config, true), events, arrivals, config);
      }),
      { numRuns: NUM_RUNS, endOnFailure: true },
    );
  });

  const batchSizesArb = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 });

  it('ingesting in batches (any cut, redeliveries inside one batch) gives the reference incidents', async () => {
    await fc.assert(
      fc.asyncProperty(
        eventsArb,
        jittersArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        batchSizesArb,
        configArb,
        async (events, jitters, spots, sizes, c) => {
          const config = baseConfig(c.lookahead, c.k);
          const arrivals = arrivalOrder(events, jitters);
          const once = await runRedis(one(), arrivals, config, false, sizes);
          checkAgainstReference(once, events, arrivals, config);
          const twice = await runRedis(one(), withRedeliveries(arrivals, spots), config, false, sizes);
          checkAgainstReference(twice, events, arrivals, config);
          expect(twice.statuses.filter((status) => status === 'duplicate')).toHaveLength(arrivals.length);
          expect(finalContent(twice.versions)).toEqual(finalContent(once.versions));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('bounded advance()/tick() (one entry per bucket and call) still gives the reference incidents', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, jittersArb, batchSizesArb, configArb, async (events, jitters, sizes, c) => {
        const config = baseConfig(c.lookahead, c.k);
        const arrivals = arrivalOrder(events, jitters);
        checkAgainstReference(await runRedis(one(), arrivals, config, false, sizes, 1), events, arrivals, config);
        checkAgainstReference(await runRedis(clients, arrivals, config, true, sizes, 1), events, arrivals, config);
      }),
      { numRuns: NUM_RUNS, endOnFailure: true },
    );
  });

  it('with the emission lease on (acknowledged after every tick) the incidents and the memory are the same', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, jittersArb, batchSizesArb, configArb, async (events, jitters, sizes, c) => {
        const config = baseConfig(c.lookahead, c.k);
        const arrivals = arrivalOrder(events, jitters);
        checkAgainstReference(await runRedis(clients, arrivals, config, true, sizes, 2, 60_000), events, arrivals, config);
      }),
      { numRuns: NUM_RUNS, endOnFailure: true },
    );
  });

  it('with the lease acknowledged inside tick (the batch path) the incidents and the memory are the same', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, jittersArb, batchSizesArb, configArb, async (events, jitters, sizes, c) => {
        const config = baseConfig(c.lookahead, c.k);
        const arrivals = arrivalOrder(events, jitters);
        checkAgainstReference(await runRedis(clients, arrivals, config, true, sizes, 2, 60_000, true), events, arrivals, config);
      }),
      { numRuns: NUM_RUNS, endOnFailure: true },
    );
  });

  it('ids in the sources\' real formats (up to ~150 characters) give the reference incidents, also with two instances', async () => {
    await fc.assert(
      fc.asyncProperty(longIdEventsArb, jittersArb, batchSizesArb, configArb, fc.boolean(), async (events, jitters, sizes, c, two) => {
        const config = baseConfig(c.lookahead, c.k);
        const arrivals = arrivalOrder(events, jitters);
        checkAgainstReference(await runRedis(two ? clients : one(), arrivals, config, two, sizes), events, arrivals, config);
      }),
      { numRuns: NUM_RUNS, endOnFailure: true },
    );
  });

  it('two instances ingesting batches concurrently converge to the reference incidents', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, jittersArb, batchSizesArb, configArb, async (events, jitters, sizes, c) => {
        const config = baseConfig(c.lookahead, c.k);
        const arrivals = arrivalOrder(events, jitters);
        checkAgainstReference(await runRedis(clients, arrivals, config, true, sizes), events, arrivals, config);
      }),
      { numRuns: NUM_RUNS, endOnFailure: true },
    );
  });
});
