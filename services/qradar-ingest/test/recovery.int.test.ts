import { avroCodec, createSchemaRegistry, type AvroSchemaJson } from '@seam/kit';
import { schemas, type OffenseRaw } from '@seam/schemas';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaOffenseSink } from '../src/adapters/offense-sink';
import { StateStore } from '../src/adapters/state-store';
import { OffenseTopicReader } from '../src/adapters/topic-reader';
import { recoverIntent } from '../src/recovery';
import { cleanupRedis, createTopic, deleteTopic, env, suffix } from './harness';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function record(id: number, persistedAt: number): OffenseRaw {
  return {
    sourceId: String(id),
    kind: 'qradar_offense',
    arrival: 'poll',
    receivedAt: Date.now(),
    sourceUpdatedAt: persistedAt,
    origin: 'https://qradar.test',
    payload: JSON.stringify({ id, last_persisted_time: persistedAt, last_updated_time: persistedAt - 1 }),
    addresses: { source: [], localDestination: [] },
    events: null,
  };
}

describe('produce intent recovery against Kafka and Redis', () => {
  it('marks the intended versions that reached the topic, leaves the others unmarked, deletes the intent', async () => {
    const topic = `test.qradar-ingest.recovery.${suffix()}`;
    const prefix = `test:qi:rec:${suffix()}:`;
    await createTopic(topic, 3);
    cleanups.push(() => deleteTopic(topic));
    const redis = new Redis(env('REDIS_URL'));
    cleanups.push(async () => {
      await cleanupRedis(prefix);
      redis.disconnect();
    });
    const kafka = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
    const registry = createSchemaRegistry({ SCHEMA_REGISTRY_URL: env('SCHEMA_REGISTRY_URL') });
    const codec = avroCodec<OffenseRaw>(registry, schemas.OffenseRaw.avsc as unknown as AvroSchemaJson, { autoRegister: true });
    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const sink = new KafkaOffenseSink(producer, codec, topic);
    const reader = new OffenseTopicReader(kafka, codec, topic);
    cleanups.push(() => reader.close());
    const store = new StateStore(redis, prefix, 600);
    const logger = pino({ level: 'silent' });

    // Earlier pages (before the intent's offsets), including an older version of offense 2.
    await sink.produce([record(1, 100), record(2, 100), record(9, 100)]);
    // No intent: nothing to do.
    expect(await recoverIntent(store, reader, logger, 20_000)).toBeUndefined();

    const intended = [1, 2, 3, 4].map((id) => ({ id, persistedAt: 200 }));
    await store.writeIntent({ versions: intended, offsets: await reader.endOffsets() });
    // The "crash": only part of the page reached the topic (offense 9's version 100 is older, outside the intent).
    await sink.produce([record(2, 200), record(4, 200), record(9, 200)]);

    expect(await recoverIntent(store, reader, logger, 20_000)).toBe(2);
    expect(await store.readIntent()).toBeUndefined();
    const unseen = await store.unseen(intended);
    expect(unseen).toEqual([
      { id: 1, persistedAt: 200 },
      { id: 3, persistedAt: 200 },
    ]);
    // Cursors untouched.
    expect(await redis.get(store.key('cursor:new'))).toBeNull();
    expect(await redis.get(store.key('cursor:changed'))).toBeNull();
  }, 60_000);
});
