import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { commonConfigSchema, loadConfig } from '../src/config';
import { createRedis, type RedisClient } from '../src/redis';
import { endpoint, uniqueName } from './helpers';

const clients: RedisClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
});

function redisFrom(env: Record<string, string>): RedisClient {
  const config = loadConfig(commonConfigSchema, { KAFKA_BROKERS: endpoint('KAFKA_BROKERS'), ...env });
  const client = createRedis(config);
  clients.push(client);
  return client;
}

const appendAndCount = `
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
return { redis.call('LLEN', KEYS[1]), tonumber(redis.call('GET', KEYS[2])) }
`;

describe('createRedis', () => {
  it('gives a standalone client from REDIS_URL', async () => {
    const redis = redisFrom({ REDIS_URL: endpoint('REDIS_URL') });
    expect(redis).not.toBeInstanceOf(Cluster);
    const key = uniqueName('kit:standalone');
    await redis.set(key, 'v', 'EX', 60);
    expect(await redis.get(key)).toBe('v');
  });

  it('gives a cluster client from REDIS_CLUSTER_NODES: keys in different slots, Lua on hash-tagged keys', async () => {
    const redis = redisFrom({ REDIS_CLUSTER_NODES: endpoint('REDIS_CLUSTER_NODES') });
    expect(redis).toBeInstanceOf(Cluster);
    const prefix = uniqueName('kit');
    const keys = Array.from({ length: 30 }, (_, i) => `${prefix}:key:${i}`);
    for (const [i, key] of keys.entries()) await redis.set(key, String(i), 'EX', 60);
    for (const [i, key] of keys.entries()) expect(await redis.get(key)).toBe(String(i));

    // The keys really are spread over the three masters.
    const cluster = redis as Cluster;
    const owners = new Set(keys.map((key) => cluster.slots[calculateSlot(key)]?.[0]));
    expect(owners.size).toBe(3);

    const tag = `{${prefix}:incident}`;
    const first = (await redis.eval(appendAndCount, 2, `${tag}:members`, `${tag}:version`, 'e1')) as [number, number];
    const second = (await redis.eval(appendAndCount, 2, `${tag}:members`, `${tag}:version`, 'e2')) as [number, number];
    expect(first).toEqual([1, 1]);
    expect(second).toEqual([2, 2]);
    await redis.del(`${tag}:members`, `${tag}:version`);
  });
});

// CRC16/XMODEM as Redis Cluster uses it, honoring hash tags.
function calculateSlot(key: string): number {
  const open = key.indexOf('{');
  let hashed = key;
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
