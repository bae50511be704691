import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Codec } from './codec';
import type { HeaderValue, RawHeaders } from './ports';
import type { TraceContext } from './trace';

export interface InputSpec<S extends z.ZodType = z.ZodType> {
  readonly topic: string;
  readonly codec: Codec<unknown>;
  /** Validates the decoded value; a failure sends the record to the DLQ as poison. */
  readonly schema: S;
}

export interface OutputSpec<T = unknown> {
  readonly topic: string;
  readonly codec: Codec<T>;
  /** Optional check before encoding; a failure makes the input record poison. */
  readonly schema?: z.ZodType<T>;
}

export type InputSpecs = Record<string, InputSpec>;
export type OutputSpecs = Record<string, { readonly topic: string; readonly codec: Codec<never>; readonly schema?: z.ZodType }>;

/** What the handler receives: the record of one of the inputs, discriminated by `input`. */
export type InputRecord<I extends InputSpecs> = {
  [K in keyof I & string]: {
    readonly input: K;
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    readonly key: Buffer | null;
    readonly value: z.output<I[K]['schema']>;
    readonly headers: RawHeaders;
    readonly timestamp: string | undefined;
  };
}[keyof I & string];

type OutputValue<S> = S extends { readonly codec: Codec<infer T> } ? T : never;

/** What the handler returns: records addressed to one of the outputs by name. */
export type OutputRecord<O extends OutputSpecs> = {
  [K in keyof O & string]: {
    readonly to: K;
    readonly key: string | Buffer | null;
    readonly value: OutputValue<O[K]>;
    readonly headers?: Readonly<Record<string, HeaderValue>>;
  };
}[keyof O & string];

export interface HandlerContext {
  readonly stage: string;
  /** Child logger with service, topic, partition, offset, eventId and traceId fields. */
  readonly log: Logger;
  readonly trace: TraceContext;
  /** 1 for the first attempt, then 2, 3, ... for retries of a RetriableError. */
  readonly attempt: number;
  /** Aborted when the stage shuts down; pass it to slow calls. */
  readonly signal: AbortSignal;
}

/** Context of a batch handler call: one fetched partition batch (or a cut of it), in offset order. */
export interface BatchHandlerContext {
  readonly stage: string;
  /** Child logger with service, topic, partition and the first and last offsets of the batch. */
  readonly log: Logger;
  /** The trace of each record, in the order of the records. */
  readonly traces: readonly TraceContext[];
  /** 1 for the first attempt, then 2, 3, ... when the whole batch is retried after a RetriableError. */
  readonly attempt: number;
  readonly signal: AbortSignal;
}

/**
 * One item per input record of a batch handler call: the record's outputs, or the error that sends
 * it (alone) to the DLQ. A FatalError item stops the stage at that record; every other error class
 * goes to the DLQ with its class and reason. Errors that should be retried (a store is down) are
 * thrown for the whole batch instead.
 *
 * `afterProduce` (optional): called once the broker acknowledged the produce that carries this
 * record's outputs (a record's outputs are never split between produces), before the record's
 * offset is resolved for commit — for a store that hands out work under a lease and must confirm
 * it only once the outputs are safe (the correlator's emission lease). It is NOT called when that
 * produce fails or the process stops first, so the stage must recover without it (a lease that
 * expires); an error it throws is logged and does not hold back the commit.
 */
export type BatchItemResult<O extends OutputSpecs> =
  | { readonly outputs: readonly OutputRecord<O>[]; readonly afterProduce?: () => Promise<void> | void }
  | { readonly error: unknown };

export interface StageLifecycleContext {
  readonly stage: string;
  readonly log: Logger;
}

export interface StageDefinition<I extends InputSpecs = InputSpecs, O extends OutputSpecs = OutputSpecs> {
  readonly name: string;
  readonly inputs: I;
  readonly outputs: O;
  handle(record: InputRecord<I>, ctx: HandlerContext): Promise<readonly OutputRecord<O>[]> | readonly OutputRecord<O>[];
  /**
   * Optional: handles the records of one partition batch together (for stages whose work is a
   * round trip to a store that can be batched, like the correlator's Redis state). When present the
   * kit calls it instead of `handle`, with up to `maxBatchRecords` decoded and validated records in
   * offset order; records that fail to decode or validate go to the DLQ before it is called. The
   * result must have one item per record, in order. A thrown error fails the whole call: retriable
   * errors retry it with backoff (then every record goes to the DLQ), fatal errors stop the stage,
   * any other error sends every record of the call to the DLQ. Outputs, commit order and the
   * overlap of produce with the next call are the same as with `handle`.
   */
  handleBatch?(records: readonly InputRecord<I>[], ctx: BatchHandlerContext): Promise<readonly BatchItemResult<O>[]>;
  /** The id to log as `eventId`; defaults to the record key as text. */
  eventId?(record: InputRecord<I>): string | undefined;
  onStart?(ctx: StageLifecycleContext): Promise<void> | void;
  onStop?(ctx: StageLifecycleContext): Promise<void> | void;
}

/** Identity function that infers the input and output types of a stage. */
export function defineStage<const I extends InputSpecs, const O extends OutputSpecs>(definition: StageDefinition<I, O>): StageDefinition<I, O> {
  return definition;
}

export function inputSpec<S extends z.ZodType>(topic: string, codec: Codec<unknown>, schema: S): InputSpec<S> {
  return { topic, codec, schema };
}

export function outputSpec<T>(topic: string, codec: Codec<T>, schema?: z.ZodType<T>): OutputSpec<T> {
  return schema === undefined ? { topic, codec } : { topic, codec, schema };
}
