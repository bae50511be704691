import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bytesCodec } from './codec';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import type { BatchControls, InputBatch, ProducerPort, TopicMessages } from './ports';
import { createBatchProcessor } from './processor';
import { defineStage } from './stage';
import { parseTraceparent } from './trace';

interface PendingSend {
  readonly topicMessages: readonly TopicMessages[];
  resolve(): void;
  reject(error: Error): void;
}

/** A producer whose sends settle only when the test says so; tracks how many are in flight. */
class ManualProducer implements ProducerPort {
  readonly sends: PendingSend[] = [];
  inFlight = 0;
  maxInFlight = 0;

  connect(): Promise<void> {
    return Promise.resolve();
  }

  sendBatch(topicMessages: readonly TopicMessages[]): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve, reject) => {
      this.sends.push({
        topicMessages,
        resolve: () => {
          this.inFlight--;
          resolve();
        },
        reject: (error) => {
          this.inFlight--;
          reject(error);
        },
      });
    });
  }

  disconnect(): Promise<void> {
    return Promise.resolve();
  }
}

function controls(): BatchControls & { resolved: string[] } {
  const resolved: string[] = [];
  return {
    resolved,
    resolveOffset: (offset) => resolved.push(offset),
    heartbeat: () => Promise.resolve(),
    isRunning: () => true,
    isStale: () => false,
  };
}

function batchOf(count: number, size = 10): InputBatch {
  return {
    topic: 'in',
    partition: 0,
    highWatermark: String(count),
    messages: Array.from({ length: count }, (_, n) => ({ offset: String(n), key: Buffer.from(`k${n}`), value: Buffer.alloc(size, n) })),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Acknowledges the first `count` produces of a batch in turn, each once it was sent, and waits for the batch. */
async function acknowledgeSends(producer: ManualProducer, done: Promise<void>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await settle();
    producer.sends[i]?.resolve();
  }
  await done;
}

function setup(options: { maxBatchRecords?: number; maxBatchBytes?: number; outputsTo?: readonly ('a' | 'b')[] } = {}) {
  const producer = new ManualProducer();
  const fatal: unknown[] = [];
  let handled = 0;
  const codec = bytesCodec();
  const stage = defineStage({
    name: 'processor-test',
    inputs: { bytes: { topic: 'in', codec, schema: z.instanceof(Buffer) } },
    outputs: { a: { topic: 'out-a', codec }, b: { topic: 'out-b', codec } },
    handle: (record) => {
      handled++;
      return (options.outputsTo ?? ['a']).map((to) => ({ to, key: record.key, value: record.value }));
    },
  });
  const process = createBatchProcessor(stage, {
    producer,
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
    backoff: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, jitter: 0 },
    maxBatchRecords: options.maxBatchRecords ?? 1000,
    maxBatchBytes: options.maxBatchBytes ?? 1_000_000,
    stopSignal: new AbortController().signal,
    onFatal: (error) => fatal.push(error),
  });
  return { producer, fatal, process, handled: () => handled };
}

describe('batch processor pipelining', () => {
  it('processes the next chunk while one produce is in flight, never two, and resolves offsets only after acks, in order', async () => {
    const { producer, process, handled } = setup({ maxBatchRecords: 2 });
    const ctl = controls();
    let finished = false;
    const done = process(batchOf(6), ctl).then(() => (finished = true));

    await settle();
    // Chunk 1 (offsets 0-1) is being produced; chunk 2 (offsets 2-3) was processed meanwhile but waits.
    expect(producer.sends).toHaveLength(1);
    expect(handled()).toBe(4);
    expect(ctl.resolved).toEqual([]);

    producer.sends[0]?.resolve();
    await settle();
    expect(ctl.resolved).toEqual(['1']);
    expect(producer.sends).toHaveLength(2);
    expect(handled()).toBe(6);

    producer.sends[1]?.resolve();
    await settle();
    expect(ctl.resolved).toEqual(['1', '3']);
    expect(producer.sends).toHaveLength(3);
    expect(finished).toBe(false); // the batch waits for its last produce

    producer.sends[2]?.resolve();
    await done;
    expect(ctl.resolved).toEqual(['1', '3', '5']);
    expect(producer.maxInFlight).toBe(1);
    const offsetsSent = producer.sends.map((s) => s.topicMessages.flatMap((t) => t.messages.map((m) => m.value?.[0])));
    expect(offsetsSent).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
  });

  it('after a failed produce sends nothing more, resolves nothing, and reports the failure once', async () => {
    const { producer, process, fatal } = setup({ maxBatchRecords: 2 });
    const ctl = controls();
    const done = process(batchOf(6), ctl);
    await settle();
    producer.sends[0]?.reject(new Error('broker down'));
    await done;
    expect(producer.sends).toHaveLength(1);
    expect(ctl.resolved).toEqual([]);
    expect(fatal).toHaveLength(1);
  });

  it('does not resolve a later chunk when an earlier produce fails after it was processed', async () => {
    const { producer, process } = setup({ maxBatchRecords: 2 });
    const ctl = controls();
    const done = process(batchOf(4), ctl);
    await settle();
    producer.sends[0]?.resolve();
    await settle();
    expect(ctl.resolved).toEqual(['1']);
    producer.sends[1]?.reject(new Error('broker down'));
    await done;
    expect(ctl.resolved).toEqual(['1']);
  });

  it('counts the byte cap per output topic', async () => {
    // Each record adds ~400 bytes (value, key, traceparent, overhead) to out-a and to out-b: two records fit per topic under 1024 bytes.
    const { producer, process } = setup({ maxBatchBytes: 1024, outputsTo: ['a', 'b'] });
    const ctl = controls();
    await acknowledgeSends(producer, process(batchOf(4, 300), ctl), 2);
    expect(producer.sends).toHaveLength(2);
    for (const send of producer.sends) {
      expect(send.topicMessages.map((t) => [t.topic, t.messages.length])).toEqual([
        ['out-a', 2],
        ['out-b', 2],
      ]);
    }
    expect(ctl.resolved).toEqual(['1', '3']);
  });

  it('adds up the outputs of one record to the same topic against the byte cap', async () => {
    // Each output is 400 bytes (300 value + 2 key + traceparent + 32 overhead), two per record to
    // out-a: after one record 800 are pending; each of the next record's outputs would fit alone
    // (1,200 <= 1,400) but both do not (1,600), so every record is a chunk of its own.
    const { producer, process } = setup({ maxBatchBytes: 1400, outputsTo: ['a', 'a'] });
    const ctl = controls();
    await acknowledgeSends(producer, process(batchOf(4, 300), ctl), 4);
    expect(producer.sends.map((send) => send.topicMessages.map((t) => [t.topic, t.messages.length]))).toEqual(
      Array.from({ length: 4 }, () => [['out-a', 2]]),
    );
    expect(ctl.resolved).toEqual(['0', '1', '2', '3']);
  });

  it('gives every output its own valid traceparent with a fresh span per record', async () => {
    const { producer, process } = setup({ outputsTo: ['a', 'b'] });
    const ctl = controls();
    const done = process(batchOf(3), ctl);
    await settle();
    producer.sends[0]?.resolve();
    await done;
    const messages = producer.sends[0]?.topicMessages.flatMap((t) => t.messages) ?? [];
    const parsed = messages.map((m) => parseTraceparent(String(m.headers.traceparent)));
    expect(parsed.every((p) => p !== undefined)).toBe(true);
    // Outputs of one record share its span; different records have different spans.
    const spansByRecord = new Map<number | undefined, Set<string | undefined>>();
    messages.forEach((m, i) => {
      const key = m.value?.[0];
      spansByRecord.set(key, (spansByRecord.get(key) ?? new Set()).add(parsed[i]?.spanId));
    });
    expect([...spansByRecord.values()].map((s) => s.size)).toEqual([1, 1, 1]);
    expect(new Set(parsed.map((p) => p?.spanId)).size).toBe(3);
  });
});
