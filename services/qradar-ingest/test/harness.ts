import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { avroCodec, createSchemaRegistry } from '@seam/kit';
import { schemas, type OffenseRaw } from '@seam/schemas';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Consumer } from 'kafkajs';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set (source .local/endpoints.env)`);
  return value;
}

export function suffix(): string {
  return randomBytes(4).toString('hex');
}

export async function createTopic(name: string, partitions = 3): Promise<void> {
  const admin = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

export async function deleteTopic(name: string): Promise<void> {
  const admin = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [name] }).catch(() => undefined);
  await admin.disconnect();
}

/** Collects every record of a topic from the beginning, decoded with the OffenseRaw schema. */
export class TopicCollector {
  readonly records: OffenseRaw[] = [];
  readonly keys: string[] = [];
  #consumer: Consumer | undefined;

  async start(topic: string): Promise<void> {
    const registry = createSchemaRegistry({ SCHEMA_REGISTRY_URL: env('SCHEMA_REGISTRY_URL') });
    const codec = avroCodec<OffenseRaw>(registry, schemas.OffenseRaw.avsc as never, { autoRegister: false });
    const kafka = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
    this.#consumer = kafka.consumer({ groupId: `qradar-ingest-test-${suffix()}` });
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [topic], fromBeginning: true });
    await this.#consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const decoded = schemas.OffenseRaw.validator.parse(await codec.decode(message.value, topic));
        this.keys.push(message.key?.toString('utf8') ?? '');
        this.records.push(decoded);
      },
    });
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect();
  }

  /** Waits until `predicate` holds (polling), or throws after timeoutMs. */
  async waitFor(predicate: (records: readonly OffenseRaw[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!predicate(this.records)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (have ${this.records.length} records)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export interface ServiceHandle {
  readonly child: ChildProcess;
  readonly port: Promise<number>;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export function startService(extraEnv: Record<string, string>): ServiceHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', mainPath], {
    cwd: repoRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      KAFKA_BROKERS: env('KAFKA_BROKERS'),
      SCHEMA_REGISTRY_URL: env('SCHEMA_REGISTRY_URL'),
      SCHEMA_REGISTRY_AUTO_REGISTER: 'true',
      REDIS_URL: env('REDIS_URL'),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      POLL_NEW_INTERVAL_MS: '200',
      POLL_CHANGED_INTERVAL_MS: '300',
      POLL_ERROR_BACKOFF_MS: '100',
      POLL_MAX_ERROR_BACKOFF_MS: '1000',
      QRADAR_RETRY_INITIAL_MS: '50',
      QRADAR_RETRY_MAX_MS: '500',
      EVENT_SAMPLE_SIZE: '5',
      EVENT_SAMPLE_CONCURRENCY: '16',
      EVENT_SAMPLE_RETRY_DELAY_MS: '300',
      ARIEL_WAIT_SECONDS: '1',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let resolvePort!: (port: number) => void;
  const port = new Promise<number>((resolve) => (resolvePort = resolve));
  const onData = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
    const match = /"port":(\d+)[^\n]*HTTP server listening/.exec(out);
    if (match?.[1]) resolvePort(Number(match[1]));
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    port,
    output: () => out,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function cleanupRedis(prefix: string): Promise<void> {
  const redis = new Redis(env('REDIS_URL'));
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const map = new Map<string, number>();
  for (const item of items) map.set(key(item), (map.get(key(item)) ?? 0) + 1);
  return map;
}

export function versionKey(record: OffenseRaw): string {
  const payload = JSON.parse(record.payload) as { id: number; last_persisted_time: number };
  return `${payload.id}:${payload.last_persisted_time}`;
}
