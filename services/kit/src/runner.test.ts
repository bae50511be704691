import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bytesCodec, jsonCodec } from './codec';
import { FatalError, PoisonError, RetriableError } from './errors';
import { DLQ_HEADERS } from './headers';
import { createLogger } from './logger';
import { InMemoryBroker, InMemoryConsumer, InMemoryProducer } from './memory';
import { createMetrics } from './metrics';
import { StageRunner, type RunnerDeps } from './runner';
import { defineStage, type HandlerContext, type InputRecord } from './stage';
import { parseTraceparent } from './trace';

const Event = z.object({ id: z.string(), n: z.number().int().nonnegative() });
type Event = z.infer<typeof Event>;

type Behaviour = (value: Event, ctx: HandlerContext) => void | Promise<void>;

function makeStage(behaviour: Behaviour = () => undefined) {
  return defineStage({
    name: 'test-stage',
    inputs: { events: { topic: 'in', codec: jsonCodec<Event>(), schema: Event } },
    outputs: { out: { topic: 'out', codec: jsonCodec<Event & { seenAt: string }>() } },
    async handle(record, ctx) {
      await behaviour(record.value, ctx);
      return [{ to: 'out', key: record.key, value: { ...record.value, seenAt: record.offset } }];
    },
  });
}

function setup(broker: InMemoryBroker, overrides: Partial<RunnerDeps> = {}) {
  const producer = new InMemoryProducer(broker);
  const consumer = new InMemoryConsumer(broker, { groupId: 'g', maxBatchSize: 10 });
  const deps: RunnerDeps = {
    consumer,
    producer,
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
    backoff: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, jitter: 0 },
    concurrency: 2,
    maxBatchRecords: 1000,
    sleep: () => Promise.resolve(),
    ...overrides,
  };
  return { producer, consumer, deps };
}

function publish(broker: InMemoryBroker, count: number, partitions = 2, start = 0) {
  broker.createTopic('in', partitions);
  for (let n = start; n < start + count; n++) {
    broker.append('in', { key: `k${n % 5}`, value: Buffer.from(JSON.stringify({ id: `e${n}`, n })) });
  }
}

async function until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const outIds = (broker: InMemoryBroker) => broker.messages('out').map((m) => (JSON.parse(m.value?.toString() ?? 'null') as Event).id);
const committedTotal = (broker: InMemoryBroker) => [0, 1].reduce((sum, p) => sum + (broker.committed('g', 'in', p) ?? 0), 0);

describe('StageRunner on the in-memory broker', () => {
  it('processes every record once, keeps per-key order, commits to the end, propagates traceparent', async () => {
    const broker = new InMemoryBroker();
    publish(broker, 50);
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    broker.append('in', { key: 'k0', value: Buffer.from(JSON.stringify({ id: 'traced', n: 1 })), headers: { traceparent: incoming } });
    const { deps } = setup(broker);
    const runner = new StageRunner(makeStage(), deps);
    await runner.start();
    expect(runner.isReady()).toBe(true);
    await until(() => committedTotal(broker) === 51);
    await runner.stop();
    expect((await runner.done).exitCode).toBe(0);
    expect(runner.isReady()).toBe(false);

    expect(outIds(broker).sort()).toEqual([...Array.from({ length: 50 }, (_, n) => `e${n}`), 'traced'].sort());
    // Per key, outputs appear in input order.
    const byKey = new Map<string, number[]>();
    for (const m of broker.messages('out')) {
      const value = JSON.parse(m.value?.toString() ?? '{}') as Event;
      if (value.id === 'traced') continue;
      const key = m.key?.toString() ?? '';
      byKey.set(key, [...(byKey.get(key) ?? []), value.n]);
    }
    for (const ns of byKey.values()) expect(ns).toEqual([...ns].sort((a, b) => a - b));

    const traced = broker.messages('out').find((m) => m.value?.toString().includes('traced'));
    const parsed = parseTraceparent(String(traced?.headers['traceparent']));
    expect(parsed?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parsed?.spanId).not.toBe('00f067aa0ba902b7');
    const other = broker.messages('out').find((m) => m.value?.toString().includes('"e1"'));
    expect(parseTraceparent(String(other?.headers['traceparent']))).toBeDefined();
    const consumed = await deps.metrics.registry.getSingleMetricAsString('seam_records_consumed_total');
    expect(consumed).toContain('seam_records_consumed_total{stage="test-stage",topic="in"} 51');
  });

  it('sends poison, undecodable and invalid records to <topic>.dlq with original bytes and reason headers, and keeps going', async () => {
    const broker = new InMemoryBroker();
    broker.createTopic('in', 1);
    broker.append('in', { key: 'a', value: Buffer.from('{"id":"ok1","n":1}') });
    broker.append('in', { key: 'b', value: Buffer.from('not json'), headers: { 'seam.error.class': 'spoofed', custom: 'x' } });
    broker.append('in', { key: 'c', value: Buffer.from('{"id":"neg","n":-1}') });
    broker.append('in', { key: 'd', value: Buffer.from('{"id":"poison","n":2}') });
    broker.append('in', { key: 'e', value: Buffer.from('{"id":"ok2","n":3}') });
    const { deps } = setup(broker);
    const runner = new StageRunner(
      makeStage((value) => {
        if (value.id === 'poison') throw new PoisonError('cannot use this record');
      }),
      deps,
    );
    await runner.start();
    await until(() => broker.committed('g', 'in', 0) === 5);
    await runner.stop();

    expect(outIds(broker)).toEqual(['ok1', 'ok2']);
    const dlq = broker.messages('in.dlq');
    expect(dlq.map((m) => m.key?.toString())).toEqual(['b', 'c', 'd']);
    expect(dlq[0]?.value?.toString()).toBe('not json');
    expect(dlq[1]?.value?.toString()).toBe('{"id":"neg","n":-1}');
    for (const m of dlq) {
      expect(m.headers[DLQ_HEADERS.errorClass]).toBe('poison');
      expect(m.headers[DLQ_HEADERS.sourceTopic]).toBe('in');
      expect(m.headers[DLQ_HEADERS.sourcePartition]).toBe('0');
      expect(m.headers[DLQ_HEADERS.stage]).toBe('test-stage');
      expect(Number.isNaN(Date.parse(String(m.headers[DLQ_HEADERS.failedAt])))).toBe(false);
    }
    expect(dlq.map((m) => m.headers[DLQ_HEADERS.sourceOffset])).toEqual(['1', '2', '3']);
    expect(dlq[0]?.headers['custom']).toBe('x');
    expect(String(dlq[0]?.headers[DLQ_HEADERS.reason])).toMatch(/^DecodeError: invalid JSON \(8 bytes\)$/);
    expect(String(dlq[1]?.headers[DLQ_HEADERS.reason])).toMatch(/^ValidationError: .*n: Too small/);
    expect(String(dlq[2]?.headers[DLQ_HEADERS.reason])).toBe('PoisonError: cannot use this record');
    const metric = await deps.metrics.registry.getSingleMetricAsString('seam_records_dlq_total');
    expect(metric).toContain('error_class="poison"} 3');
  });

  it('retries retriable errors with backoff, then DLQs them with class retriable', async () => {
    const broker = new InMemoryBroker();
    broker.createTopic('in', 1);
    broker.append('in', { key: 'a', value: Buffer.from('{"id":"flaky","n":1}') });
    broker.append('in', { key: 'b', value: Buffer.from('{"id":"down","n":2}') });
    const attempts = new Map<string, number>();
    const delays: number[] = [];
    const { deps } = setup(broker, {
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    const runner = new StageRunner(
      makeStage((value, ctx) => {
        attempts.set(value.id, ctx.attempt);
        if (value.id === 'flaky' && ctx.attempt < 3) throw new RetriableError('dependency timeout');
        if (value.id === 'down') throw new Error('connection refused');
      }),
      deps,
    );
    await runner.start();
    await until(() => broker.committed('g', 'in', 0) === 2);
    await runner.stop();
    expect(outIds(broker)).toEqual(['flaky']);
    expect(attempts.get('flaky')).toBe(3);
    expect(attempts.get('down')).toBe(3);
    expect(delays).toHaveLength(4);
    const dlq = broker.messages('in.dlq');
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.headers[DLQ_HEADERS.errorClass]).toBe('retriable');
    expect(String(dlq[0]?.headers[DLQ_HEADERS.reason])).toContain('gave up after 3 attempts');
  });

  it('an output larger than a produce can carry sends its input to the DLQ with the reason, instead of stopping the stage', async () => {
    const broker = new InMemoryBroker();
    broker.createTopic('in', 1);
    broker.append('in', { key: 'a', value: Buffer.from('{"id":"ok1","n":1}') });
    broker.append('in', { key: 'b', value: Buffer.from(JSON.stringify({ id: 'x'.repeat(3_000), n: 2 })) });
    broker.append('in', { key: 'c', value: Buffer.from('{"id":"ok2","n":3}') });
    const { deps } = setup(broker, { maxRecordBytes: 2_048 });
    const runner = new StageRunner(makeStage(), deps);
    await runner.start();
    await until(() => broker.committed('g', 'in', 0) === 3);
    await runner.stop();
    expect(outIds(broker)).toEqual(['ok1', 'ok2']);
    const dlq = broker.messages('in.dlq');
    expect(dlq.map((m) => m.key?.toString())).toEqual(['b']);
    expect(dlq[0]?.headers[DLQ_HEADERS.errorClass]).toBe('poison');
    expect(String(dlq[0]?.headers[DLQ_HEADERS.reason])).toMatch(/output out is 3\d{3} bytes, over the record limit of 2048/);
  });

  it('on FatalError commits the records before it, stops with exit code 1, and a restart loses nothing', async () => {
    const broker = new InMemoryBroker();
    broker.createTopic('in', 1);
    for (let n = 0; n < 30; n++) broker.append('in', { key: 'k', value: Buffer.from(JSON.stringify({ id: `e${n}`, n })) });
    const first = setup(broker);
    const crashing = new StageRunner(
      makeStage((value) => {
        if (value.n === 17) throw new FatalError('invariant broken');
      }),
      first.deps,
    );
    await crashing.start();
    const result = await crashing.done;
    expect(result.exitCode).toBe(1);
    expect(result.error).toBeInstanceOf(FatalError);
    expect(broker.committed('g', 'in', 0)).toBe(17);
    expect(outIds(broker)).toHaveLength(17);

    const second = setup(broker);
    const restarted = new StageRunner(makeStage(), second.deps);
    await restarted.start();
    await until(() => broker.committed('g', 'in', 0) === 30);
    await restarted.stop();
    expect(outIds(broker)).toEqual(Array.from({ length: 30 }, (_, n) => `e${n}`));
  });

  it('never commits past outputs the broker did not acknowledge; duplicates stay within one batch', async () => {
    const broker = new InMemoryBroker();
    broker.createTopic('in', 1);
    for (let n = 0; n < 40; n++) broker.append('in', { key: 'k', value: Buffer.from(JSON.stringify({ id: `e${n}`, n })) });
    const first = setup(broker, { maxBatchRecords: 5 });
    let sends = 0;
    const realSend = first.producer.sendBatch.bind(first.producer);
    first.producer.sendBatch = async (batch) => {
      sends++;
      if (sends === 4) first.producer.failNextSends = 1;
      await realSend(batch);
    };
    const runner = new StageRunner(makeStage(), first.deps);
    await runner.start();
    expect((await runner.done).exitCode).toBe(1);
    expect(broker.committed('g', 'in', 0)).toBe(15);
    expect(outIds(broker)).toHaveLength(15);

    const second = setup(broker);
    const restarted = new StageRunner(makeStage(), second.deps);
    await restarted.start();
    await until(() => broker.committed('g', 'in', 0) === 40);
    await restarted.stop();
    const ids = outIds(broker);
    expect(new Set(ids).size).toBe(40);
    expect(ids.length - 40).toBeLessThanOrEqual(5);
  });

  it('produces once per chunk of maxBatchRecords, with all outputs of the chunk in one sendBatch', async () => {
    const broker = new InMemoryBroker();
    publish(broker, 10, 1);
    const { deps, producer } = setup(broker, { maxBatchRecords: 4 });
    const runner = new StageRunner(makeStage(), deps);
    await runner.start();
    await until(() => broker.committed('g', 'in', 0) === 10);
    await runner.stop();
    expect(producer.sent.map((batch) => batch.reduce((n, t) => n + t.messages.length, 0))).toEqual([4, 4, 2]);
  });

  it('flushes before pending outputs would exceed maxBatchBytes', async () => {
    const broker = new InMemoryBroker();
    publish(broker, 10, 1);
    // Each output is ~130 bytes (value, key, traceparent header, overhead): at most two fit in 300.
    const { deps, producer } = setup(broker, { maxBatchBytes: 300 });
    const runner = new StageRunner(makeStage(), deps);
    await runner.start();
    await until(() => broker.committed('g', 'in', 0) === 10);
    await runner.stop();
    const sizes = producer.sent.map((batch) => batch.reduce((n, t) => n + t.messages.length, 0));
    expect(sizes).toEqual([2, 2, 2, 2, 2]);
  });

  it('processes different partitions concurrently', async () => {
    const broker = new InMemoryBroker();
    broker.createTopic('in', 2);
    broker.append('in', { key: 'a', value: Buffer.from('{"id":"p0","n":0}'), partition: 0 });
    broker.append('in', { key: 'b', value: Buffer.from('{"id":"p1","n":1}'), partition: 1 });
    let releaseP0!: () => void;
    const p0Waiting = new Promise<void>((resolve) => {
      releaseP0 = resolve;
    });
    const { deps } = setup(broker, { concurrency: 2 });
    const runner = new StageRunner(
      makeStage(async (value) => {
        if (value.id === 'p0') await p0Waiting; // only released once p1 was handled
        if (value.id === 'p1') releaseP0();
      }),
      deps,
    );
    await runner.start();
    await until(() => outIds(broker).length === 2);
    await runner.stop();
    expect(outIds(broker)).toEqual(expect.arrayContaining(['p0', 'p1']));
  });

  it('stops while a retry is waiting without committing that record', async () => {
    const broker = new InMemoryBroker();
    broker.createTopic('in', 1);
    broker.append('in', { key: 'a', value: Buffer.from('{"id":"ok","n":0}') });
    broker.append('in', { key: 'b', value: Buffer.from('{"id":"stuck","n":1}') });
    const { deps } = setup(broker, {
      backoff: { maxAttempts: 100, initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1, jitter: 0 },
    });
    const { sleep: _fakeSleep, ...realDeps } = deps; // the real, abortable sleep
    let handledStuck = false;
    const runner = new StageRunner(
      makeStage((value) => {
        if (value.id === 'stuck') {
          handledStuck = true;
          throw new RetriableError('down');
        }
      }),
      realDeps,
    );
    await runner.start();
    await until(() => handledStuck);
    const started = Date.now();
    await runner.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await runner.done).exitCode).toBe(0);
    expect(broker.committed('g', 'in', 0)).toBe(1);
    expect(outIds(broker)).toEqual(['ok']);
  });

  it('passes bytes through unchanged with the bytes codec', async () => {
    const broker = new InMemoryBroker();
    broker.createTopic('in', 1);
    const payload = Buffer.from([0, 1, 2, 255]);
    broker.append('in', { key: null, value: payload });
    const stage = defineStage({
      name: 'bytes',
      inputs: { raw: { topic: 'in', codec: bytesCodec(), schema: z.instanceof(Buffer) } },
      outputs: { raw: { topic: 'out', codec: bytesCodec() } },
      handle: (record: InputRecord<{ raw: { topic: string; codec: ReturnType<typeof bytesCodec>; schema: z.ZodCustom<Buffer> } }>) => [{ to: 'raw' as const, key: record.key, value: record.value }],
    });
    const { deps } = setup(broker);
    const runner = new StageRunner(stage, deps);
    await runner.start();
    await until(() => broker.messages('out').length === 1);
    await runner.stop();
    expect(broker.messages('out')[0]?.value).toEqual(payload);
  });
});
