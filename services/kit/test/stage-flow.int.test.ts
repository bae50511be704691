import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../src/codec';
import { DLQ_HEADERS } from '../src/headers';
import { startStage } from '../src/process';
import { sampleEventAvroSchema, sampleEventStage, type SampleEvent } from '../src/sample/passthrough-stage';
import { committedOffset, createTopics, endpoint, plainKafka, readTopic, testKit, uniqueName, until } from './helpers';

const noExit = () => undefined;

async function produce(topic: string, messages: { key: string; value: Buffer; headers?: Record<string, string> }[]): Promise<void> {
  const producer = plainKafka().producer();
  await producer.connect();
  await producer.send({ topic, messages });
  await producer.disconnect();
}

describe('sample stage on the real broker and registry', () => {
  it('moves Avro records through the registry (Apicurio ccompat path prefix kept), with metrics and readiness', async () => {
    const input = uniqueName('kit-avro-in');
    const output = uniqueName('kit-avro-out');
    const group = uniqueName('kit-avro');
    await createTopics([input, output], 3);
    const kit = testKit({ KAFKA_GROUP_ID: group });
    const codec = kit.avro<SampleEvent>(sampleEventAvroSchema);
    const events = Array.from({ length: 60 }, (_, seq) => ({ id: `evt-${seq}`, seq, payload: 'x'.repeat(100) }));
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await produce(
      input,
      await Promise.all(events.map(async (event) => ({ key: event.id, value: await codec.encode(event, input), headers: { traceparent } }))),
    );

    // The subject was registered under the ccompat prefix (a client that dropped the prefix would 404).
    // Asked by name: the subject list is paged (1,000 by default), and a registry that served many
    // runs holds more.
    const versions = await fetch(`${endpoint('SCHEMA_REGISTRY_URL')}/subjects/${encodeURIComponent(`${input}-value`)}/versions`);
    expect(versions.status).toBe(200);
    expect(await versions.json()).toEqual([1]);

    const handle = await startStage(sampleEventStage({ inputTopic: input, outputTopic: output, codec }), kit, { handleSignals: false, exit: noExit });
    try {
      await until(async () => (await fetch(`http://127.0.0.1:${handle.port}/readyz`)).status === 200);
      const records = await readTopic(output, events.length);
      expect(records).toHaveLength(events.length);
      const decoded = await Promise.all(records.map(async (r) => (await codec.decode(r.value ?? Buffer.alloc(0), output)) as SampleEvent));
      expect(decoded.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
      expect(decoded.find((e) => e.id === 'evt-7')).toMatchObject({ seq: 7, payload: 'x'.repeat(100) });
      for (const r of records) {
        expect(r.headers['traceparent']).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
        expect(r.key?.toString()).toMatch(/^evt-\d+$/);
      }
      const outputVersions = await fetch(`${endpoint('SCHEMA_REGISTRY_URL')}/subjects/${encodeURIComponent(`${output}-value`)}/versions`);
      expect(outputVersions.status).toBe(200);
      expect(await outputVersions.json()).toEqual([1]);

      await until(async () => (await fetch(`http://127.0.0.1:${handle.port}/metrics`).then((r) => r.text())).includes(`seam_records_produced_total{stage="sample-passthrough",topic="${output}"} 60`));
      const metrics = await fetch(`http://127.0.0.1:${handle.port}/metrics`).then((r) => r.text());
      expect(metrics).toContain(`seam_records_consumed_total{stage="sample-passthrough",topic="${input}"} 60`);
      expect(metrics).toContain('seam_handler_duration_seconds_bucket');
      expect(metrics).toMatch(new RegExp(`seam_consumer_lag\\{stage="sample-passthrough",topic="${input}",partition="\\d"\\} 0`));
      expect((await fetch(`http://127.0.0.1:${handle.port}/healthz`)).status).toBe(200);
    } finally {
      expect((await handle.stop()).exitCode).toBe(0);
    }
    const total = (await Promise.all([0, 1, 2].map((p) => committedOffset(group, input, p)))).reduce((a, b) => a + Math.max(b, 0), 0);
    expect(total).toBe(events.length);
  });

  it('sends poison, undecodable and schema-violating records to <topic>.dlq with reason headers and keeps going', async () => {
    const input = uniqueName('kit-dlq-in');
    const output = uniqueName('kit-dlq-out');
    await createTopics([input, output, `${input}.dlq`], 1);
    const kit = testKit({ KAFKA_GROUP_ID: uniqueName('kit-dlq') });
    const codec = kit.avro<SampleEvent>(sampleEventAvroSchema);
    const invalidJsonAsAvro = Buffer.from(JSON.stringify({ id: 'json-not-avro', seq: 1, payload: '' }));
    // Avro-valid (long may be negative) but the zod validator requires seq >= 0.
    const negativeSeq = await codec.encode({ id: 'negative', seq: -5, payload: '' }, input);
    const good = (id: string, seq: number) => codec.encode({ id, seq, payload: 'ok' }, input);
    await produce(input, [
      { key: 'a', value: await good('good-1', 1) },
      { key: 'b', value: await good('poison-2', 2) },
      { key: 'c', value: invalidJsonAsAvro },
      { key: 'd', value: negativeSeq },
      { key: 'e', value: await good('flaky-5', 5) },
      { key: 'f', value: await good('good-6', 6) },
    ]);
    const handle = await startStage(sampleEventStage({ inputTopic: input, outputTopic: output, codec, simulateFailures: true }), kit, { handleSignals: false, exit: noExit });
    try {
      const outputs = await readTopic(output, 3);
      const ids = await Promise.all(outputs.map(async (r) => ((await codec.decode(r.value ?? Buffer.alloc(0), output)) as SampleEvent).id));
      expect(ids).toEqual(['good-1', 'flaky-5', 'good-6']);
      const dlq = await readTopic(`${input}.dlq`, 3);
      expect(dlq.map((r) => r.key?.toString())).toEqual(['b', 'c', 'd']);
      expect(dlq[1]?.value).toEqual(invalidJsonAsAvro);
      expect(dlq[2]?.value).toEqual(negativeSeq);
      for (const r of dlq) {
        expect(r.headers[DLQ_HEADERS.errorClass]).toBe('poison');
        expect(r.headers[DLQ_HEADERS.sourceTopic]).toBe(input);
        expect(r.headers[DLQ_HEADERS.sourcePartition]).toBe('0');
        expect(r.headers[DLQ_HEADERS.stage]).toBe('sample-passthrough');
        expect(r.headers[DLQ_HEADERS.failedAt]).toMatch(/^\d{4}-\d\d-\d\dT/);
      }
      expect(dlq.map((r) => r.headers[DLQ_HEADERS.sourceOffset])).toEqual(['1', '2', '3']);
      expect(dlq[0]?.headers[DLQ_HEADERS.reason]).toBe('PoisonError: sample: record marked poison');
      expect(dlq[1]?.headers[DLQ_HEADERS.reason]).toMatch(/^DecodeError: not in the Confluent Avro wire format/);
      expect(dlq[2]?.headers[DLQ_HEADERS.reason]).toMatch(/^ValidationError: value does not match the events schema: seq: Too small/);
    } finally {
      await handle.stop();
    }
  });

  it('after a crash mid-batch, a restart loses nothing and duplicates stay within the uncommitted batch', async () => {
    const input = uniqueName('kit-crash-in');
    const output = uniqueName('kit-crash-out');
    const group = uniqueName('kit-crash');
    await createTopics([input, output], 1);
    const codec = jsonCodec<SampleEvent>();
    const total = 300;
    const crashAt = 170;
    await produce(
      input,
      Array.from({ length: total }, (_, seq) => ({ key: `k${seq % 7}`, value: Buffer.from(JSON.stringify({ id: seq === crashAt ? `fatal-${seq}` : `e-${seq}`, seq, payload: '' })) })),
    );
    const maxBatch = '50';
    const first = await startStage(sampleEventStage({ inputTopic: input, outputTopic: output, codec, simulateFailures: true }), testKit({ KAFKA_GROUP_ID: group, KAFKA_MAX_BATCH_RECORDS: maxBatch }), {
      handleSignals: false,
      exit: noExit,
    });
    const crashed = await first.done;
    expect(crashed.exitCode).toBe(1);
    const committedAfterCrash = await committedOffset(group, input);
    // The records before the fatal one were produced and committed before stopping.
    expect(committedAfterCrash).toBe(crashAt);

    const second = await startStage(sampleEventStage({ inputTopic: input, outputTopic: output, codec, simulateFailures: false }), testKit({ KAFKA_GROUP_ID: group, KAFKA_MAX_BATCH_RECORDS: maxBatch }), {
      handleSignals: false,
      exit: noExit,
    });
    try {
      await until(async () => (await committedOffset(group, input)) === total);
    } finally {
      await second.stop();
    }
    const records = await readTopic(output, total, 15_000);
    const seqs = records.map((r) => (JSON.parse(r.value?.toString() ?? '{}') as SampleEvent).seq);
    expect(new Set(seqs).size).toBe(total);
    const duplicates = seqs.length - total;
    // Only records after the last commit can be produced twice: at most one flush of KAFKA_MAX_BATCH_RECORDS.
    expect(duplicates).toBeLessThanOrEqual(Number(maxBatch));
    expect(crashAt - committedAfterCrash).toBeLessThanOrEqual(Number(maxBatch));
  });
});
