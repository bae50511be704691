/**
 * Throughput of the Redis state, no Kafka:
 * `npx tsx services/correlator/test/bench-redis-state.ts [standalone|cluster] [batchSize]` (REDIS_URL / REDIS_CLUSTER_NODES).
 * batchSize 1 = one event per call (ingest + advance + tick per record, the old stage loop);
 * larger = `ingestBatch` + one advance + tick per batch (the batch stage). BENCH_STATE_EVENTS (default 20000);
 * BENCH_BATCH_SCRIPTS=0: one EVALSHA per script invocation (the batcher off). BENCH_LEASE_MS (default 30000, the main job's
 * emission lease; 0 = off): versions are acknowledged inside each tick, as the stage's batch path does. BENCH_MAX_PER_ADVANCE (default 2000): the bound of one advance()/tick() — the final settle of every
 * incident runs as repeated bounded calls; `settleMaxCallMs` is the longest one (what a batch waits).
 * BENCH_SWEEP_BUCKETS: the sweep buckets per kind (default 256; 16 before session 10).
 */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { RedisCorrelationState } from '../src/adapters/redis-state';
import type { CorrelationEvent } from '../src/domain/index';
const mode = process.argv[2] ?? 'standalone';
const batchSize = Number(process.argv[3] ?? 500);
const redis = mode === 'cluster'
  ? new Cluster((process.env.REDIS_CLUSTER_NODES ?? '').split(',').map((n) => ({ host: n.split(':')[0] ?? '', port: Number(n.split(':')[1]) })))
  : new Redis(process.env.REDIS_URL ?? '');
// Redis commands sent (standalone): a figure that, unlike events/s, does not depend on the machine's load.
let commands = 0;
if (redis instanceof Redis) {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (...args: Parameters<typeof send>) => {
    commands += 1;
    return send(...args);
  };
}
const prefix = `bench-${randomUUID().slice(0, 8)}:`;
const maxPerAdvance = Number(process.env.BENCH_MAX_PER_ADVANCE ?? 2000);
// The main job's default emission lease (CORRELATOR_EMISSION_LEASE_MS); BENCH_LEASE_MS=0 turns it off.
const emissionLeaseMs = Number(process.env.BENCH_LEASE_MS ?? 30_000);
const state = new RedisCorrelationState({ redis, prefix, clock: { now: () => Date.now() }, config: { debounceMs: 0 }, maxPerAdvance, emissionLeaseMs, batchScripts: process.env.BENCH_BATCH_SCRIPTS !== '0', ...(process.env.BENCH_SWEEP_BUCKETS ? { sweepBuckets: Number(process.env.BENCH_SWEEP_BUCKETS) } : {}) });
/** Acknowledged inside tick, as the stage's batch path does. */
const emitDue = async (): Promise<number> => (await state.tick({ acknowledge: true })).length;
const N = Number(process.env.BENCH_STATE_EVENTS ?? (batchSize === 1 ? 2000 : 20_000)), T0 = Date.UTC(2025, 0, 1);
const event = (i: number): CorrelationEvent => ({ eventId: `e-${i}`, source: 'cloudtrail', observedAt: T0 + i * 50, title: 't', sourceSeverity: 10, tactics: [],
  ips: [{ address: `203.0.${Math.floor(i / 250) % 250}.${i % 250}`, role: 'actor', scope: 'public', namespace: '' }],
  // every 10th event shares the identity of the one 5 before it (a link); the others are fresh
  identities: [{ canonical: i % 10 === 0 && i >= 5 ? `user${i - 5}` : `user${i}`, kind: 'ad' }] });
const started = performance.now();
let versions = 0;
for (let i = 0; i < N; i += batchSize) {
  const batch = Array.from({ length: Math.min(batchSize, N - i) }, (_, j) => event(i + j));
  await state.ingestBatch(batch, '0');
  await state.advance();
  versions += await emitDue();
}
const ms = performance.now() - started;
const settleStart = performance.now();
await state.observe('0', T0 + N * 50 + 48 * 3600_000);
let settleCalls = 0;
let settleMaxCallMs = 0;
for (let more = true; more; settleCalls += 1) {
  const callStart = performance.now();
  more = (await state.advance()).more;
  versions += await emitDue();
  settleMaxCallMs = Math.max(settleMaxCallMs, performance.now() - callStart);
}
versions += (await state.drain({ acknowledge: true })).length;
const settleMs = performance.now() - settleStart;
console.log(JSON.stringify({ mode, batchSize, events: N, ms: Math.round(ms), eventsPerSecond: Math.round(N / (ms / 1000)), versions, commandsPerEvent: Number((commands / N).toFixed(2)), scriptCallsPerEvent: Number(((state.batcher?.calls ?? 0) / N).toFixed(2)), scriptInvocationsPerEvent: Number(((state.batcher?.invocations ?? 0) / N).toFixed(2)), settleMs: Math.round(settleMs), maxPerAdvance, emissionLeaseMs, settleCalls, settleMaxCallMs: Math.round(settleMaxCallMs) }));
const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
let left = 0;
for (const node of nodes) { const keys = await node.keys(`${prefix}*`); left += keys.length; for (const k of keys) await redis.del(k); }
console.log('keys left after settle (then deleted):', left);
await redis.quit();
