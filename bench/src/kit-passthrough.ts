/**
 * Kit pass-through benchmark: records per second through the kit's sample stage (consume, decode,
 * validate, encode, produce, commit) against a raw kafkajs consume -> produce loop doing the same
 * Avro work, on the same broker, in one run, with ~1 KB records. Each loop runs in its own process
 * and reads the same pre-filled input topic with a fresh consumer group; rounds alternate
 * raw, kit, raw, kit so machine drift hits both. The rate is measured on the output topic's end
 * offsets in steady state (from the first output record to the last), so process start-up and
 * group join do not count.
 *
 * Run: ./bench/run.sh kit-passthrough   (or with endpoints in the env: tsx bench/src/kit-passthrough.ts)
 * Env: BENCH_RECORDS (default 100000), BENCH_ROUNDS (default 2), BENCH_PARTITIONS (default 6),
 * BENCH_CODEC avro (both loops decode and re-encode Avro; default) or bytes (both forward bytes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { sampleEventAvroSchema } from '@seam/kit/sample/passthrough-stage';

const records = Number(process.env.BENCH_RECORDS ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const partitions = Number(process.env.BENCH_PARTITIONS ?? 6);
const concurrency = 3;
const codec = process.env.BENCH_CODEC === 'bytes' ? 'bytes' : 'avro';
const brokers = required('KAFKA_BROKERS');
const registryUrl = required('SCHEMA_REGISTRY_URL');
const root = new URL('../..', import.meta.url).pathname;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (source .local/endpoints.env or run ./bench/run.sh)`);
  return value;
}

const kafka = new Kafka({ clientId: 'bench-orchestrator', brokers: brokers.split(','), logLevel: logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const run = randomUUID().slice(0, 8);
const input = `bench.passthrough.${run}.in`;

async function createTopic(a: Admin, topic: string): Promise<void> {
  await a.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
}

async function endOffsetSum(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

async function fillInput(): Promise<void> {
  await createTopic(admin, input);
  await createTopic(admin, `${input}.dlq`);
  const registry = new SchemaRegistry({ host: registryUrl });
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(sampleEventAvroSchema) },
    { subject: `${input}-value` },
  );
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // ~1 KB encoded: id (~20 B) + seq + a 1,000-character payload.
  const payload = 'x'.repeat(1000);
  const chunk = 2000;
  for (let start = 0; start < records; start += chunk) {
    const messages = [];
    for (let seq = start; seq < Math.min(records, start + chunk); seq++) {
      const value = await registry.encode(id, { id: `evt-${seq}`, seq, payload });
      messages.push({ key: `evt-${seq}`, value });
    }
    await producer.send({ topic: input, messages, acks: -1 });
  }
  await producer.disconnect();
  const encodedSize = (await registry.encode(id, { id: 'evt-0', seq: 0, payload })).length;
  console.log(`codec: ${codec}; input: ${records} records of ${encodedSize} bytes on ${partitions} partitions (${input})`);
}

/** The pass-through stage needs no Redis, and the kit refuses a standalone and a cluster at once. */
function withoutRedis(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { REDIS_URL: _url, REDIS_CLUSTER_NODES: _nodes, ...rest } = env;
  return rest;
}

interface Measurement { readonly loop: 'raw' | 'kit'; readonly round: number; readonly recordsPerSecond: number; readonly seconds: number }

async function measure(loop: 'raw' | 'kit', round: number): Promise<Measurement> {
  const output = `bench.passthrough.${run}.${loop}.${round}`;
  await createTopic(admin, output);
  const group = `bench.${run}.${loop}.${round}`;
  const schemaFile = `${root}.local/bench-sample.avsc`;
  writeFileSync(schemaFile, JSON.stringify(sampleEventAvroSchema));
  const child: ChildProcess =
    loop === 'raw'
      ? spawn(process.execPath, ['--import', 'tsx', 'bench/src/raw-loop.ts', brokers, input, output, group, codec === 'bytes' ? 'bytes' : schemaFile], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
      : spawn(process.execPath, ['--import', 'tsx', 'services/kit/src/sample/main.ts'], {
          cwd: root,
          stdio: ['ignore', 'ignore', 'inherit'],
          env: {
            ...withoutRedis(process.env),
            SAMPLE_INPUT_TOPIC: input,
            SAMPLE_OUTPUT_TOPIC: output,
            SAMPLE_CODEC: codec,
            KAFKA_GROUP_ID: group,
            KAFKA_CONCURRENCY: String(concurrency),
            HTTP_HOST: '127.0.0.1',
            HTTP_PORT: '0',
            LOG_LEVEL: 'warn',
            SCHEMA_REGISTRY_AUTO_REGISTER: 'true',
          },
        });
  try {
    const deadline = Date.now() + 300_000;
    let first: { at: number; count: number } | undefined;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`${loop} loop did not finish within 300 s`);
      if (child.exitCode !== null) throw new Error(`${loop} loop exited early with ${child.exitCode}`);
      const count = await endOffsetSum(output);
      const now = performance.now();
      if (first === undefined && count > 0) first = { at: now, count };
      if (first !== undefined && count >= records) {
        const seconds = (now - first.at) / 1000;
        return { loop, round, seconds, recordsPerSecond: (count - first.count) / seconds };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    // The loops are spawned as node itself (not through npx), so the signal reaches them.
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

mkdirSync(`${root}.local`, { recursive: true });
await fillInput();
const results: Measurement[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const loop of ['raw', 'kit'] as const) {
    const m = await measure(loop, round);
    results.push(m);
    console.log(`round ${round} ${loop.padEnd(3)} ${Math.round(m.recordsPerSecond).toString().padStart(8)} records/s (${m.seconds.toFixed(1)} s)`);
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const ratios = Array.from({ length: rounds }, (_, i) => {
  const raw = results.find((r) => r.loop === 'raw' && r.round === i + 1);
  const kit = results.find((r) => r.loop === 'kit' && r.round === i + 1);
  return (kit?.recordsPerSecond ?? 0) / (raw?.recordsPerSecond ?? 1);
});
const summary = {
  benchmark: 'kit-passthrough',
  codec,
  records,
  partitions,
  concurrency,
  rawRecordsPerSecond: Math.round(median(results.filter((r) => r.loop === 'raw').map((r) => r.recordsPerSecond))),
  kitRecordsPerSecond: Math.round(median(results.filter((r) => r.loop === 'kit').map((r) => r.recordsPerSecond))),
  kitOverRawRatio: Number(median(ratios).toFixed(3)),
  ratiosPerRound: ratios.map((r) => Number(r.toFixed(3))),
  target: 'kit >= 0.80 x raw',
};
console.log(`\nraw kafkajs loop  ${summary.rawRecordsPerSecond} records/s (median)`);
console.log(`kit pass-through  ${summary.kitRecordsPerSecond} records/s (median)`);
console.log(`kit / raw         ${summary.kitOverRawRatio} (per round: ${summary.ratiosPerRound.join(', ')}; target >= 0.80)`);
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/kit-passthrough-${codec}.json`, `${JSON.stringify(summary, null, 2)}\n`);
await admin.disconnect();
