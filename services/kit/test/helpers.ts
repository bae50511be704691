import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { commonConfigSchema, loadConfig, type CommonConfig } from '../src/config';
import { createKit, type Kit } from '../src/kit';

/** Endpoints come only from the environment (test/setup/components.ts checks they are set). */
export function endpoint(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set; source .local/endpoints.env`);
  return value;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function plainKafka(): Kafka {
  return new Kafka({ clientId: 'kit-int-test', brokers: endpoint('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
}

export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = plainKafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopics(topics: readonly string[], numPartitions = 1): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })) });
  });
}

export interface ConsumedRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Reads a topic from the beginning until `expected` records arrived (or the timeout). */
export async function readTopic(topic: string, expected: number, timeoutMs = 30_000): Promise<ConsumedRecord[]> {
  const consumer = plainKafka().consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
  const records: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let reached!: () => void;
    const done = new Promise<void>((resolve) => {
      reached = resolve;
    });
    if (expected === 0) reached();
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          const first = Array.isArray(value) ? value[0] : value;
          if (first !== undefined) headers[name] = first.toString();
        }
        records.push({ partition, offset: message.offset, key: message.key, value: message.value, headers });
        if (records.length >= expected) reached();
        return Promise.resolve();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

export async function committedOffset(groupId: string, topic: string, partition = 0): Promise<number> {
  return withAdmin(async (admin) => {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const offset = entry?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    return Number(offset);
  });
}

export function silentDestination(): Writable {
  return new Writable({ write: (_chunk, _enc, callback) => callback() });
}

export function testConfig(overrides: Record<string, string>): CommonConfig {
  return loadConfig(commonConfigSchema, {
    KAFKA_BROKERS: endpoint('KAFKA_BROKERS'),
    SCHEMA_REGISTRY_URL: endpoint('SCHEMA_REGISTRY_URL'),
    SCHEMA_REGISTRY_AUTO_REGISTER: 'true',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    ...overrides,
  });
}

export function testKit(overrides: Record<string, string>): Kit {
  return createKit(testConfig(overrides), { service: 'kit-int-test', defaultMetrics: false, logDestination: silentDestination() });
}

export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
