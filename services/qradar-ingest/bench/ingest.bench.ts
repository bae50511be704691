/**
 * Throughput of the QRadar ingest path: emulator (in-process, synthetic offenses) → client →
 * enrichment (address resolution, optional Ariel sample) → Avro → Kafka (acks=all) → Redis cursor
 * and dedup marks. Prints offenses/s.
 *
 *   set -a; . .local/endpoints.env; set +a
 *   npx tsx services/qradar-ingest/bench/ingest.bench.ts [count=10000] [pageSize=500] [eventSample=0]
 */
import { randomBytes } from 'node:crypto';
import { avroCodec, createSchemaRegistry, Secret, type AvroSchemaJson } from '@seam/kit';
import { startQradarEmulator } from '@seam/infra/qradar-emulator/index';
import { schemas, type OffenseRaw } from '@seam/schemas';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { KafkaOffenseSink } from '../src/adapters/offense-sink';
import { QradarClient } from '../src/adapters/qradar-client';
import { StateStore } from '../src/adapters/state-store';
import { createIngestMetrics, Ingestor } from '../src/ingestor';

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (source .local/endpoints.env)`);
  return value;
}

const count = Number(process.argv[2] ?? 10_000);
const pageSize = Number(process.argv[3] ?? 500);
const eventSample = Number(process.argv[4] ?? 0);
const token = randomBytes(16).toString('hex');
const id = randomBytes(4).toString('hex');
const topic = `bench.qradar-ingest.${id}`;
const prefix = `bench:qi:${id}:`;

const emu = await startQradarEmulator({ token, seeds: [], state: { searchDurationMs: 0 } });
emu.state.generateSynthetic({ count, firstId: 1, stepMs: 1000, startTime: Date.now() - count * 2000 });
const kafka = new Kafka({ brokers: need('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const redis = new Redis(need('REDIS_URL'));
const logger = pino({ level: 'warn' });
const registry = createSchemaRegistry({ SCHEMA_REGISTRY_URL: need('SCHEMA_REGISTRY_URL') });
const client = new QradarClient({ baseUrl: emu.url, token: new Secret(token), apiVersion: '20.0', timeoutMs: 30_000, retry: { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 2000 }, logger });
const ingestor = new Ingestor({
  client,
  sink: new KafkaOffenseSink(producer, avroCodec<OffenseRaw>(registry, schemas.OffenseRaw.avsc as unknown as AvroSchemaJson, { autoRegister: true }), topic),
  store: new StateStore(redis, prefix, 3600),
  logger,
  metrics: createIngestMetrics(new Registry()),
  settings: {
    pageSize,
    addressBatchSize: 500,
    eventSampleSize: eventSample,
    eventSampleConcurrency: 16,
    eventRetries: 0,
    eventRetryDelayMs: 0,
    eventLagWindowMs: 0,
    arielWaitSeconds: 5,
    arielDeadlineMs: 30_000,
    newPollIntervalMs: 1000,
    changedPollIntervalMs: 1000,
    errorBackoffMs: 100,
    maxErrorBackoffMs: 1000,
  },
});

try {
  const started = performance.now();
  const produced = await ingestor.pollNewOnce();
  const seconds = (performance.now() - started) / 1000;
  if (produced !== count) throw new Error(`produced ${produced}, expected ${count}`);
  process.stdout.write(
    `${JSON.stringify({ bench: 'qradar-ingest', offenses: produced, pageSize, eventSample, seconds: Number(seconds.toFixed(2)), offensesPerSecond: Math.round(produced / seconds) })}\n`,
  );
} finally {
  client.close();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  await emu.close();
}
