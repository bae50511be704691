import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createKit, loadConfig, type Kit } from '@seam/kit';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { enricherConfigSchema, type EnricherConfig } from '../src/config';

export function endpoint(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set; source .local/endpoints.env`);
  return value;
}

export const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
export const dataFile = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));

export function plainKafka(): Kafka {
  return new Kafka({ clientId: 'enricher-int-test', brokers: endpoint('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
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

/** Topics with room for the oversized-payload test (8 MB records). */
export async function createTopics(topics: readonly string[]): Promise<void> {
  await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] })) }));
}

export async function deleteTopics(topics: readonly string[]): Promise<void> {
  await withAdmin((admin) => admin.deleteTopics({ topics: [...topics] })).catch(() => undefined);
}

export interface Consumed {
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/** A reader that collects a topic from the beginning while the test runs. */
export async function collect(topic: string): Promise<{ records: Consumed[]; stop: () => Promise<void> }> {
  const consumer = plainKafka().consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100, maxBytesPerPartition: 16 * 1024 * 1024 });
  const records: Consumed[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        const first = Array.isArray(value) ? value[0] : value;
        if (first !== undefined) headers[name] = first.toString();
      }
      records.push({ key: message.key?.toString() ?? null, value: message.value ?? Buffer.alloc(0), headers });
      return Promise.resolve();
    },
  });
  return { records, stop: () => consumer.disconnect() };
}

export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const silent = () => new Writable({ write: (_chunk, _enc, callback) => callback() });

export function testConfig(overrides: Record<string, string>): EnricherConfig {
  return loadConfig(enricherConfigSchema, {
    KAFKA_BROKERS: endpoint('KAFKA_BROKERS'),
    SCHEMA_REGISTRY_URL: endpoint('SCHEMA_REGISTRY_URL'),
    SCHEMA_REGISTRY_AUTO_REGISTER: 'true',
    REDIS_URL: endpoint('REDIS_URL'),
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    KAFKA_GROUP_ID: uniqueName('enricher'),
    NAMESPACE_MAP_FILE: dataFile('namespaces.json'),
    ...overrides,
  });
}

export function testKit(config: EnricherConfig): Kit {
  return createKit(config, { service: 'enricher-int-test', defaultMetrics: false, logDestination: silent() });
}
