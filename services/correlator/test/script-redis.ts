import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { SCRIPTS } from '../src/adapters/redis-scripts';

export type ScriptCall = (keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>;

/**
 * A real Redis connection (REDIS_URL) for tests that call the correlator's scripts one by one:
 * `run(name)` EVALs a script, and every key under `prefix` is deleted after the suite.
 */
export const scriptRedis = (prefix: string): { readonly redis: Redis; readonly run: (name: keyof typeof SCRIPTS) => ScriptCall } => {
  let redis: Redis | undefined;
  const client = (): Redis => {
    if (redis === undefined) throw new Error('scriptRedis: used outside the suite');
    return redis;
  };
  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 3 });
    await redis.ping();
  });
  afterAll(async () => {
    const keys = await client().keys(`${prefix}*`);
    if (keys.length > 0) await client().del(...keys);
    await client().quit();
  });
  return {
    get redis() {
      return client();
    },
    run: (name) => (keys, args) => client().eval(SCRIPTS[name].lua, keys.length, ...keys, ...args),
  };
};
