/**
 * Where the Redis state's memory goes, per key type:
 * `npx tsx services/correlator/test/bench-redis-memory.ts [events]` (REDIS_URL; default 5,000 events).
 * Ingests events shaped like bench/src/correlator-throughput.ts (one own key each, an IP or an
 * identity; 10% carry the identity of an earlier event: a link), emits every due version (the live
 * state of emitted incidents, as in the bench's main phase), then sums MEMORY USAGE per key type and
 * prints bytes per live event, with the used_memory delta for comparison. Deletes its keys after.
 * BENCH_REAL_IDS=1: event ids in the sources' real formats (`cloudtrail:<uuid>`, `guardduty:<32 hex>`,
 * `qradar:offense:<n>`, `securityhub:<finding ARN>`, 20 to ~150 characters) instead of the bench's
 * short ones (`cloudtrail:123`): ids are copied into several keys and fields, so their length counts.
 * BENCH_SWEEP_BUCKETS=n: the state's sweep buckets (default 256; session 9's layout had 16).
 * BENCH_SETTLED=1: settle everything first and measure what a settled event leaves for the dedup
 * retention (its dedup record and dedup-bucket entry) instead of the live state.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisCorrelationState } from '../src/adapters/redis-state';
import type { CorrelationEvent, EventIdentity, EventIp } from '../src/domain/index';

const N = Number(process.argv[2] ?? 5000);
const redis = new Redis(process.env.REDIS_URL ?? '');
// As short as production's default `seam:` (every key carries it).
const prefix = `m${randomUUID().slice(0, 4)}:`;
const state = new RedisCorrelationState({ redis, prefix, clock: { now: () => Date.now() }, config: { debounceMs: 0 }, emissionLeaseMs: 60_000, ...(process.env.BENCH_SWEEP_BUCKETS ? { sweepBuckets: Number(process.env.BENCH_SWEEP_BUCKETS) } : {}) });
const T0 = Date.UTC(2026, 0, 1);
const ipOf = (k: number): string => `198.${18 + Math.floor(k / 65536)}.${Math.floor(k / 256) % 256}.${k % 256}`;
const SOURCES = ['cloudtrail', 'qradar', 'guardduty', 'securityhub'] as const;
const hex = (i: number, length: number): string => (i.toString(16).padStart(8, '0') + 'a1b2c3d4e5f60718293a4b5c6d7e8f90').slice(0, length);
const uuid = (i: number): string => { const h = hex(i, 32); return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`; };
const REAL_ID: Record<(typeof SOURCES)[number], (i: number) => string> = {
  cloudtrail: (i) => `cloudtrail:${uuid(i)}`,
  qradar: (i) => `qradar:offense:${100_000 + i}`,
  guardduty: (i) => `guardduty:${hex(i, 32)}`,
  securityhub: (i) => `securityhub:arn:aws:securityhub:eu-west-1:123456789012:subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.19/finding/${uuid(i)}`,
};
const realIds = process.env.BENCH_REAL_IDS === '1';
const event = (i: number): CorrelationEvent => {
  const identities: EventIdentity[] = [];
  const ips: EventIp[] = [];
  if (i % 2 === 0) identities.push({ canonical: `user-${i}`, kind: 'ad' });
  else ips.push({ address: ipOf(i), role: 'actor', scope: 'public', namespace: '' });
  if (i % 10 === 9 && i >= 7) identities.push({ canonical: (i - 7) % 2 === 0 ? `user-${i - 7}` : `user-link-${i - 7}`, kind: 'ad' });
  if (i % 10 === 2) identities.push({ canonical: `user-link-${i}`, kind: 'ad' });
  const source = SOURCES[i % 4] ?? 'cloudtrail';
  return { eventId: realIds ? REAL_ID[source](i) : `${source}:${i}`, source, observedAt: T0 + i * 10, title: `bench event ${i}`, sourceSeverity: 40, tactics: [], ips, identities };
};
const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
const before = await usedMemory();
for (let i = 0; i < N; i += 500) {
  await state.ingestBatch(Array.from({ length: Math.min(500, N - i) }, (_, j) => event(i + j)), '0');
  await state.advance();
  await state.ack(await state.tick());
}
// BENCH_SETTLED=1: then settle every incident (event time 2 h on) and measure what stays for the
// dedup retention instead: the dedup records and their sweep-bucket entries.
if (process.env.BENCH_SETTLED === '1') {
  // 2 h on: past every window and grace (60 + 5 min), well within the dedup retention (24 h).
  await state.observe('0', T0 + N * 10 + 2 * 3600_000);
  for (let more = true; more; ) {
    more = (await state.advance()).more;
    await state.ack(await state.tick());
  }
  await state.ack(await state.drain());
}
const after = await usedMemory();
const byType = new Map<string, { keys: number; bytes: number }>();
let cursor = '0';
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  for (const key of keys) {
    // the key's type: its name without the tag, e.g. `e:{}`, `r:{}:m`, `settle:{}`
    const type = key.slice(prefix.length).replace(/\{[^}]*\}/, '{}');
    const entry = byType.get(type) ?? { keys: 0, bytes: 0 };
    entry.keys += 1;
    entry.bytes += Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
    byType.set(type, entry);
  }
  cursor = next;
} while (cursor !== '0');
let total = 0;
let keyCount = 0;
for (const [type, { keys, bytes }] of [...byType].sort((a, b) => b[1].bytes - a[1].bytes)) {
  total += bytes;
  keyCount += keys;
  console.log(`${type.padEnd(14)} keys ${String(keys).padStart(6)}  B/event ${(bytes / N).toFixed(0).padStart(5)}  B/key ${(bytes / keys).toFixed(0).padStart(5)}`);
}
console.log(JSON.stringify({ events: N, memoryUsagePerEvent: Math.round(total / N), keysPerEvent: Number((keyCount / N).toFixed(2)), usedMemoryDeltaPerEvent: Math.round((after - before) / N) }));
cursor = '0';
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  if (keys.length > 0) await redis.del(...keys);
  cursor = next;
} while (cursor !== '0');
redis.disconnect();
