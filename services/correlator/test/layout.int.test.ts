import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCorrelationState, type RedisLike } from '../src/adapters/redis-state';
import { LAYOUT, LAYOUT_FIELD } from '../src/adapters/redis-scripts';
import { ev, person, T0 } from './fixtures';
import { dropKeys, redisTargets } from './redis-targets';

/**
 * The stored layout guard: an instance claims a fresh prefix for its layout, refuses one that holds
 * an older version's state or another layout's (reading it would misread incidents), and the
 * recorded layout is not a partition of the watermark. Real Redis (standalone and the cluster).
 */

const GRACE = 60_000;

describe.each(redisTargets)('stored layout guard ($name)', ({ connect }) => {
  let redis: RedisLike;
  const prefixes: string[] = [];
  const fresh = (): { prefix: string; state: () => RedisCorrelationState } => {
    const prefix = `t-layout-${randomUUID().slice(0, 8)}:`;
    prefixes.push(prefix);
    return { prefix, state: () => new RedisCorrelationState({ redis, prefix, clock: { now: () => Date.now() }, config: { graceMs: GRACE } }) };
  };
  beforeAll(async () => {
    redis = connect();
    await redis.ping();
  });
  afterAll(async () => {
    for (const prefix of prefixes) await dropKeys(redis, prefix);
    await redis.quit();
  });

  it('claims a fresh prefix, and the layout it records is not a partition of the watermark', async () => {
    const { prefix, state } = fresh();
    const first = state();
    await first.prepare();
    expect(await redis.hget(`${prefix}wm`, LAYOUT_FIELD)).toBe(LAYOUT);
    expect(await redis.pttl(`${prefix}wm`)).toBeGreaterThan(0);
    expect(await first.watermark()).toBe(Number.NEGATIVE_INFINITY);
    await first.ingestBatch([ev('layout-a', 0, { ids: [person('layout-user')] })], 'p0');
    // One partition at T0: the watermark is T0 − G (the layout field would hold it at 10 − G).
    expect(await first.watermark()).toBe(T0 - GRACE);
    // A second instance (same version) starts on it.
    await expect(state().prepare()).resolves.toBeUndefined();
  });

  it('records the layout again when the watermark hash expired and an ingest brings it back', async () => {
    const { prefix, state } = fresh();
    const instance = state();
    await instance.prepare();
    await redis.del(`${prefix}wm`);
    await instance.ingestBatch([ev('layout-a', 0, { ids: [person('layout-user')] })], 'p0');
    expect(await redis.hget(`${prefix}wm`, LAYOUT_FIELD)).toBe(LAYOUT);
    await expect(state().prepare()).resolves.toBeUndefined();
  });

  it('refuses state of a version from before session 10 (a watermark without a layout), and changes nothing', async () => {
    const { prefix, state } = fresh();
    await redis.hset(`${prefix}wm`, 'enriched:0', String(T0));
    await expect(state().prepare()).rejects.toThrow(
      new RegExp(`Redis prefix "${prefix}" holds correlation state of another layout \\(a version from before session 10.*new CORRELATOR_REDIS_PREFIX`),
    );
    expect(await redis.hgetall(`${prefix}wm`)).toEqual({ 'enriched:0': String(T0) });
  });

  it('refuses another recorded layout', async () => {
    const { prefix, state } = fresh();
    await redis.hset(`${prefix}wm`, LAYOUT_FIELD, '9');
    await expect(state().prepare()).rejects.toThrow(`another layout (layout 9; this version stores layout ${LAYOUT})`);
    expect(await redis.hget(`${prefix}wm`, LAYOUT_FIELD)).toBe('9');
  });
});
