import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPTS, type ScriptName } from '../src/adapters/redis-scripts';
import { manyVariant } from '../src/adapters/script-batch';

/**
 * The batched (`Many`) variant of every script runs the unchanged body once per invocation: the
 * same invocations through single calls and through one batched call give the same replies and
 * leave the same data. Real Redis.
 */

type Invocation = readonly [ScriptName, readonly string[], ReadonlyArray<string | number>];

describe('batched script variants (real Redis)', () => {
  let redis: Redis;
  const prefixes: string[] = [];
  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 3 });
    await redis.ping();
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
  });

  /** A sequence over several scripts, keys under `p`: replies of many shapes (tables, {}, strings, numbers). */
  const invocations = (p: string): Invocation[] => [
    ['seamBucketAddAll', [`${p}b:{1}`], [60_000, 'GT', '5', 'm1']],
    ['seamBucketAddAll', [`${p}b:{1}`], [60_000, 'GT', '3', 'm1']],
    ['seamIndex', [`${p}k:{ip}:t`], ['e1', 100, 'occ1', 'ip', 60_000]],
    ['seamIndex', [`${p}k:{id}:t`], ['e1', 100, 'occ1', 'identity', 60_000]],
    ['seamIndex', [`${p}k:{id}:t`], ['e2', 200, 'occ2', 'identity', 60_000]],
    ['seamDecide', [`${p}k:{ip}:t`], ['e1', 'h', 0, 1000, 7, 100]],
    ['seamDecide', [`${p}k:{ip}:t`], ['e9', 'e', 0, 1000, 1, 100]],
    ['seamStep', [`${p}e:{x}`, `${p}r:{x}:i`], ['x']],
    ['seamWatermark', [`${p}wm`], ['p0', 1234, 60_000, 99]],
    ['seamDropDedup', [`${p}e:{y}`], []],
  ];

  const dump = async (p: string): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = {};
    for (const key of (await redis.keys(`${p}*`)).sort()) {
      const type = await redis.type(key);
      const name = key.slice(p.length);
      if (type === 'hash') out[name] = await redis.hgetall(key);
      else if (type === 'zset') out[name] = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else out[name] = type;
    }
    return out;
  };

  it('gives the same replies and the same data as one call per invocation', async () => {
    const single = `sb-${randomUUID().slice(0, 8)}:`;
    const batched = `sb-${randomUUID().slice(0, 8)}:`;
    prefixes.push(single, batched);
    const singleReplies: unknown[] = [];
    for (const [name, keys, args] of invocations(single)) {
      const def = SCRIPTS[name];
      singleReplies.push(await redis.eval(def.lua, def.numberOfKeys, ...keys, ...args));
    }
    // One batched call per script, in first-use order (what the batcher sends for one tick).
    const byScript = new Map<ScriptName, Invocation[]>();
    const list = invocations(batched);
    for (const invocation of list) byScript.set(invocation[0], [...(byScript.get(invocation[0]) ?? []), invocation]);
    const batchedReplies = new Map<Invocation, unknown>();
    for (const [name, group] of byScript) {
      const keys = group.flatMap(([, k]) => k);
      const args = group.flatMap(([, , a]) => a);
      const replies = (await redis.eval(manyVariant(SCRIPTS[name]), keys.length, ...keys, group[0]?.[2].length ?? 0, ...args)) as unknown[];
      expect(replies).toHaveLength(group.length);
      group.forEach((invocation, i) => batchedReplies.set(invocation, replies[i]));
    }
    expect(list.map((invocation) => batchedReplies.get(invocation))).toEqual(singleReplies);
    expect(await dump(batched)).toEqual(await dump(single));
    // The sequence is not trivial: it wrote data and got tables, empty tables, strings and numbers back.
    expect(Object.keys(await dump(single)).length).toBeGreaterThanOrEqual(4);
    expect(singleReplies).toContainEqual([]);
    expect(singleReplies).toContainEqual(['gone']);
  });
});
