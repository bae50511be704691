/**
 * The reference for the kit pass-through benchmark: a hand-written kafkajs consume -> decode ->
 * encode -> produce -> commit loop with no framework around it. It does the same per-record work
 * as the kit's pass-through stage (Confluent wire format: magic byte + schema id + Avro body,
 * decoded and re-encoded with avsc) and the same at-least-once discipline (produce a batch, wait for
 * the acks, then resolve and commit its offsets), so the ratio measures the kit's overhead.
 *
 * With <avscJsonFile> = `bytes` it forwards the bytes untouched (the reference for the kit's bytes codec).
 *
 * Diagnostic: BENCH_RAW_TRACEPARENT=1 adds a fixed W3C traceparent header to every output (the kit
 * adds one per record), to see what the header alone costs in kafkajs. Off by default: the reference
 * loop carries no trace context.
 *
 * Run: tsx bench/src/raw-loop.ts <brokers> <inputTopic> <outputTopic> <groupId> <avscJsonFile|bytes>
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';

const [brokers, inputTopic, outputTopic, groupId, schemaFile] = process.argv.slice(2);
if (!brokers || !inputTopic || !outputTopic || !groupId || !schemaFile) {
  console.error('usage: raw-loop.ts <brokers> <inputTopic> <outputTopic> <groupId> <avscJsonFile>');
  process.exit(2);
}
const traceHeaders = process.env.BENCH_RAW_TRACEPARENT === '1' ? { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } : undefined;
const type = schemaFile === 'bytes' ? undefined : avro.Type.forSchema(JSON.parse(readFileSync(schemaFile, 'utf8')) as avro.Schema);
const kafka = new Kafka({ clientId: 'bench-raw', brokers: brokers.split(','), logLevel: logLevel.ERROR });
// Same fetch size as the kit's default (KAFKA_MAX_BYTES_PER_PARTITION).
const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 1024 * 1024 });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });

await Promise.all([consumer.connect(), producer.connect()]);
await consumer.subscribe({ topic: inputTopic, fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: 3,
  eachBatchAutoResolve: false,
  eachBatch: async (payload) => {
    const { batch } = payload;
    const messages = batch.messages.map((m) => {
      const bytes = m.value ?? Buffer.alloc(0);
      if (type === undefined) return { key: m.key, value: bytes, ...(traceHeaders ? { headers: { ...traceHeaders } } : {}) };
      const value: unknown = type.fromBuffer(bytes.subarray(5));
      const body = type.toBuffer(value);
      const out = Buffer.allocUnsafe(5 + body.length);
      bytes.copy(out, 0, 0, 5);
      body.copy(out, 5);
      return { key: m.key, value: out, ...(traceHeaders ? { headers: { ...traceHeaders } } : {}) };
    });
    // Input partition p holds exactly the keys that hash to output partition p, so a whole fetch
    // lands in one produce batch: split it below the broker's 1 MB message.max.bytes, as the kit does.
    for (let i = 0; i < messages.length; i += 400) {
      await producer.send({ topic: outputTopic, messages: messages.slice(i, i + 400), acks: -1 });
    }
    const last = batch.messages[batch.messages.length - 1];
    if (last) payload.resolveOffset(last.offset);
    await payload.commitOffsetsIfNecessary();
    await payload.heartbeat();
  },
});
const stop = async (): Promise<void> => {
  await consumer.disconnect();
  await producer.disconnect();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
