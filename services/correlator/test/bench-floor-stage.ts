/**
 * The ceiling of a Redis-backed correlator on this machine — a BENCHMARK harness, never a
 * correlator: the real stage (same input topic, Avro + zod decoding, SecurityEvent mapping, Incident
 * records produced through the kit) with a store that does only what ANY design keeping its state in
 * Redis must do per event, and nothing that correlates: one script per event that stores the event
 * and adds it to the time index of each of its join keys, and one incident version per event (its
 * lone open version, built by the domain; with CORRELATOR_FLOOR_VERSIONS=2 also its settled
 * version, as the emission rules require of every lone incident: an open version on
 * creation and a final one). No neighbour reads, no IP decisions, no unions, no settle, no
 * eviction, no debounce. Whatever rate this reaches bounds every layout of
 * RedisCorrelationState from above; bench/src/correlator-throughput.ts runs it with BENCH_FLOOR=1 or 2.
 *
 * Standalone Redis only (its script touches keys of several slots).
 * Env: the kit's variables, CORRELATOR_INPUT_TOPIC, CORRELATOR_OUTPUT_TOPIC, CORRELATOR_REDIS_PREFIX,
 * CORRELATOR_FLOOR_VERSIONS (1 or 2 versions per event, default 1).
 */
import { createKit, defineConfigSchema, loadConfig, runStage, type AvroSchemaJson } from '@seam/kit';
import { schemas, type Incident } from '@seam/schemas';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  buildIncidentContent,
  compileKeyPolicy,
  extractKeys,
  incidentIdFor,
  parseCorrelationConfig,
  type CorrelationEvent,
  type IncidentVersion,
  type IngestOutcome,
} from '../src/domain/index';
import { encodeEvent } from '../src/adapters/stored-codec';
import { correlatorStage, type CorrelationStore } from '../src/stage';

const FLOOR_INGEST = `
redis.call('HSET', KEYS[1], 'observedAt', ARGV[2], 'event', ARGV[3], 'parent', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[4])
end
return 1`;

type FloorRedis = Redis & { floorIngest(numKeys: number, ...args: Array<string | number>): Promise<unknown> };

class FloorStore implements CorrelationStore {
  private readonly config = parseCorrelationConfig({});
  private readonly policy = compileKeyPolicy(this.config);
  private pending: IncidentVersion[] = [];
  private readonly redis: FloorRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
    private readonly versionsPerEvent: 1 | 2,
  ) {
    redis.defineCommand('floorIngest', { lua: FLOOR_INGEST });
    (redis.options as { enableAutoPipelining?: boolean }).enableAutoPipelining = true;
    this.redis = redis as FloorRedis;
  }

  async ingest(event: CorrelationEvent): Promise<IngestOutcome> {
    const [outcome] = await this.ingestBatch([event]);
    if (outcome === undefined) throw new Error('floor: no outcome');
    return outcome;
  }

  async ingestBatch(events: readonly CorrelationEvent[]): Promise<IngestOutcome[]> {
    return Promise.all(
      events.map(async (event): Promise<IngestOutcome> => {
        const keys = extractKeys(event, this.policy);
        const keyNames = [...keys.keys.keys()].map((key) => `${this.prefix}k:{${key}}:t`);
        await this.redis.floorIngest(1 + keyNames.length, `${this.prefix}e:{${event.eventId}}`, ...keyNames, event.eventId, event.observedAt, encodeEvent(event), this.ttlMs);
        const content = buildIncidentContent([{ event, keys, ipState: new Map() }], this.config);
        const incidentId = incidentIdFor(event.eventId);
        this.pending.push({ incidentId, version: 1, status: 'open', ...content, absorbed: [], mergedInto: null });
        if (this.versionsPerEvent === 2) {
          // Settled: its IP occurrences are decided by then (not hot here).
          const decided = new Map([...keys.keys].filter(([, occurrence]) => occurrence.kind === 'ip').map(([key]) => [key, 'eligible' as const]));
          const final = buildIncidentContent([{ event, keys, ipState: decided }], this.config);
          this.pending.push({ incidentId, version: 2, status: 'settled', ...final, absorbed: [], mergedInto: null });
        }
        return { status: 'accepted', incidentId };
      }),
    );
  }

  advance(): Promise<{ more: boolean }> {
    return Promise.resolve({ more: false });
  }

  tick(): Promise<IncidentVersion[]> {
    const out = this.pending;
    this.pending = [];
    return Promise.resolve(out);
  }
}

const schema = defineConfigSchema({
  CORRELATOR_INPUT_TOPIC: z.string().min(1),
  CORRELATOR_OUTPUT_TOPIC: z.string().min(1),
  CORRELATOR_REDIS_PREFIX: z.string().min(1),
  CORRELATOR_FLOOR_VERSIONS: z.enum(['1', '2']).default('1'),
});
const config = loadConfig(schema, process.env);
const kit = createKit(config, { service: 'correlator-floor' });
const redis = kit.redis();
if (redis.isCluster) throw new Error('bench-floor-stage: standalone Redis only');
const avsc = (name: 'SecurityEvent' | 'Incident') => schemas[name].avsc as unknown as AvroSchemaJson;
await runStage(
  correlatorStage({
    topics: { enriched: config.CORRELATOR_INPUT_TOPIC, correlated: config.CORRELATOR_OUTPUT_TOPIC },
    codecs: {
      event: kit.avro<unknown>(avsc('SecurityEvent'), { readerSchema: avsc('SecurityEvent') }),
      incident: kit.avro<Incident>(avsc('Incident')),
    },
    store: new FloorStore(redis as Redis, config.CORRELATOR_REDIS_PREFIX, 3 * 3600_000, config.CORRELATOR_FLOOR_VERSIONS === '2' ? 2 : 1),
    now: () => Date.now(),
  }),
  kit,
);
