/** Integration-test harness: unique topics, Redis prefix, a kit and a reader of findings.raw. */
import { randomBytes } from 'node:crypto';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { avroCodec, createKit, createSchemaRegistry, headerText, loadConfig, type AvroSchemaJson, type Kit, type RedisClient } from '@seam/kit';
import { findingRawSchema, schemas, type FindingRaw } from '@seam/schemas';
import { Kafka, logLevel } from 'kafkajs';
import { awsIngestConfigSchema, type AwsIngestConfig } from '../src/config';
import { startAwsIngest, type AwsIngestHandle } from '../src/service';

export interface ReadMessage {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string | undefined>;
}

export interface Harness {
  readonly topic: string;
  readonly dlqTopic: string;
  readonly prefix: string;
  readonly kafka: Kafka;
  /** Starts aws-ingest (a new kit each time: a "process restart"). */
  start(env?: Record<string, string>, client?: SecurityHubClient): Promise<{ kit: Kit; config: AwsIngestConfig; handle: AwsIngestHandle }>;
  /** Reads `topic` from the beginning until `count` messages arrived or `timeoutMs` passed (then a bit more to catch extras). */
  read(topic: string, count: number, timeoutMs?: number, settleMs?: number): Promise<ReadMessage[]>;
  decode(message: ReadMessage): Promise<FindingRaw>;
  redis(): RedisClient;
  cleanup(): Promise<void>;
}

function need(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set (source .local/endpoints.env)`);
  return value;
}

export async function createHarness(): Promise<Harness> {
  const suffix = randomBytes(5).toString('hex');
  const topic = `it-awsingest-${suffix}.findings.raw`;
  const dlqTopic = `${topic}.dlq`;
  const prefix = `it-awsingest-${suffix}`;
  const brokers = need('KAFKA_BROKERS').split(',');
  const kafka = new Kafka({ clientId: `it-${suffix}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }, { topic: dlqTopic, numPartitions: 1 }] });
  const registry = createSchemaRegistry({ SCHEMA_REGISTRY_URL: need('SCHEMA_REGISTRY_URL') });
  const codec = avroCodec<FindingRaw>(registry, schemas.FindingRaw.avsc as unknown as AvroSchemaJson, { autoRegister: true });
  const kits: { kit: Kit; handle: AwsIngestHandle; stopped: boolean }[] = [];
  let auxKit: Kit | undefined;

  const baseEnv = (): Record<string, string> => ({
    KAFKA_BROKERS: need('KAFKA_BROKERS'),
    SCHEMA_REGISTRY_URL: need('SCHEMA_REGISTRY_URL'),
    SCHEMA_REGISTRY_AUTO_REGISTER: 'true',
    REDIS_URL: need('REDIS_URL'),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    LOG_LEVEL: 'silent',
    AWS_REGION: 'us-east-1',
    FINDINGS_TOPIC: topic,
    REDIS_KEY_PREFIX: prefix,
    SECURITYHUB_POLL_ENABLED: 'false',
    RETRY_INITIAL_DELAY_MS: '50',
    RETRY_MAX_DELAY_MS: '400',
  });

  const redis = (): RedisClient => {
    auxKit ??= createKit(loadConfig(awsIngestConfigSchema, baseEnv()), { service: 'aws-ingest-it-aux', defaultMetrics: false });
    return auxKit.redis();
  };

  return {
    topic,
    dlqTopic,
    prefix,
    kafka,
    async start(env = {}, client) {
      const config = loadConfig(awsIngestConfigSchema, { ...baseEnv(), ...env });
      const kit = createKit(config, { service: 'aws-ingest-it', defaultMetrics: false });
      const handle = await startAwsIngest(kit, config, client);
      const entry = { kit, handle, stopped: false };
      kits.push(entry);
      const stop = () => handle.stop();
      return {
        kit,
        config,
        handle: {
          ...handle,
          port: handle.port,
          stop: async () => {
            entry.stopped = true;
            await stop();
          },
        },
      };
    },
    async read(readTopic, count, timeoutMs = 20_000, settleMs = 1500) {
      const consumer = kafka.consumer({ groupId: `it-read-${suffix}-${randomBytes(3).toString('hex')}` });
      const out: ReadMessage[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: readTopic, fromBeginning: true });
      let reached: () => void = () => undefined;
      const enough = new Promise<void>((resolve) => (reached = resolve));
      await consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string | undefined> = {};
          for (const name of Object.keys(message.headers ?? {})) headers[name] = headerText(message.headers, name);
          out.push({ key: message.key?.toString('utf8') ?? null, value: message.value, headers });
          if (out.length >= count) reached();
          await Promise.resolve();
        },
      });
      await Promise.race([enough, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
      await new Promise((resolve) => setTimeout(resolve, settleMs)); // catch duplicates arriving late
      await consumer.disconnect();
      return out;
    },
    async decode(message) {
      if (message.value === null) throw new Error('tombstone');
      return findingRawSchema.parse(await codec.decode(message.value, topic));
    },
    redis,
    async cleanup() {
      for (const entry of kits) if (!entry.stopped) await entry.handle.stop().catch(() => undefined);
      const client = redis();
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length > 0) await client.del(...keys);
      await auxKit?.close();
      await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** `count` distinct keys, or the duplicates. */
export function duplicates(keys: readonly (string | null)[]): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const key of keys) {
    if (key === null) continue;
    if (seen.has(key)) dups.push(key);
    seen.add(key);
  }
  return dups;
}
