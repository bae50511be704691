import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@seam/infra/emulator-kit/random';
import { RedisCorrelationState, type RedisLike, type RedisStateTestHooks } from '../src/adapters/redis-state';
import { incidentIdFor, type CorrelationConfigInput, type IncidentVersion } from '../src/domain/index';
import { compacted, ev, ManualClock, MINUTE, person, T0 } from './fixtures';
import { FIELD } from '../src/adapters/redis-scripts';
import { redisTargets, scanKeys } from './redis-targets';

/**
 * Regression (crash test, `qradar:offense:2102` lost): a settle and a union into the settling root
 * interleaved so that the union's members were added after the settle read the members and then
 * deleted with the set; the loser pointed at a forgotten parent and ended in no incident. The test
 * hooks of the state force each bad interleaving deterministically, and a seeded loop runs settle
 * and union concurrently with random yields. Invariant every time: each event ends in exactly one
 * settled incident (the compacted `correlated` view and its dedup record agree) and no event hash
 * keeps a parent pointer.
 */

const config: CorrelationConfigInput = {
  windowMs: { ip: 30 * MINUTE, identity: 45 * MINUTE },
  graceMs: 5 * MINUTE,
  hotKeyDistinctIdentities: 3,
  debounceMs: 2_000,
  maxDebounceDelayMs: 10_000,
};

/** A (at 0) settles at the watermark 115 min; B (at 120 min) does not. They share no key. */
const A = ev('qradar:offense:2101', 0, { ids: [person('alice')] });
const B = ev('qradar:offense:2102', 120, { ids: [person('bob')] });

interface Internals {
  union(a: string, b: string): Promise<void>;
}


/** An event's union-find parent as the scripts see it: a root stores '=' for itself. */
const parentOf = async (redis: RedisLike, prefix: string, id: string): Promise<string | null> => {
  const stored = await redis.hget(`${prefix}e:{${id}}`, FIELD.parent);
  return stored === '=' ? id : stored;
};



const yieldTimes = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe.each(redisTargets)('settle vs. union into the settling root ($name)', ({ connect }) => {
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

  const setup = async (hooks: RedisStateTestHooks) => {
    const prefix = `test:race:${randomUUID()}:`;
    prefixes.push(prefix);
    const state = new RedisCorrelationState({ redis, prefix, config, clock: new ManualClock(), testHooks: hooks });
    const versions: IncidentVersion[] = [];
    const outcomes = await state.ingestBatch([A, B], 'p0');
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['accepted', 'accepted']);
    // Watermark 115 min: A (lastSeen 0 + 45 min horizon) is due to settle, B is not.
    await state.observe('p0', T0 + 120 * MINUTE);
    const union = (a: string, b: string) => (state as unknown as Internals).union(a, b);
    const finish = async (): Promise<Map<string, IncidentVersion>> => {
      await state.observe('p0', T0 + 6 * 60 * MINUTE); // within the dedup retention (24 h)
      for (let rounds = 0; rounds < 100 && (await state.advance()).more; rounds += 1) versions.push(...(await state.drain()));
      versions.push(...(await state.drain()));
      return compacted(versions);
    };
    return { state, prefix, versions, union, finish };
  };

  /** Every event in exactly one settled incident; no event hash keeps a parent pointer. */
  const checkInvariant = async (prefix: string, final: Map<string, IncidentVersion>): Promise<Map<string, string>> => {
    const owner = new Map<string, string>();
    for (const version of final.values()) {
      expect(version.status).toBe('settled');
      for (const member of version.members) {
        expect(owner.has(member.eventId), `${member.eventId} in two incidents`).toBe(false);
        owner.set(member.eventId, version.incidentId);
      }
    }
    for (const event of [A, B]) {
      expect(owner.get(event.eventId), `${event.eventId} in no incident`).toBeDefined();
      const [parent, incident] = await redis.hmget(`${prefix}e:{${event.eventId}}`, FIELD.parent, FIELD.incident);
      expect(parent).toBeNull();
      expect(incident).toBe(owner.get(event.eventId));
    }
    return owner;
  };

  it('a union between the settle read and its compare-and-set is not lost: the settle re-reads', async () => {
    const hooks: { -readonly [K in keyof RedisStateTestHooks]: RedisStateTestHooks[K] } = {};
    const { state, prefix, union, finish } = await setup(hooks);
    let fired = 0;
    hooks.afterSettleRead = async (root) => {
      if (root !== A.eventId || fired > 0) return;
      fired += 1;
      await union(A.eventId, B.eventId); // SADD of B into A's members after the settle read them
    };
    await state.advance();
    expect(fired).toBe(1);
    // A absorbed B (lastSeen 120 min): not due any more, nothing forgotten.
    expect(await parentOf(redis, prefix, B.eventId)).toBe(A.eventId);
    expect(await parentOf(redis, prefix, A.eventId)).toBe(A.eventId);
    const owner = await checkInvariant(prefix, await finish());
    expect(owner.get(B.eventId)).toBe(incidentIdFor(A.eventId));
  });

  it('the winner settled and was forgotten before the loser’s bookkeeping: the loser is its own (late) incident', async () => {
    const hooks: { -readonly [K in keyof RedisStateTestHooks]: RedisStateTestHooks[K] } = {};
    const { state, prefix, union, finish } = await setup(hooks);
    hooks.afterLink = async (loser, winner) => {
      expect([loser, winner]).toEqual([B.eventId, A.eventId]);
      await state.advance(); // A settles with its one member and is forgotten
      expect(await redis.hget(`${prefix}e:{${A.eventId}}`, FIELD.incident)).toBe(incidentIdFor(A.eventId));
    };
    await union(A.eventId, B.eventId);
    expect(await parentOf(redis, prefix, B.eventId)).toBe(B.eventId); // restored as a root
    const final = await finish();
    const owner = await checkInvariant(prefix, final);
    expect(owner.get(A.eventId)).toBe(incidentIdFor(A.eventId));
    expect(owner.get(B.eventId)).toBe(incidentIdFor(B.eventId));
    expect(final.get(incidentIdFor(B.eventId))?.late).toBe(true);
    expect(final.get(incidentIdFor(A.eventId))?.late).toBe(false);
    expect(final.get(incidentIdFor(A.eventId))?.members.map((member) => member.eventId)).toEqual([A.eventId]);
  });

  it('the winner is marked settled (not yet forgotten) when the loser’s members arrive: refused, loser restored', async () => {
    const hooks: { -readonly [K in keyof RedisStateTestHooks]: RedisStateTestHooks[K] } = {};
    const { state, prefix, union, finish } = await setup(hooks);
    let releaseMark = (): void => undefined;
    const markGate = new Promise<void>((resolve) => (releaseMark = resolve));
    let signalMarked = (): void => undefined;
    const marked = new Promise<void>((resolve) => (signalMarked = resolve));
    let advancing: Promise<unknown> = Promise.resolve();
    hooks.afterSettleMark = async (root) => {
      if (root !== A.eventId) return;
      signalMarked();
      await markGate; // A is `settled` but its members are not forgotten yet
    };
    hooks.afterLink = async () => {
      advancing = state.advance();
      await marked;
    };
    await union(A.eventId, B.eventId);
    expect(await parentOf(redis, prefix, B.eventId)).toBe(B.eventId);
    releaseMark();
    await advancing;
    const final = await finish();
    const owner = await checkInvariant(prefix, final);
    expect(owner.get(B.eventId)).toBe(incidentIdFor(B.eventId));
    expect(final.get(incidentIdFor(B.eventId))?.late).toBe(true);
    expect(final.get(incidentIdFor(A.eventId))?.members.map((member) => member.eventId)).toEqual([A.eventId]);
  });

  it('a partition holds the watermark back from the start of its first batch (idle advance of the others)', async () => {
    const prefix = `test:race:${randomUUID()}:`;
    prefixes.push(prefix);
    const clock = new ManualClock(T0);
    const seen: number[] = [];
    const hooks: RedisStateTestHooks = {
      // Runs in the middle of the batch (its two events link): the watermark must not have passed them.
      afterLink: async () => {
        seen.push(await state.watermark());
      },
    };
    const state = new RedisCorrelationState({ redis, prefix, config, clock, idleAdvanceMs: 60_000, testHooks: hooks });
    await state.observe('p0', T0); // p0's last record at wall T0 …
    clock.current = T0 + 10 * 60 * MINUTE; // … so it is idle now and counts with `now`
    const D = ev('qradar:offense:3001', 60, { ids: [person('carol')] });
    const C = ev('qradar:offense:3002', 61, { ids: [person('carol')] });
    const outcomes = await state.ingestBatch([D, C], 'p1'); // p1's first batch
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['accepted', 'accepted']);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeLessThanOrEqual(D.observedAt - 5 * MINUTE);
    expect(await state.incidentOf(C.eventId)).toBe(incidentIdFor(D.eventId));
  });

  it('settle and union run concurrently under 40 seeded schedules: every event in exactly one settled incident', async () => {
    // Measured with 40: 8-15 of the 40 schedules end 'own', the rest 'joined' (with 4, as until
    // session 10, 'own' came up 1-6 times and sometimes not at once: the check flaked).
    const SPREAD = 40;
    const outcomes = new Map<string, number>();
    for (let seed = 1; seed <= 40; seed += 1) {
      const random = seededRandom(seed);
      const hooks: RedisStateTestHooks = {
        afterSettleRead: () => yieldTimes(Math.floor(random() * 6)),
        afterSettleMark: () => yieldTimes(Math.floor(random() * 6)),
        afterLink: () => yieldTimes(Math.floor(random() * 6)),
      };
      const { state, prefix, union, finish } = await setup(hooks);
      // How many event-loop turns each side waits before it starts. An advance() takes several
      // round trips (watermark, bucket scans) before it reads and marks the settle, a union fewer
      // before its link, so the union's head start ranges wider: both endings occur.
      const first = Math.floor(random() * 4);
      const unionAfter = Math.floor(random() * SPREAD);
      await Promise.all([
        (async () => {
          await yieldTimes(first);
          await state.advance();
        })(),
        (async () => {
          await yieldTimes(unionAfter);
          await union(A.eventId, B.eventId);
        })(),
      ]);
      const owner = await checkInvariant(prefix, await finish());
      const outcome = owner.get(B.eventId) === incidentIdFor(A.eventId) ? 'joined' : 'own';
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // Both legitimate endings occur (B joined A before the settle, or its link was refused): the
    // schedules do reach the race.
    expect([...outcomes.keys()].sort()).toEqual(['joined', 'own']);
  });
});
