import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, createRedis, type RedisClient } from '@seam/kit';
import { afterAll, describe, expect, it } from 'vitest';
import { keySlot, RedisEventStore } from '../src/adapters/event-store';
import { RedisGuard } from '../src/adapters/redis-cache';
import { compactEvent } from '../src/domain/event-record';
import { asset, event, T0, targetIp } from './fixtures';

/**
 * The Redis event store on the real standalone Redis and the real cluster: newest version wins
 * (Lua), corrupted values read as missing, keys spread over slots, MGET per slot on the cluster.
 */

const prefix = `seam-test:scorer-evstore-${randomBytes(4).toString('hex')}:`;
const clients: { redis: RedisClient; keys: string[] }[] = [];
const silent = createLogger({ service: 'scorer-test', level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

function client(kind: 'standalone' | 'cluster'): RedisClient | undefined {
  const url = process.env.REDIS_URL;
  const nodes = process.env.REDIS_CLUSTER_NODES;
  const base = { REDIS_USERNAME: undefined, REDIS_PASSWORD: undefined, REDIS_TLS: false, REDIS_TLS_CA: undefined } as const;
  if (kind === 'standalone') return url ? createRedis({ ...base, REDIS_URL: url, REDIS_CLUSTER_NODES: undefined }) : undefined;
  return nodes ? createRedis({ ...base, REDIS_URL: undefined, REDIS_CLUSTER_NODES: nodes.split(',') }) : undefined;
}

afterAll(async () => {
  for (const { redis, keys } of clients) {
    await Promise.all(keys.map((key) => redis.del(key)));
    redis.disconnect();
  }
}, 30_000);

describe.each(['standalone', 'cluster'] as const)('RedisEventStore on %s Redis', (kind) => {
  it('stores compact records idempotently, newest version wins, loads many in one go, corrupted = missing', async () => {
    const redis = client(kind);
    if (redis === undefined) throw new Error(`${kind === 'standalone' ? 'REDIS_URL' : 'REDIS_CLUSTER_NODES'} is not set; source .local/endpoints.env`);
    const used: string[] = [];
    clients.push({ redis, keys: used });
    const store = new RedisEventStore(new RedisGuard(redis, silent, 2_000, 1_000), prefix, 60_000);
    const ids = Array.from({ length: 60 }, (_, i) => `qradar:offense:${kind}-${i}`);
    used.push(...ids.map((id) => store.key(id)));
    for (const [i, eventId] of ids.entries()) {
      const compacted = compactEvent(event({ eventId, sourceSeverity: i, entities: { ips: [targetIp(`10.0.0.${i}`)] }, enrichment: { assets: [asset(`10.0.0.${i}`, 1 + (i % 5))] } }));
      if (compacted === null) throw new Error('no record');
      expect(await store.put(compacted)).toBe(true);
    }
    // A newer version, then a late redelivery of an older one: the newer stays.
    const newer = compactEvent(event({ eventId: ids[0] ?? '', sourceUpdatedAt: T0 + 10, title: 'v2' }));
    const older = compactEvent(event({ eventId: ids[0] ?? '', sourceUpdatedAt: T0 + 5, title: 'v1' }));
    if (newer === null || older === null) throw new Error('no record');
    await store.put(newer);
    await store.put(older);
    await store.put(newer); // redelivery: idempotent
    // Corrupt one value in place.
    await redis.set(store.key(ids[1] ?? ''), '17|18|{"f":1,"eventId":"broken"', 'PX', 60_000);

    const found = await store.load([...ids, 'qradar:offense:never-stored']);
    expect(found.size).toBe(ids.length - 1);
    expect(found.has(ids[1] ?? '')).toBe(false);
    expect(found.has('qradar:offense:never-stored')).toBe(false);
    expect(found.get(ids[0] ?? '')?.title).toBe('v2');
    expect(found.get(ids[7] ?? '')?.assets[0]).toMatchObject({ key: '10.0.0.7', criticality: 3 });
    const ttl = await redis.pttl(store.key(ids[7] ?? ''));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // Keys spread over many slots (no shared hash tag); our slot function agrees with the server's.
    const slots = new Set(ids.map((id) => keySlot(store.key(id))));
    expect(slots.size).toBeGreaterThan(50);
    if (kind === 'cluster') {
      for (const id of ids.slice(0, 5)) {
        const key = store.key(id);
        expect(await redis.call('CLUSTER', 'KEYSLOT', key)).toBe(keySlot(key));
      }
    }
  }, 30_000);
});
