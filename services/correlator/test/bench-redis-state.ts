/** Throughput of the Redis state: `npx tsx services/correlator/test/bench-redis-state.ts [standalone|cluster]` (REDIS_URL / REDIS_CLUSTER_NODES). */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { RedisCorrelationState } from '../src/adapters/redis-state';
const mode = process.argv[2] ?? 'standalone';
const redis = mode === 'cluster'
  ? new Cluster((process.env.REDIS_CLUSTER_NODES ?? '').split(',').map((n) => ({ host: n.split(':')[0] ?? '', port: Number(n.split(':')[1]) })))
  : new Redis(process.env.REDIS_URL ?? '');
const prefix = `bench-${randomUUID().slice(0, 8)}:`;
const state = new RedisCorrelationState({ redis, prefix, clock: { now: () => Date.now() }, config: { debounceMs: 0 } });
const N = 2000, T0 = Date.UTC(2025, 0, 1);
const started = performance.now();
let versions = 0;
for (let i = 0; i < N; i += 1) {
  await state.ingest({ eventId: `e-${i}`, source: 'cloudtrail', observedAt: T0 + i * 5_000, title: 't', sourceSeverity: 10, tactics: [],
    ips: [{ address: `203.0.113.${i % 250}`, role: 'target', scope: 'public', namespace: '' }],
    identities: [{ canonical: `user${Math.floor(i / 4)}`, kind: 'ad' }] });
  await state.advance();
  versions += (await state.tick()).length;
}
const ms = performance.now() - started;
await state.observe('0', T0 + N * 5_000 + 48 * 3600_000); await state.advance(); versions += (await state.drain()).length;
console.log(JSON.stringify({ mode, events: N, ms: Math.round(ms), eventsPerSecond: Math.round(N / (ms / 1000)), versions }));
const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
let left = 0;
for (const node of nodes) { const keys = await node.keys(`${prefix}*`); left += keys.length; for (const k of keys) await redis.del(k); }
console.log('keys left after settle (then deleted):', left);
await redis.quit();
