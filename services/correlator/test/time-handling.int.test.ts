import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCorrelationState, type IdleAdvanceInfo, type RedisLike } from '../src/adapters/redis-state';
import { incidentIdFor, type CorrelationConfigInput, type IncidentVersion } from '../src/domain/index';
import { compacted, ev, ManualClock, person, T0 } from './fixtures';
import { FIELD } from '../src/adapters/redis-scripts';
import { redisTargets, scanKeys } from './redis-targets';

/**
 * Time handling of the Redis state with an injected wall clock: idle advance of the watermark,
 * bounded advance()/tick() work and the emission lease. Real Redis (standalone and the cluster).
 */

const SECOND = 1_000;
const GRACE = 30 * SECOND;
const config: CorrelationConfigInput = {
  windowMs: { ip: 60 * SECOND, identity: 60 * SECOND },
  graceMs: GRACE,
  debounceMs: 0,
  maxDebounceDelayMs: 0,
};
const at = (seconds: number) => T0 + seconds * SECOND;
/** An event `seconds` after T0 carrying one identity. */
const event = (id: string, seconds: number, user: string) => ({ ...ev(id, 0, { ids: [person(user)] }), observedAt: at(seconds) });



describe.each(redisTargets)('time handling of the Redis state ($name)', ({ connect }) => {
  let redis: RedisLike;
  const prefixes: string[] = [];
  beforeAll(async () => {
    redis = connect();
    await redis.ping();
  });
  afterAll(async () => {
    for (const prefix of prefixes) for (const key of await scanKeys(redis, prefix)) await redis.del(key);
    await redis.quit();
  });
  const state = (options: { idleAdvanceMs?: number; maxPerAdvance?: number; emissionLeaseMs?: number; clock: ManualClock; onIdle?: (info: IdleAdvanceInfo) => void }) => {
    const prefix = `t-${randomUUID().slice(0, 8)}:`;
    prefixes.push(prefix);
    return {
      prefix,
      store: new RedisCorrelationState({
        redis,
        prefix,
        config,
        clock: options.clock,
        buckets: 4,
        ...(options.idleAdvanceMs === undefined ? {} : { idleAdvanceMs: options.idleAdvanceMs }),
        ...(options.maxPerAdvance === undefined ? {} : { maxPerAdvance: options.maxPerAdvance }),
        ...(options.emissionLeaseMs === undefined ? {} : { emissionLeaseMs: options.emissionLeaseMs }),
        ...(options.onIdle === undefined ? {} : { onIdleAdvance: options.onIdle }),
      }),
    };
  };

  /**
   * A live stream (event time ≈ wall time) on two partitions: p1 stops after its first record, p0
   * goes on for 11 s, then everything stops for 2 min. Returns what was observed on the way.
   */
  const liveRun = async (idleAdvanceMs: number) => {
    const clock = new ManualClock(at(0));
    const idle: IdleAdvanceInfo[] = [];
    const { store } = state({ idleAdvanceMs, clock, onIdle: (info) => idle.push(info) });
    const versions: IncidentVersion[] = [];
    const step = async (): Promise<number> => {
      await store.advance();
      versions.push(...(await store.tick()));
      return store.watermark();
    };
    await store.ingestBatch([event('a', 0, 'u1')], 'p0');
    await store.ingestBatch([event('b', 0, 'u2')], 'p1');
    const start = await step();
    clock.advance(5 * SECOND);
    await store.ingestBatch([event('c', 5, 'u1')], 'p0');
    const afterFive = await step();
    clock.advance(6 * SECOND); // p1's last record is 11 s old now
    await store.ingestBatch([event('d', 11, 'u3')], 'p0');
    const afterEleven = await step();
    clock.advance(120 * SECOND); // everything quiet for 2 min
    const quiet = await step();
    return { store, versions, idle, start, afterFive, afterEleven, quiet, now: clock.now() };
  };

  it('idle advance: a stopped partition stops holding the watermark back; when all stop, everything settles', async () => {
    const run = await liveRun(10 * SECOND);
    expect(run.start).toBe(at(0) - GRACE);
    expect(run.afterFive).toBe(at(0) - GRACE); // p1 is 5 s quiet: not idle yet, it holds the watermark
    expect(run.afterEleven).toBe(at(11) - GRACE); // p1 idle: p0 alone drives it
    expect(run.quiet).toBe(run.now - GRACE); // all idle: wall clock − G
    expect(run.idle.map((info) => info.idlePartitions)).toEqual([['p1'], ['p0', 'p1']]);
    expect(run.idle[0]?.strictWatermark).toBe(at(0) - GRACE);
    // Every incident's last version is the settled one, and the identity link held.
    const final = compacted(run.versions);
    expect([...final.keys()].sort()).toEqual([incidentIdFor('a'), incidentIdFor('b'), incidentIdFor('d')].sort());
    for (const version of final.values()) expect(version.status).toBe('settled');
    expect(final.get(incidentIdFor('a'))?.members.map((member) => member.eventId)).toEqual(['a', 'c']);
    // The watermark never moves back: p1 resuming with an event older than it is late.
    expect((await run.store.ingest(event('old', 1, 'u9'), 'p1')).status).toBe('late');
    expect(await run.store.watermark()).toBe(run.quiet);
  });

  it('with idle advance off (0) the stopped partition holds the watermark and nothing settles', async () => {
    const run = await liveRun(0);
    expect([run.start, run.afterFive, run.afterEleven, run.quiet]).toEqual([at(0) - GRACE, at(0) - GRACE, at(0) - GRACE, at(0) - GRACE]);
    expect(run.idle).toEqual([]);
    expect(run.versions.length).toBeGreaterThan(0); // first versions (debounce 0)
    for (const version of run.versions) expect(version.status).toBe('open');
  });

  it('a replay of old events settles everything once its input is fed and the partitions go idle', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1)); // wall time long after the recorded events
    const { store } = state({ idleAdvanceMs: 3 * SECOND, clock });
    await store.ingestBatch([event('r1', 0, 'u1'), event('r2', 20, 'u1'), event('r3', 40, 'u2')], 'p0');
    await store.advance();
    expect((await store.tick()).every((version) => version.status === 'open')).toBe(true);
    clock.advance(4 * SECOND);
    await store.advance();
    const settled = compacted(await store.tick());
    expect([...settled.values()].map((version) => [version.members.map((member) => member.eventId), version.status])).toEqual(
      expect.arrayContaining([
        [['r1', 'r2'], 'settled'],
        [['r3'], 'settled'],
      ]),
    );
    expect(settled.size).toBe(2);
  });

  it('bounds the work of one advance() and one tick(); the rest follows on the next calls', async () => {
    const clock = new ManualClock(at(0));
    const { store, prefix } = state({ maxPerAdvance: 8, clock });
    const events = Array.from({ length: 30 }, (_, i) => event(`s${String(i).padStart(2, '0')}`, i, `user${i}`));
    await store.ingestBatch(events, 'p0');
    expect(await store.drain()).toHaveLength(30); // first versions
    await store.observe('p0', at(10_000)); // one jump of the watermark past every incident
    const perCall: number[] = [];
    const settled = new Set<string>();
    let more = true;
    for (let calls = 0; more && calls < 50; calls += 1) {
      more = (await store.advance()).more;
      const versions = await store.tick();
      expect(versions.length).toBeLessThanOrEqual(8);
      perCall.push(versions.length);
      for (const version of versions) if (version.status === 'settled') settled.add(version.incidentId);
    }
    // The tail may still be due after the last advance: ticks empty it.
    for (let calls = 0; calls < 10; calls += 1) for (const version of await store.tick()) settled.add(version.incidentId);
    expect(perCall.length).toBeGreaterThanOrEqual(4); // 30 roots, at most 8 per call
    expect(perCall[0]).toBeGreaterThan(0);
    expect(settled.size).toBe(30);
    expect(await store.nextDueAt()).toBeUndefined();
    // Memory: nothing but dedup records and the watermark are left.
    const left = (await scanKeys(redis, prefix)).map((key) => key.slice(prefix.length).replace(/\{.*\}/, '{}'));
    expect(new Set(left)).toEqual(new Set(['wm', 'e:{}', 'dedup:{}']));
  });

  it('emission lease: a version popped and never acknowledged is emitted again after the lease', async () => {
    const clock = new ManualClock(at(0));
    const { store, prefix } = state({ emissionLeaseMs: 5 * SECOND, clock });
    const root = 'x1';
    // The root's info lives in its event hash; its `status` field is there until the ack.
    const eventKey = `${prefix}e:{${root}}`;
    await store.ingestBatch([event(root, 0, 'u1')], 'p0');
    const first = await store.tick();
    expect(first.map((version) => [version.incidentId, version.version, version.status])).toEqual([[incidentIdFor(root), 1, 'open']]);
    // "Crash": never acknowledged. Within the lease nobody re-emits it…
    clock.advance(4 * SECOND);
    expect(await store.tick()).toEqual([]);
    // …after it, the same version comes again (a compacted topic keeps one copy).
    clock.advance(2 * SECOND);
    const again = await store.tick();
    expect(again.map((version) => [version.incidentId, version.version, version.status])).toEqual([[incidentIdFor(root), 1, 'open']]);
    await store.ack(again);
    clock.advance(10 * SECOND);
    expect(await store.tick()).toEqual([]); // acknowledged: nothing comes back
    // The settled version: its root state stays until acknowledged, then goes.
    await store.observe('p0', at(10_000));
    await store.advance();
    const settled = await store.tick();
    expect(settled.map((version) => [version.version, version.status])).toEqual([[2, 'settled']]);
    expect(await redis.hexists(eventKey, FIELD.status)).toBe(1);
    clock.advance(6 * SECOND);
    const settledAgain = await store.tick();
    expect(settledAgain.map((version) => [version.version, version.status])).toEqual([[2, 'settled']]);
    await store.ack(settledAgain);
    expect(await redis.hexists(eventKey, FIELD.status)).toBe(0);
    expect((await redis.hkeys(eventKey)).sort()).toEqual([FIELD.incident, FIELD.observedAt].sort());
    clock.advance(6 * SECOND);
    expect(await store.tick()).toEqual([]);
    expect(await store.nextDueAt()).toBeUndefined();
  });

  it("a merged-away incident's last version has its members as of the merge, also those never emitted", async () => {
    const clock = new ManualClock(at(0));
    const { store } = state({ clock });
    await store.ingestBatch([event('a', 1, 'alice'), event('b', 2, 'bob')], 'p0');
    expect((await store.tick()).map((version) => version.incidentId).sort()).toEqual([incidentIdFor('a'), incidentIdFor('b')].sort());
    await store.ingestBatch([event('d', 4, 'bob')], 'p0'); // joins b's incident, not emitted yet
    await store.ingestBatch([{ ...ev('c', 0, { ids: [person('alice'), person('bob')] }), observedAt: at(6) }], 'p0');
    const out = await store.tick();
    const tombstone = out.find((version) => version.mergedInto !== null);
    expect(tombstone).toMatchObject({ incidentId: incidentIdFor('b'), version: 2, status: 'settled', mergedInto: incidentIdFor('a') });
    // b and d (d never emitted with it); c too when c's union with b ran before the one with a
    // (the two unions of c's keys run concurrently, so either order is a valid "as of the merge").
    const buried = tombstone?.members.map((member) => member.eventId) ?? [];
    expect([['b', 'd'], ['b', 'd', 'c']]).toContainEqual(buried);
    const survivor = out.find((version) => version.mergedInto === null);
    expect(survivor?.members.map((member) => member.eventId)).toEqual(['a', 'b', 'd', 'c']);
    expect(survivor?.absorbed).toEqual([incidentIdFor('b')]);
  });

  it('emission lease: tombstones of a merge are handed out again until acknowledged', async () => {
    const clock = new ManualClock(at(0));
    const { store } = state({ emissionLeaseMs: 5 * SECOND, clock });
    await store.ingestBatch([event('m2', 10, 'u1')], 'p0');
    await store.ack(await store.tick()); // m2's incident is seen
    await store.ingestBatch([event('m1', 5, 'u1')], 'p0'); // earlier member: m2's incident is renamed
    const merged = await store.tick();
    const tombstone = merged.find((version) => version.mergedInto !== null);
    expect(tombstone?.incidentId).toBe(incidentIdFor('m2'));
    expect(tombstone?.mergedInto).toBe(incidentIdFor('m1'));
    clock.advance(6 * SECOND);
    const again = await store.tick();
    expect(again.map((version) => [version.incidentId, version.version, version.mergedInto])).toEqual(
      merged.map((version) => [version.incidentId, version.version, version.mergedInto]),
    );
    await store.ack(again);
    clock.advance(6 * SECOND);
    expect(await store.tick()).toEqual([]);
  });
});
