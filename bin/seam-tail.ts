/**
 * `seam tail <topic> [--follow] [--max N] [--from-end]`: prints a topic's records as JSON lines,
 * values decoded through the schema registry (the writer schema named by each record's id), DLQ
 * records with their reason headers. Reads with a throwaway consumer group and commits nothing, so
 * it never moves a stage's offsets. Without --follow it stops once it has reached the end of every
 * partition as it was when it started.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';

const usage = 'usage: seam tail <topic> [--follow] [--max N] [--from-end]';

function fail(message: string): never {
  process.stderr.write(`seam tail: ${message}\n${usage}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { follow: { type: 'boolean', short: 'f', default: false }, max: { type: 'string' }, 'from-end': { type: 'boolean', default: false } },
  });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const [topic, ...rest] = parsed.positionals;
if (topic === undefined || rest.length > 0) fail('one topic name is needed');
const max = parsed.values.max === undefined ? Infinity : Number(parsed.values.max);
if (max !== Infinity && (!Number.isInteger(max) || max <= 0)) fail('--max must be a positive integer');
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const registryUrl = process.env.SCHEMA_REGISTRY_URL;
if (brokers.length === 0 || registryUrl === undefined) fail('KAFKA_BROKERS and SCHEMA_REGISTRY_URL must be set (./seam tail sets them from .local/endpoints.env)');

const kafka = new Kafka({ clientId: 'seam-tail', brokers, logLevel: logLevel.NOTHING });
const registry = new SchemaRegistry({ host: registryUrl });

const admin = kafka.admin();
await admin.connect();
const topics = await admin.listTopics();
if (!topics.includes(topic)) {
  await admin.disconnect();
  const names = topics.filter((t) => !t.startsWith('__')).sort();
  const shown = names.length > 15 ? `${names.slice(0, 15).join(', ')}, ... (${names.length} topics)` : names.join(', ');
  fail(`no topic ${topic} (there are: ${shown})`);
}
// The end of each partition now: without --follow, reading stops there.
const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
const starts = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.low)]));
await admin.disconnect();
const open = new Set([...ends].filter(([partition, end]) => end > (starts.get(partition) ?? 0n) && !parsed.values['from-end']).map(([partition]) => partition));

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

async function decodeValue(value: Buffer | null): Promise<unknown> {
  if (value === null) return null;
  // Confluent wire format: magic byte 0 and a 4-byte schema id.
  if (value.length >= 5 && value[0] === 0) {
    try {
      return await registry.decode(value);
    } catch (error) {
      return { undecodable: error instanceof Error ? error.message : String(error), base64: value.toString('base64') };
    }
  }
  const text = value.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(value)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return { base64: value.toString('base64') };
}

const replacer = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : Buffer.isBuffer(value) ? value.toString('base64') : value);

let printed = 0;
const consumer = kafka.consumer({ groupId: `seam-tail-${randomUUID()}` });
let finish: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (finish = resolve));
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: !parsed.values['from-end'] });
if (!parsed.values.follow && open.size === 0) finish();
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    if (printed >= max) return;
    const record = {
      topic,
      partition,
      offset: message.offset,
      timestamp: new Date(Number(message.timestamp)).toISOString(),
      key: message.key?.toString('utf8') ?? null,
      headers: headerText(message.headers),
      value: await decodeValue(message.value),
    };
    process.stdout.write(`${JSON.stringify(record, replacer)}\n`);
    printed++;
    if (!parsed.values.follow && BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) open.delete(partition);
    if (printed >= max || (!parsed.values.follow && open.size === 0)) finish();
  },
});
process.once('SIGINT', finish);
process.once('SIGTERM', finish);
await finished;
await consumer.disconnect();
