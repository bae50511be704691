/**
 * A design probe, not the state: Redis memory per live event of candidate layouts for the < 300 B
 * target, over N events shaped like bench/src/correlator-throughput.ts (one own key each, 10 % an
 * extra identity; the ~90-byte stored payload of stored-codec.ts). Each layout stores only what
 * every layout must: the event (payload, event time, union-find parent) and one time-index entry
 * per join key; a layout that needs more (root info, sweep entries) only adds to its figure.
 *
 * - per-key: a hash per event and a sorted set per join key (today's shape, the floor harness's);
 * - packed-S: events as fields of S shared hashes (`E:{s}`, value `observedAt|parent|payload`),
 *   join keys as fields of S shared hashes (`K:{s}`, value `id@time,…`) — no key per event or per
 *   join key.
 *
 * `npx tsx services/correlator/test/bench-layout-memory.ts [events]` (REDIS_URL; standalone).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { fnv1a } from '../src/adapters/redis-state';
import { encodeEvent } from '../src/adapters/stored-codec';
import type { CorrelationEvent } from '../src/domain/index';

const N = Number(process.argv[2] ?? 100_000);
const redis = new Redis(process.env.REDIS_URL ?? '');
const T0 = Date.UTC(2026, 0, 1);
const SOURCES = ['cloudtrail', 'qradar', 'guardduty', 'securityhub'] as const;

const eventOf = (i: number): { event: CorrelationEvent; keys: string[] } => {
  const source = SOURCES[i % SOURCES.length] ?? 'cloudtrail';
  const ip = `198.${18 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`;
  const own = i % 2 === 0 ? { identity: `user-${i}` } : { ip };
  const extra = i % 10 === 9 ? [`user-link-${i - 7}`] : [];
  const event: CorrelationEvent = {
    eventId: `${source}:${i}`,
    source,
    observedAt: T0 + i * 10,
    title: `bench event ${i}`,
    sourceSeverity: 40,
    tactics: [],
    ips: 'ip' in own ? [{ address: own.ip, role: 'actor', scope: 'public', namespace: '' }] : [],
    identities: [...('identity' in own ? [own.identity] : []), ...extra].map((canonical) => ({ canonical, kind: 'ad' as const })),
  };
  const keys = ['ip' in own ? `ip:${own.ip}` : `id:${own.identity}`, ...extra.map((canonical) => `id:${canonical}`)];
  return { event, keys };
};

const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);

type Layout = (prefix: string, pipeline: ReturnType<Redis['pipeline']>, item: ReturnType<typeof eventOf>) => void;

const perKey: Layout = (prefix, pipeline, { event, keys }) => {
  const e = `${prefix}e:{${event.eventId}}`;
  const payload = encodeEvent(event);
  const parts = Array.from({ length: Math.ceil(payload.length / 64) }, (_, n) => [n === 0 ? 'event' : `event${n + 1}`, payload.slice(n * 64, (n + 1) * 64)]).flat();
  pipeline.hset(e, 'observedAt', event.observedAt, 'parent', event.eventId, ...parts);
  pipeline.pexpire(e, 3_600_000);
  for (const key of keys) {
    pipeline.zadd(`${prefix}k:{${key}}:t`, event.observedAt, event.eventId);
    pipeline.pexpire(`${prefix}k:{${key}}:t`, 3_600_000);
  }
};

const packed = (shards: number): Layout => (prefix, pipeline, { event, keys }) => {
  pipeline.hset(`${prefix}E:{${fnv1a(event.eventId) % shards}}`, event.eventId, `${event.observedAt}|${event.eventId}|${encodeEvent(event)}`);
  // One occurrence per key here; a key seen again appends `,id@time` (APPEND-like, in a script).
  for (const key of keys) pipeline.hset(`${prefix}K:{${fnv1a(key) % shards}}`, key, `${event.eventId}@${event.observedAt}`);
};

const measure = async (name: string, layout: Layout): Promise<void> => {
  const prefix = `probe-${randomUUID().slice(0, 8)}:`;
  const before = await usedMemory();
  for (let start = 0; start < N; start += 2000) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(N, start + 2000); i += 1) layout(prefix, pipeline, eventOf(i));
    await pipeline.exec();
  }
  const after = await usedMemory();
  console.log(`${name.padEnd(12)} ${String(Math.round((after - before) / N)).padStart(5)} B per event (used_memory delta, ${N} events)`);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 2000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
};

await measure('per-key', perKey);
await measure('packed-256', packed(256));
await measure('packed-4096', packed(4096));
await redis.quit();
