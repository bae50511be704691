/**
 * The main job's produce/consume round while the pipeline stages are still being built: produces
 * sample records to a topic, runs the kit's sample pass-through stage as its own process (the way
 * every Seam stage runs), consumes what it wrote, and prints what happened, with the stage's own
 * /metrics counters. Exit status 0 only when every record made the round trip exactly once.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { sampleEventAvroSchema } from '@seam/kit/sample/passthrough-stage';

const count = Number(process.env.SMOKE_RECORDS ?? 1000);
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const registryUrl = process.env.SCHEMA_REGISTRY_URL;
if (brokers.length === 0 || !registryUrl) {
  console.error('smoke-round: KAFKA_BROKERS and SCHEMA_REGISTRY_URL must be set (./seam run sets them)');
  process.exit(2);
}

const run = randomUUID().slice(0, 8);
const input = `seam.smoke.${run}.in`;
const output = `seam.smoke.${run}.out`;
const kafka = new Kafka({ clientId: 'seam-smoke', brokers, logLevel: logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  topics: [input, `${input}.dlq`, output].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
  waitForLeaders: true,
});

const registry = new SchemaRegistry({ host: registryUrl });
const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(sampleEventAvroSchema) }, { subject: `${input}-value` });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const messages = [];
for (let seq = 0; seq < count; seq++) {
  messages.push({ key: `smoke-${seq}`, value: await registry.encode(id, { id: `smoke-${seq}`, seq, payload: `record ${seq}` }) });
}
await producer.send({ topic: input, messages, acks: -1 });
await producer.disconnect();
console.log(`[smoke] produced ${count} Avro records to ${input}`);

const metricsPort = 18000 + Math.floor(Math.random() * 1000);
const { REDIS_URL: _r, REDIS_CLUSTER_NODES: _c, ...env } = process.env;
const stage = spawn(process.execPath, ['--import', 'tsx', 'services/kit/src/sample/main.ts'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...env,
    SAMPLE_INPUT_TOPIC: input,
    SAMPLE_OUTPUT_TOPIC: output,
    SAMPLE_CODEC: 'avro',
    SCHEMA_REGISTRY_AUTO_REGISTER: 'true',
    KAFKA_GROUP_ID: `seam.smoke.${run}`,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(metricsPort),
    LOG_LEVEL: 'warn',
  },
});
console.log(`[smoke] started the kit's sample pass-through stage (pid ${stage.pid}, metrics on 127.0.0.1:${metricsPort})`);

const consumer = kafka.consumer({ groupId: `seam.smoke.${run}.reader` });
await consumer.connect();
await consumer.subscribe({ topic: output, fromBeginning: true });
const seen = new Map<number, number>();
const started = Date.now();
const done = new Promise<void>((resolve) => {
  void consumer.run({
    eachMessage: async ({ message }) => {
      const value = (await registry.decode(message.value ?? Buffer.alloc(0))) as { seq: number };
      seen.set(value.seq, (seen.get(value.seq) ?? 0) + 1);
      if (seen.size === count) resolve();
    },
  });
});
const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000));
const outcome = await Promise.race([done.then(() => 'ok' as const), timeout]);
const seconds = (Date.now() - started) / 1000;

let metrics = '';
try {
  metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
} catch {
  metrics = '';
}
const interesting = metrics.split('\n').filter((l) => /^seam_(records_(consumed|produced|dlq)|consumer_lag)/.test(l));
const exit = new Promise((r) => stage.once('exit', r));
stage.kill('SIGTERM');
await exit;
await consumer.disconnect();
await admin.deleteTopics({ topics: [input, `${input}.dlq`, output] }).catch(() => undefined);
await admin.disconnect();

const duplicates = [...seen.values()].filter((n) => n > 1).length;
console.log(`[smoke] consumed ${seen.size}/${count} distinct records back from ${output} in ${seconds.toFixed(1)} s, ${duplicates} duplicated`);
for (const line of interesting) console.log(`[smoke] metric ${line}`);
console.log(`[smoke] stage stopped on SIGTERM with exit code ${stage.exitCode}`);
if (outcome !== 'ok' || duplicates > 0 || stage.exitCode !== 0) {
  console.error('[smoke] FAILED');
  process.exit(1);
}
console.log('[smoke] round trip through the kit: OK');
