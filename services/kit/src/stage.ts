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

export interface StageLifecycleContext {
  readonly stage: string;
  readonly log: Logger;
}

export interface StageDefinition<I extends InputSpecs = InputSpecs, O extends OutputSpecs = OutputSpecs> {
  readonly name: string;
  readonly inputs: I;
  readonly outputs: O;
  handle(record: InputRecord<I>, ctx: HandlerContext): Promise<readonly OutputRecord<O>[]> | readonly OutputRecord<O>[];
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
