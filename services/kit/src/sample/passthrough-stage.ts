import type { AvroSchemaJson } from '../avro';
import { z } from 'zod';
import { bytesCodec, type Codec } from '../codec';
import { FatalError, PoisonError, RetriableError } from '../errors';
import { defineStage } from '../stage';

/** A sample stage for tests and benchmarks: copies each record from one topic to another. */

export const sampleEventAvroSchema: AvroSchemaJson = {
  type: 'record',
  name: 'SampleEvent',
  namespace: 'seam.sample',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'seq', type: 'long' },
    { name: 'payload', type: 'string' },
  ],
};

export const SampleEvent = z.object({
  id: z.string().min(1),
  seq: z.number().int().nonnegative(),
  payload: z.string(),
});
export type SampleEvent = z.infer<typeof SampleEvent>;

export interface SampleStageOptions {
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly codec: Codec<SampleEvent>;
  /**
   * Demonstrates the error classes: ids starting with `poison-` throw PoisonError, `fatal-`
   * FatalError, and `flaky-` RetriableError on the first attempt only.
   */
  readonly simulateFailures?: boolean;
}

export function sampleEventStage(options: SampleStageOptions) {
  return defineStage({
    name: 'sample-passthrough',
    inputs: { events: { topic: options.inputTopic, codec: options.codec, schema: SampleEvent } },
    outputs: { events: { topic: options.outputTopic, codec: options.codec } },
    eventId: (record) => record.value.id,
    handle(record, ctx) {
      const { id } = record.value;
      if (options.simulateFailures === true) {
        if (id.startsWith('poison-')) throw new PoisonError('sample: record marked poison');
        if (id.startsWith('fatal-')) throw new FatalError('sample: record marked fatal');
        if (id.startsWith('flaky-') && ctx.attempt === 1) throw new RetriableError('sample: first attempt fails');
      }
      return [{ to: 'events', key: record.key, value: record.value }];
    },
  });
}

/** Bytes in, the same bytes out: the kit's overhead over a raw kafkajs loop, for the benchmark. */
export function bytesPassthroughStage(options: { readonly inputTopic: string; readonly outputTopic: string }) {
  const codec = bytesCodec();
  return defineStage({
    name: 'sample-passthrough',
    inputs: { bytes: { topic: options.inputTopic, codec, schema: z.instanceof(Buffer) } },
    outputs: { bytes: { topic: options.outputTopic, codec } },
    handle: (record) => [{ to: 'bytes', key: record.key, value: record.value }],
  });
}
