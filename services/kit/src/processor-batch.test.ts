import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonCodec } from './codec';
import { FatalError, PoisonError, RetriableError } from './errors';
import { DLQ_HEADERS } from './headers';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import type { BatchControls, InputBatch, OutgoingMessage, ProducerPort, TopicMessages } from './ports';
import { createBatchProcessor } from './processor';
import { defineStage, type BatchItemResult } from './stage';
import { parseTraceparent } from './trace';

/** Acknowledges every send at once and keeps what was sent, per topic. */
class RecordingProducer implements ProducerPort {
  readonly sends: (readonly TopicMessages[])[] = [];
  connect(): Promise<void> {
    return Promise.resolve();
  }
  sendBatch(topicMessages: readonly TopicMessages[]): Promise<void> {
    this.sends.push(topicMessages);
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
  messages(topic: string): OutgoingMessage[] {
    return this.sends.flatMap((send) => send.filter((t) => t.topic === topic).flatMap((t) => [...t.messages]));
  }
}

function controls(): BatchControls & { resolved: string[] } {
  const resolved: string[] = [];
  return { resolved, resolveOffset: (offset) => resolved.push(offset), heartbeat: () => Promise.resolve(), isRunning: () => true, isStale: () => false };
}

const valueSchema = z.object({ n: z.number().int().nonnegative() });
type Value = z.infer<typeof valueSchema>;

function batchOf(values: readonly (Value | string)[]): InputBatch {
  return {
    topic: 'in',
    partition: 3,
    highWatermark: String(values.length),
    messages: values.map((value, n) => ({
      offset: String(n),
      key: Buffer.from(`k${n}`),
      value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    })),
  };
}

type Behaviour = (values: readonly Value[], attempt: number) => Promise<readonly BatchItemResult<{ out: { topic: string; codec: ReturnType<typeof jsonCodec<Value>> } }>[]>;

function setup(behaviour: Behaviour, options: { maxBatchRecords?: number; maxAttempts?: number; producer?: RecordingProducer } = {}) {
  const producer = options.producer ?? new RecordingProducer();
  const fatal: unknown[] = [];
  const calls: { values: number[]; attempt: number; traces: number }[] = [];
  let perRecord = 0;
  const codec = jsonCodec<Value>();
  const stage = defineStage({
    name: 'batch-test',
    inputs: { values: { topic: 'in', codec, schema: valueSchema } },
    outputs: { out: { topic: 'out', codec } },
    handle: () => {
      perRecord++;
      return [];
    },
    async handleBatch(records, ctx) {
      const values = records.map((r) => r.value);
      calls.push({ values: values.map((v) => v.n), attempt: ctx.attempt, traces: ctx.traces.length });
      return behaviour(values, ctx.attempt);
    },
  });
  const process = createBatchProcessor(stage, {
    producer,
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
    backoff: { maxAttempts: options.maxAttempts ?? 3, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, jitter: 0 },
    maxBatchRecords: options.maxBatchRecords ?? 1000,
    maxBatchBytes: 1_000_000,
    stopSignal: new AbortController().signal,
    onFatal: (error) => fatal.push(error),
  });
  return { producer, fatal, calls, process, perRecord: () => perRecord };
}

/** Writes every send, hook call and resolved offset into one log, in the order they happen. */
class LoggingProducer extends RecordingProducer {
  constructor(
    readonly log: string[],
    private readonly fail = false,
  ) {
    super();
  }
  override sendBatch(topicMessages: readonly TopicMessages[]): Promise<void> {
    const values = topicMessages.flatMap((t) => t.messages.map((m) => (JSON.parse(m.value?.toString() ?? 'null') as Value).n));
    this.log.push(`send ${values.join(',')}`);
    return this.fail ? Promise.reject(new Error('broker down')) : super.sendBatch(topicMessages);
  }
}

/** Every record doubled; the last of each call confirms with a hook that logs (or throws). */
const confirmingLast =
  (log: string[], throwing = false): Behaviour =>
  (values) =>
    Promise.resolve(
      values.map((v, i) => ({
        outputs: [{ to: 'out' as const, key: String(v.n), value: { n: v.n * 2 } }],
        ...(i === values.length - 1
          ? {
              afterProduce: () => {
                log.push(`hook ${v.n}`);
                if (throwing) throw new Error('ack failed');
              },
            }
          : {}),
      })),
    );

const loggingControls = (log: string[]): BatchControls => ({
  resolveOffset: (offset) => log.push(`resolve ${offset}`),
  heartbeat: () => Promise.resolve(),
  isRunning: () => true,
  isStale: () => false,
});

const doubled: Behaviour = (values) => Promise.resolve(values.map((v) => ({ outputs: [{ to: 'out' as const, key: String(v.n), value: { n: v.n * 2 } }] })));
const outValues = (producer: RecordingProducer) => producer.messages('out').map((m) => (JSON.parse(m.value?.toString() ?? 'null') as Value).n);
const dlqOffsets = (producer: RecordingProducer) => producer.messages('in.dlq').map((m) => m.headers?.[DLQ_HEADERS.sourceOffset]);

describe('batch handler (handleBatch)', () => {
  it('is called instead of handle, with cuts of maxBatchRecords in offset order, and resolves every offset after its outputs', async () => {
    const { producer, calls, process, perRecord } = setup(doubled, { maxBatchRecords: 3 });
    const ctl = controls();
    await process(batchOf([0, 1, 2, 3, 4, 5, 6].map((n) => ({ n }))), ctl);
    expect(perRecord()).toBe(0);
    expect(calls.map((c) => c.values)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(calls.every((c) => c.traces === c.values.length)).toBe(true);
    expect(outValues(producer)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(ctl.resolved).toEqual(['2', '5', '6']);
  });

  it('sends undecodable and invalid records to the DLQ before the call and hands over only the good ones', async () => {
    const { producer, calls, process } = setup(doubled);
    const ctl = controls();
    await process(batchOf([{ n: 1 }, 'not json', { n: -1 }, { n: 4 }]), ctl);
    expect(calls.map((c) => c.values)).toEqual([[1, 4]]);
    expect(outValues(producer)).toEqual([2, 8]);
    expect(dlqOffsets(producer)).toEqual(['1', '2']);
    expect(ctl.resolved).toEqual(['3']);
  });

  it('sends a record whose item is an error to the DLQ with its reason, and the others on', async () => {
    const { producer, process } = setup((values) =>
      Promise.resolve(values.map((v) => (v.n === 2 ? { error: new PoisonError('cannot correlate: no keys') } : { outputs: [{ to: 'out' as const, key: null, value: v }] }))),
    );
    const ctl = controls();
    await process(batchOf([1, 2, 3].map((n) => ({ n }))), ctl);
    expect(outValues(producer)).toEqual([1, 3]);
    const dlq = producer.messages('in.dlq');
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.key?.toString()).toBe('k1');
    expect(String(dlq[0]?.headers?.[DLQ_HEADERS.reason])).toBe('PoisonError: cannot correlate: no keys');
    expect(dlq[0]?.headers?.[DLQ_HEADERS.errorClass]).toBe('poison');
    expect(ctl.resolved).toEqual(['2']);
  });

  it('retries the whole call on a retriable error, then succeeds with one output per record', async () => {
    const { producer, calls, process } = setup((values, attempt) => (attempt < 3 ? Promise.reject(new RetriableError('redis down')) : doubled(values, attempt)));
    const ctl = controls();
    await process(batchOf([5, 6].map((n) => ({ n }))), ctl);
    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(outValues(producer)).toEqual([10, 12]);
    expect(dlqOffsets(producer)).toEqual([]);
  });

  it('sends every record of the call to the DLQ, each with its own bytes and the reason, when retries are exhausted', async () => {
    const { producer, calls, process } = setup(() => Promise.reject(new RetriableError('redis down')), { maxAttempts: 2 });
    const ctl = controls();
    await process(batchOf([7, 8, 9].map((n) => ({ n }))), ctl);
    expect(calls).toHaveLength(2);
    const dlq = producer.messages('in.dlq');
    expect(dlq.map((m) => m.key?.toString())).toEqual(['k0', 'k1', 'k2']);
    expect(dlq.map((m) => (JSON.parse(m.value?.toString() ?? 'null') as Value).n)).toEqual([7, 8, 9]);
    for (const m of dlq) expect(String(m.headers?.[DLQ_HEADERS.reason])).toMatch(/^Error: gave up after 2 attempts: RetriableError: redis down$/);
    expect(ctl.resolved).toEqual(['2']);
  });

  it('stops at a fatal item: records before it are produced and resolved, it and later ones are not', async () => {
    const { producer, fatal, process } = setup((values) =>
      Promise.resolve(values.map((v) => (v.n === 3 ? { error: new FatalError('state corrupt') } : { outputs: [{ to: 'out' as const, key: null, value: v }] }))),
    );
    const ctl = controls();
    await process(batchOf([1, 2, 3, 4].map((n) => ({ n }))), ctl);
    expect(outValues(producer)).toEqual([1, 2]);
    expect(ctl.resolved).toEqual(['1']);
    expect(fatal).toHaveLength(1);
  });

  it('treats a result of the wrong length as fatal and resolves nothing', async () => {
    const { fatal, process } = setup(() => Promise.resolve([]));
    const ctl = controls();
    await process(batchOf([{ n: 1 }]), ctl);
    expect(fatal).toHaveLength(1);
    expect(String(fatal[0])).toMatch(/returned 0 results for 1 records/);
    expect(ctl.resolved).toEqual([]);
  });

  it('runs a record\'s afterProduce hook once its outputs were acknowledged, before its offset is resolved', async () => {
    const log: string[] = [];
    const { process } = setup(confirmingLast(log), { maxBatchRecords: 2, producer: new LoggingProducer(log) });
    await process(batchOf([1, 2, 3].map((n) => ({ n }))), loggingControls(log));
    expect(log).toEqual(['send 2,4', 'hook 2', 'resolve 1', 'send 6', 'hook 3', 'resolve 2']);
  });

  it('does not run afterProduce when the produce fails, and resolves nothing', async () => {
    const log: string[] = [];
    const { process, fatal } = setup(confirmingLast(log), { producer: new LoggingProducer(log, true) });
    await process(batchOf([1, 2].map((n) => ({ n }))), loggingControls(log));
    expect(log).toEqual(['send 2,4']);
    expect(fatal).toHaveLength(1);
  });

  it('a failing afterProduce hook is logged and the offset still resolves', async () => {
    const log: string[] = [];
    const { process, fatal } = setup(confirmingLast(log, true), { producer: new LoggingProducer(log) });
    await process(batchOf([1, 2].map((n) => ({ n }))), loggingControls(log));
    expect(log).toEqual(['send 2,4', 'hook 2', 'resolve 1']);
    expect(fatal).toEqual([]);
  });

  it('gives each output the trace of its own input record', async () => {
    const { producer, process } = setup(doubled);
    const plain = batchOf([{ n: 1 }, { n: 2 }]);
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const batch: InputBatch = { ...plain, messages: plain.messages.map((m, i) => (i === 0 ? { ...m, headers: { traceparent: parent } } : m)) };
    await process(batch, controls());
    const traces = producer.messages('out').map((m) => parseTraceparent(String(m.headers?.traceparent)));
    expect(traces[0]?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(traces[1]?.traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
  });
});
