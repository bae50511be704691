import type { Logger } from 'pino';
import { backoffDelay, type BackoffPolicy } from './backoff';
import { DecodeError, EncodeError, FatalError, ValidationError, classifyError, errorReason, isSeamError, type ErrorClass } from './errors';
import { DEFAULT_MAX_RECORD_BYTES } from './config';
import {
  DLQ_HEADER_ERROR_CLASS,
  DLQ_HEADER_ERROR_REASON,
  DLQ_HEADER_FAILED_AT,
  DLQ_HEADER_SOURCE_OFFSET,
  DLQ_HEADER_SOURCE_PARTITION,
  DLQ_HEADER_SOURCE_TOPIC,
  DLQ_HEADER_STAGE,
  dlqTopicFor,
  headerText,
} from './headers';
import type { KitMetrics } from './metrics';
import type { BatchControls, HeaderValue, InputBatch, OutgoingMessage, ProducerPort, RawMessage, TopicMessages } from './ports';
import type { BatchHandlerContext, BatchItemResult, HandlerContext, InputRecord, InputSpec, InputSpecs, OutputSpec, OutputSpecs, StageDefinition } from './stage';
import { TRACEPARENT_HEADER, continueTrace, formatTraceparent, type TraceContext } from './trace';

export interface ProcessorDeps {
  readonly producer: ProducerPort;
  readonly logger: Logger;
  readonly metrics: KitMetrics;
  readonly backoff: BackoffPolicy;
  /** Outputs are produced, and offsets resolved, at least every this many input records. */
  readonly maxBatchRecords: number;
  /**
   * ...and before the pending outputs to one topic would exceed this many bytes, so that a produce
   * stays below the broker's message.max.bytes (1 MiB by default, a limit per partition) even if all
   * outputs of a topic go to one partition.
   */
  readonly maxBatchBytes: number;
  /**
   * The largest output record (key + value + headers, bytes) a produce can carry: the broker refuses
   * a larger one (message.max.bytes, 1,048,588 by default, for the record batch it travels in), and
   * a refused produce stops the stage, again after every restart. An input whose output is larger
   * goes to its DLQ with that reason instead (EncodeError). Default DEFAULT_MAX_RECORD_BYTES.
   */
  readonly maxRecordBytes?: number;
  /** Aborted when the stage starts shutting down: ends retry waits early. */
  readonly stopSignal: AbortSignal;
  /** Called once when processing must stop for good (FatalError, failed produce). */
  readonly onFatal: (error: unknown) => void;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now?: () => Date;
}

type Encoded = [string, OutgoingMessage];

type RecordOutcome =
  | { readonly kind: 'ok'; readonly outputs: readonly Encoded[]; readonly afterProduce?: AfterProduce }
  | { readonly kind: 'dlq'; readonly message: OutgoingMessage; readonly errorClass: ErrorClass }
  | { readonly kind: 'fatal'; readonly error: unknown }
  | { readonly kind: 'aborted' };

type OkOutcome = Extract<RecordOutcome, { kind: 'ok' }>;

/** What the batch loop does after a record: go on, stop after producing what came before, or stop. */
type Next = 'next' | 'aborted' | 'stop';

interface LooseOutput {
  readonly to: string;
  readonly key: string | Buffer | null;
  readonly value: unknown;
  readonly headers?: Readonly<Record<string, HeaderValue>>;
}
type HandlerResult = readonly LooseOutput[];

/** Per-record state kept across retry attempts. */
interface RecordState {
  readonly batch: InputBatch;
  readonly input: { readonly name: string; readonly spec: InputSpec };
  readonly message: RawMessage;
  readonly trace: TraceContext;
  record: InputRecord<InputSpecs> | undefined;
  log: Logger | undefined;
}

/** A batch handler's confirmation that a record's outputs were produced (BatchItemResult). */
type AfterProduce = () => Promise<void> | void;

/** A cut of processed records whose outputs are produced together, then whose last offset is resolved. */
interface Chunk {
  readonly pending: Map<string, OutgoingMessage[]>;
  readonly dlqCounts: Map<ErrorClass, number>;
  /** The records' afterProduce hooks, in offset order: run once the chunk's produce is acknowledged. */
  readonly afterProduce: AfterProduce[];
  readonly records: number;
  readonly last: RawMessage;
}

const MAX_LOGGED_KEY = 200;
const RECORD_OVERHEAD_BYTES = 32;

function messageSize(message: OutgoingMessage): number {
  let size = RECORD_OVERHEAD_BYTES + (message.value?.length ?? 0) + (message.key?.length ?? 0);
  const headers = message.headers;
  for (const name in headers) size += name.length + (headers[name]?.length ?? 0);
  return size;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function validationMessage(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  // Paths and rule messages only: zod messages do not carry the offending (attacker-controlled) value.
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

function decodeError(spec: InputSpec, error: unknown): unknown {
  // Codecs throw SeamErrors when they know better (e.g. registry unreachable: retriable).
  if (isSeamError(error)) return error;
  return new DecodeError(`cannot decode ${spec.codec.name} value: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

function encodeError(to: string, error: unknown): unknown {
  if (isSeamError(error)) return error;
  return new EncodeError(`cannot encode output ${to}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * The per-batch loop: for each record of one partition, in order, decode -> validate -> handle
 * (retrying retriable errors) -> encode; outputs and DLQ records are produced in chunks (at most
 * maxBatchRecords input records, maxBatchBytes per output topic), and the last offset of a chunk is
 * resolved only once the broker acknowledged the chunk. While one chunk's produce is in flight the
 * next chunk is processed, but its produce starts only after the previous one was acknowledged: one
 * produce in flight per partition, so output order and the commit rule (an offset is resolved only
 * after its outputs and those of every earlier record of the partition are acknowledged) hold.
 *
 * Records whose codec and handler are synchronous go through without promise hops; anything async
 * (codec, handler, retries) takes the general path with the same semantics.
 */
export function createBatchProcessor<I extends InputSpecs, O extends OutputSpecs>(
  stage: StageDefinition<I, O>,
  deps: ProcessorDeps,
): (batch: InputBatch, controls: BatchControls) => Promise<void> {
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? (() => new Date());
  const inputsByTopic = new Map<string, { name: string; spec: InputSpec }>();
  for (const [name, spec] of Object.entries(stage.inputs)) inputsByTopic.set(spec.topic, { name, spec });
  const outputs = stage.outputs as OutputSpecs;
  const handle = (record: InputRecord<InputSpecs>, ctx: HandlerContext): Promise<HandlerResult> | HandlerResult => stage.handle(record as InputRecord<I>, ctx);
  let halted = false;

  function halt(error: unknown): void {
    if (halted) return;
    halted = true;
    deps.onFatal(error);
  }

  function dlqMessage(batch: InputBatch, message: RawMessage, errorClass: ErrorClass, error: unknown): OutgoingMessage {
    const headers: Record<string, HeaderValue> = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      if (value === undefined || name.startsWith('seam.')) continue;
      const first = Array.isArray(value) ? value[0] : value;
      if (first !== undefined) headers[name] = first;
    }
    headers[DLQ_HEADER_ERROR_CLASS] = errorClass;
    headers[DLQ_HEADER_ERROR_REASON] = errorReason(error);
    headers[DLQ_HEADER_SOURCE_TOPIC] = batch.topic;
    headers[DLQ_HEADER_SOURCE_PARTITION] = String(batch.partition);
    headers[DLQ_HEADER_SOURCE_OFFSET] = message.offset;
    headers[DLQ_HEADER_STAGE] = stage.name;
    headers[DLQ_HEADER_FAILED_AT] = now().toISOString();
    return { key: message.key, value: message.value, headers };
  }

  function childLog(state: RecordState): Logger {
    if (state.log === undefined) {
      const { batch, message, trace, record } = state;
      let eventId = stage.eventId && record ? stage.eventId(record as InputRecord<I>) : message.key?.toString('utf8');
      if (eventId !== undefined && eventId.length > MAX_LOGGED_KEY) eventId = eventId.slice(0, MAX_LOGGED_KEY);
      state.log = deps.logger.child({ topic: batch.topic, partition: batch.partition, offset: message.offset, eventId, traceId: trace.traceId, spanId: trace.spanId });
    }
    return state.log;
  }

  function toRecord(state: RecordState, value: unknown): InputRecord<InputSpecs> {
    const { batch, input, message } = state;
    const parsed = input.spec.schema.safeParse(value);
    if (!parsed.success) throw new ValidationError(`value does not match the ${input.name} schema: ${validationMessage(parsed.error.issues)}`);
    return {
      input: input.name,
      topic: batch.topic,
      partition: batch.partition,
      offset: message.offset,
      key: message.key,
      value: parsed.data,
      headers: message.headers ?? {},
      timestamp: message.timestamp,
    };
  }

  /** Decoded and validated input, synchronously when the codec is synchronous. Throws on failure. */
  function decodeRecord(state: RecordState): InputRecord<InputSpecs> | Promise<InputRecord<InputSpecs>> {
    const { message, input } = state;
    let value: unknown;
    try {
      value = message.value === null ? null : input.spec.codec.decode(message.value, state.batch.topic);
    } catch (error) {
      throw decodeError(input.spec, error);
    }
    if (value instanceof Promise) {
      return (value as Promise<unknown>).then(
        (resolved) => (state.record = toRecord(state, resolved)),
        (error: unknown) => {
          throw decodeError(input.spec, error);
        },
      );
    }
    return (state.record = toRecord(state, value));
  }

  function encodeValue(to: string, spec: OutputSpec, value: unknown): Buffer | Promise<Buffer> {
    let encoded: Buffer | Promise<Buffer>;
    try {
      let candidate = value;
      if (spec.schema !== undefined) {
        const checked = spec.schema.safeParse(candidate);
        if (!checked.success) throw new EncodeError(`output ${to} is invalid: ${validationMessage(checked.error.issues)}`);
        candidate = checked.data;
      }
      encoded = spec.codec.encode(candidate, spec.topic);
    } catch (error) {
      throw encodeError(to, error);
    }
    if (isPromiseLike(encoded)) {
      return Promise.resolve(encoded).catch((error: unknown) => {
        throw encodeError(to, error);
      });
    }
    return encoded;
  }

  const maxRecordBytes = deps.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  /** The output itself, or an EncodeError (its input goes to the DLQ) when no produce could carry it. */
  function withinRecordLimit(to: string, output: Encoded): Encoded {
    const { key, value, headers } = output[1];
    let bytes = (value === null ? 0 : value.length) + (key === null ? 0 : Buffer.byteLength(key));
    for (const [name, header] of Object.entries(headers)) bytes += Buffer.byteLength(name) + (Buffer.isBuffer(header) ? header.length : Buffer.byteLength(String(header)));
    if (bytes > maxRecordBytes) throw new EncodeError(`output ${to} is ${bytes} bytes, over the record limit of ${maxRecordBytes} (KAFKA_MAX_RECORD_BYTES; the broker's message.max.bytes)`);
    return output;
  }

  /** Encodes outputs from index `from` on, one after the other; synchronous while the codecs are. */
  function encodeOutputs(result: HandlerResult, traceparent: string, from: number, encoded: Encoded[]): Encoded[] | Promise<Encoded[]> {
    for (let i = from; i < result.length; i++) {
      const output = result[i];
      if (output === undefined) continue;
      const spec = outputs[output.to];
      if (spec === undefined) throw new FatalError(`stage ${stage.name} returned a record for unknown output "${output.to}"`);
      const value = encodeValue(output.to, spec, output.value);
      const headers: Record<string, HeaderValue> = output.headers === undefined ? { [TRACEPARENT_HEADER]: traceparent } : { ...output.headers, [TRACEPARENT_HEADER]: traceparent };
      if (value instanceof Promise) {
        return value.then((buffer) => {
          encoded.push(withinRecordLimit(output.to, [spec.topic, { key: output.key, value: buffer, headers }]));
          return encodeOutputs(result, traceparent, i + 1, encoded);
        });
      }
      encoded.push(withinRecordLimit(output.to, [spec.topic, { key: output.key, value, headers }]));
    }
    return encoded;
  }

  function okOutcome(result: HandlerResult, trace: TraceContext): OkOutcome | Promise<OkOutcome> {
    const encoded = encodeOutputs(result, formatTraceparent(trace), 0, []);
    if (encoded instanceof Promise) return encoded.then((outputs) => ({ kind: 'ok', outputs }));
    return { kind: 'ok', outputs: encoded };
  }

  /**
   * The handler's context. A class with the logger as a prototype getter: an object literal with a
   * `get` accessor builds a new accessor pair per record, a measurable share of the loop's CPU.
   */
  class RecordContext implements HandlerContext {
    readonly stage = stage.name;
    readonly signal = deps.stopSignal;
    readonly trace: TraceContext;
    constructor(
      private readonly state: RecordState,
      readonly attempt: number,
    ) {
      this.trace = state.trace;
    }
    get log(): Logger {
      return childLog(this.state);
    }
  }

  /** One attempt: decode (once) -> handle -> encode. Throws (or rejects) with the attempt's error. */
  function attemptRecord(state: RecordState, attempt: number): OkOutcome | Promise<OkOutcome> {
    const ctx = new RecordContext(state, attempt);
    // No closure per record on the synchronous path: one only when decoding is asynchronous.
    if (state.record !== undefined) return handleRecord(state, ctx, state.record);
    const record = decodeRecord(state);
    return record instanceof Promise ? record.then((decoded) => handleRecord(state, ctx, decoded)) : handleRecord(state, ctx, record);
  }

  function handleRecord(state: RecordState, ctx: HandlerContext, record: InputRecord<InputSpecs>): OkOutcome | Promise<OkOutcome> {
    const result = handle(record, ctx);
    if (isPromiseLike(result)) return Promise.resolve(result).then((resolved) => okOutcome(resolved, state.trace));
    return okOutcome(result, state.trace);
  }

  type FailureOutcome = Exclude<RecordOutcome, OkOutcome>;

  /**
   * What becomes of a record after `firstError`: retriable errors call `retry` again with backoff
   * until it succeeds or the policy gives up (DLQ); poison goes to the DLQ; fatal stops the stage.
   */
  async function afterFailure(state: RecordState, firstError: unknown, controls: BatchControls): Promise<RecordOutcome>;
  async function afterFailure<T>(state: RecordState, firstError: unknown, controls: BatchControls, retry: (attempt: number) => T | Promise<T>): Promise<T | FailureOutcome>;
  async function afterFailure(
    state: RecordState,
    firstError: unknown,
    controls: BatchControls,
    retry: (attempt: number) => unknown = (attempt) => attemptRecord(state, attempt),
  ): Promise<unknown> {
    let error = firstError;
    for (let attempt = 1; ; ) {
      const errorClass = classifyError(error);
      switch (errorClass) {
        case 'fatal':
          childLog(state).fatal({ err: error, errorClass }, 'fatal error in handler');
          return { kind: 'fatal', error };
        case 'poison':
          childLog(state).warn({ err: error, errorClass }, 'poison record sent to DLQ');
          return { kind: 'dlq', errorClass, message: dlqMessage(state.batch, state.message, errorClass, error) };
        case 'retriable': {
          const delay = backoffDelay(deps.backoff, attempt);
          if (delay === undefined) {
            childLog(state).warn({ err: error, errorClass, attempts: attempt }, 'retries exhausted, record sent to DLQ');
            const reason = new Error(`gave up after ${attempt} attempts: ${errorReason(error)}`);
            return { kind: 'dlq', errorClass, message: dlqMessage(state.batch, state.message, errorClass, reason) };
          }
          childLog(state).info({ err: error, errorClass, attempt, delayMs: delay }, 'retriable error, retrying');
          await sleep(delay, deps.stopSignal);
          if (deps.stopSignal.aborted || !controls.isRunning()) return { kind: 'aborted' };
          await controls.heartbeat();
          break;
        }
      }
      attempt++;
      try {
        return await retry(attempt);
      } catch (next) {
        error = next;
      }
    }
  }

  function newState(batch: InputBatch, input: { name: string; spec: InputSpec }, message: RawMessage): RecordState {
    return { batch, input, message, trace: continueTrace(headerText(message.headers, TRACEPARENT_HEADER)), record: undefined, log: undefined };
  }

  function processRecord(batch: InputBatch, input: { name: string; spec: InputSpec }, message: RawMessage, controls: BatchControls): RecordOutcome | Promise<RecordOutcome> {
    const state = newState(batch, input, message);
    try {
      const outcome = attemptRecord(state, 1);
      if (outcome instanceof Promise) return outcome.catch((error: unknown) => afterFailure(state, error, controls));
      return outcome;
    } catch (error) {
      return afterFailure(state, error, controls);
    }
  }

  /** `message` (a DLQ record of another input record) with the reason of `template`. */
  function sameReason(template: OutgoingMessage, message: OutgoingMessage): OutgoingMessage {
    const reason = template.headers?.[DLQ_HEADER_ERROR_REASON];
    return reason === undefined ? message : { ...message, headers: { ...message.headers, [DLQ_HEADER_ERROR_REASON]: reason } };
  }

  /** Outcome of an item of a batch handler's result (or of a whole failed call) for one record. */
  function itemFailure(state: RecordState, error: unknown): FailureOutcome {
    const errorClass = classifyError(error);
    if (errorClass === 'fatal') {
      childLog(state).fatal({ err: error, errorClass }, 'fatal error in batch handler');
      return { kind: 'fatal', error };
    }
    childLog(state).warn({ err: error, errorClass }, 'record sent to DLQ by the batch handler');
    return { kind: 'dlq', errorClass, message: dlqMessage(state.batch, state.message, errorClass, error) };
  }

  /**
   * Batch handler path for `messages` (one cut of a partition batch): decode each record (failures
   * to the DLQ, retriable decode errors retried per record), call `handleBatch` once for the decoded
   * ones (retriable errors retry the call with backoff), encode each item. One outcome per message.
   */
  async function processGroup(
    batch: InputBatch,
    input: { name: string; spec: InputSpec },
    messages: readonly RawMessage[],
    controls: BatchControls,
    handleBatch: NonNullable<StageDefinition<I, O>['handleBatch']>,
  ): Promise<RecordOutcome[]> {
    const states = messages.map((message) => newState(batch, input, message));
    const outcomes: (RecordOutcome | undefined)[] = new Array<RecordOutcome | undefined>(states.length);
    const decoded: number[] = [];
    for (let i = 0; i < states.length; i++) {
      const state = states[i] as RecordState;
      try {
        await decodeRecord(state);
        decoded.push(i);
      } catch (error) {
        const outcome = await afterFailure(state, error, controls, (): Promise<'decoded'> | 'decoded' => {
          const record = decodeRecord(state);
          return record instanceof Promise ? record.then(() => 'decoded' as const) : 'decoded';
        });
        if (outcome === 'decoded') decoded.push(i);
        else outcomes[i] = outcome;
      }
      if (outcomes[i]?.kind === 'fatal' || outcomes[i]?.kind === 'aborted') return outcomes.slice(0, i + 1) as RecordOutcome[];
    }
    if (decoded.length > 0) {
      const first = states[decoded[0] as number] as RecordState;
      const records = decoded.map((i) => (states[i] as RecordState).record as InputRecord<I>);
      const traces = decoded.map((i) => (states[i] as RecordState).trace);
      const log = deps.logger.child({ topic: batch.topic, partition: batch.partition, offset: first.message.offset, lastOffset: messages[messages.length - 1]?.offset });
      const call = async (attempt: number): Promise<readonly BatchItemResult<O>[]> => {
        const results = await handleBatch(records, { stage: stage.name, log, traces, attempt, signal: deps.stopSignal });
        if (results.length !== records.length) throw new FatalError(`stage ${stage.name} handleBatch returned ${results.length} results for ${records.length} records`);
        return results;
      };
      let results: readonly BatchItemResult<O>[] | FailureOutcome;
      try {
        results = await call(1);
      } catch (error) {
        // The whole call failed: the first record stands for the batch in the retry loop's logs.
        results = await afterFailure(first, error, controls, call);
      }
      if (!Array.isArray(results)) {
        const failure = results as FailureOutcome;
        for (const i of decoded) {
          const state = states[i] as RecordState;
          outcomes[i] = failure.kind === 'dlq' ? { ...failure, message: sameReason(failure.message, dlqMessage(batch, state.message, failure.errorClass, undefined)) } : failure;
          if (failure.kind !== 'dlq') break;
        }
      } else {
        for (let j = 0; j < decoded.length; j++) {
          const i = decoded[j] as number;
          const state = states[i] as RecordState;
          const item = (results as readonly BatchItemResult<O>[])[j] as BatchItemResult<O>;
          if ('error' in item) {
            outcomes[i] = itemFailure(state, item.error);
            continue;
          }
          try {
            const ok = await okOutcome(item.outputs, state.trace);
            outcomes[i] = item.afterProduce === undefined ? ok : { ...ok, afterProduce: item.afterProduce };
          } catch (error) {
            outcomes[i] = itemFailure(state, error);
          }
        }
      }
    }
    // A fatal or aborted outcome ends the group there: later records are neither produced nor resolved.
    const stop = outcomes.findIndex((outcome) => outcome?.kind === 'fatal' || outcome?.kind === 'aborted');
    return (stop < 0 ? outcomes : outcomes.slice(0, stop + 1)).filter((outcome): outcome is RecordOutcome => outcome !== undefined);
  }

  return async function processBatch(batch: InputBatch, controls: BatchControls): Promise<void> {
    if (halted) return;
    const input = inputsByTopic.get(batch.topic);
    if (input === undefined) {
      halt(new FatalError(`received a batch from unexpected topic ${batch.topic}`));
      return;
    }
    const labels = { stage: stage.name, topic: batch.topic };
    const handlerSeconds = deps.metrics.handlerSeconds.labels(labels);
    const dlqTopic = dlqTopicFor(batch.topic);
    let pending = new Map<string, OutgoingMessage[]>();
    let pendingBytes = new Map<string, number>();
    let dlqCounts = new Map<ErrorClass, number>();
    let afterProduce: AfterProduce[] = [];
    let pendingRecords = 0;
    let lastProcessed: RawMessage | undefined;
    /** The produce in flight; settles true once acknowledged and resolved, false if it failed. */
    let inFlight: Promise<boolean> | undefined;

    // Never rejects: it runs unawaited while the next chunk is processed.
    const send = async (chunk: Chunk): Promise<boolean> => {
      try {
        return await produceAndResolve(chunk);
      } catch (error) {
        deps.logger.error({ err: error, topic: batch.topic, partition: batch.partition }, 'cannot complete a produce; stopping without committing');
        halt(error);
        return false;
      }
    };

    const produceAndResolve = async (chunk: Chunk): Promise<boolean> => {
      if (chunk.pending.size > 0) {
        const topicMessages: TopicMessages[] = [];
        for (const [topic, messages] of chunk.pending) topicMessages.push({ topic, messages });
        try {
          await deps.producer.sendBatch(topicMessages);
        } catch (error) {
          deps.logger.error({ err: error, topic: batch.topic, partition: batch.partition }, 'produce failed; stopping without committing');
          halt(error);
          return false;
        }
        for (const { topic, messages } of topicMessages) deps.metrics.produced.inc({ stage: stage.name, topic }, messages.length);
      }
      for (const hook of chunk.afterProduce) {
        try {
          await hook();
        } catch (error) {
          // The hook's contract: the stage recovers when it does not run (see BatchItemResult).
          deps.logger.warn({ err: error, topic: batch.topic, partition: batch.partition }, 'afterProduce hook failed; committing anyway');
        }
      }
      for (const [errorClass, count] of chunk.dlqCounts) deps.metrics.dlq.inc({ ...labels, error_class: errorClass }, count);
      deps.metrics.consumed.inc(labels, chunk.records);
      controls.resolveOffset(chunk.last.offset);
      deps.metrics.lag.set({ ...labels, partition: String(batch.partition) }, Math.max(0, Number(batch.highWatermark) - Number(chunk.last.offset) - 1));
      return true;
    };

    /**
     * Cuts the pending records into a chunk and starts its produce once the previous produce was
     * acknowledged; does not wait for this one. False if the previous produce failed.
     */
    const flush = async (): Promise<boolean> => {
      if (inFlight !== undefined && !(await inFlight)) return false;
      inFlight = undefined;
      if (lastProcessed === undefined) return true;
      const chunk: Chunk = { pending, dlqCounts, afterProduce, records: pendingRecords, last: lastProcessed };
      pending = new Map();
      pendingBytes = new Map();
      dlqCounts = new Map();
      afterProduce = [];
      pendingRecords = 0;
      lastProcessed = undefined;
      inFlight = send(chunk);
      return true;
    };

    /** Produces what is pending and waits until every produce of this batch settled. */
    const drain = async (): Promise<boolean> => {
      if (!(await flush())) return false;
      const last = inFlight;
      inFlight = undefined;
      return last === undefined || (await last);
    };

    /** Whether a record with these outputs takes some topic's pending produce past maxBatchBytes. */
    const overByteCap = (additions: readonly Encoded[], sizes: number[]): boolean => {
      let over = false;
      // Several outputs of one record to the same topic add up. A running sum per topic keeps this
      // linear: a batch handler hands all of a batch's outputs (thousands) to one record, and
      // re-summing the earlier ones per output was quadratic (a tenth of the correlator's CPU).
      let added: Map<string, number> | undefined;
      for (let i = 0; i < additions.length; i++) {
        const addition = additions[i];
        if (addition === undefined) {
          sizes.push(0);
          continue;
        }
        const size = messageSize(addition[1]);
        sizes.push(size);
        const topic = addition[0];
        const before = (pendingBytes.get(topic) ?? 0) + (added?.get(topic) ?? 0);
        if (before + size > deps.maxBatchBytes) over = true;
        if (additions.length > 1) (added ??= new Map()).set(topic, (added.get(topic) ?? 0) + size);
      }
      return over;
    };

    /**
     * Adds a record's outcome to the pending chunk. 'aborted' (shutdown during a retry wait) ends the
     * batch after producing what came before; 'stop' (fatal, failed produce) ends it at once.
     *
     * Synchronous unless the record needs a cut (a flush, which may wait for the produce in flight):
     * an `await` per record would hand control to the other partitions' loops at every record, and
     * all of them would then reach their first produce only after all of them had processed a whole
     * chunk, leaving the producer idle meanwhile.
     */
    const accept = (message: RawMessage, outcome: RecordOutcome): Next | Promise<Next> => {
      if (outcome.kind === 'aborted') return 'aborted';
      if (outcome.kind === 'fatal') return acceptFatal(outcome.error);
      const additions: readonly Encoded[] = outcome.kind === 'dlq' ? [[dlqTopic, outcome.message]] : outcome.outputs;
      const sizes: number[] = [];
      // Cut before a record whose outputs would take a topic's pending produce past maxBatchBytes.
      if (overByteCap(additions, sizes) && pendingRecords > 0) {
        return flush().then((flushed) => (flushed ? add(message, outcome, additions, sizes) : 'stop'));
      }
      return add(message, outcome, additions, sizes);
    };

    const acceptFatal = async (error: unknown): Promise<Next> => {
      // Outputs of the records before this one are still produced and committed.
      if (await drain()) halt(error);
      return 'stop';
    };

    const add = (message: RawMessage, outcome: OkOutcome | Extract<RecordOutcome, { kind: 'dlq' }>, additions: readonly Encoded[], sizes: readonly number[]): Next | Promise<Next> => {
      for (let i = 0; i < additions.length; i++) {
        const addition = additions[i];
        if (addition === undefined) continue;
        const [topic, out] = addition;
        const list = pending.get(topic);
        if (list) list.push(out);
        else pending.set(topic, [out]);
        pendingBytes.set(topic, (pendingBytes.get(topic) ?? 0) + (sizes[i] ?? 0));
      }
      if (outcome.kind === 'dlq') dlqCounts.set(outcome.errorClass, (dlqCounts.get(outcome.errorClass) ?? 0) + 1);
      else if (outcome.afterProduce !== undefined) afterProduce.push(outcome.afterProduce);
      lastProcessed = message;
      pendingRecords++;
      if (pendingRecords >= deps.maxBatchRecords) return flushAndHeartbeat();
      return 'next';
    };

    const flushAndHeartbeat = async (): Promise<Next> => {
      if (!(await flush())) return 'stop';
      await controls.heartbeat();
      return 'next';
    };

    const running = (): boolean => !(halted || deps.stopSignal.aborted || !controls.isRunning() || controls.isStale());

    try {
      if (stage.handleBatch !== undefined) {
        const handleBatch = (records: readonly InputRecord<I>[], ctx: BatchHandlerContext) => (stage.handleBatch as NonNullable<typeof stage.handleBatch>)(records, ctx);
        const messages = batch.messages;
        groups: for (let from = 0; from < messages.length && running(); from += deps.maxBatchRecords) {
          const group = messages.slice(from, from + deps.maxBatchRecords);
          const started = performance.now();
          const outcomes = await processGroup(batch, input, group, controls, handleBatch);
          // One observation per call, spread over its records: the histogram stays per record.
          const perRecord = (performance.now() - started) / 1000 / group.length;
          for (let i = 0; i < group.length; i++) handlerSeconds.observe(perRecord);
          for (let i = 0; i < outcomes.length; i++) {
            const next = await accept(group[i] as RawMessage, outcomes[i] as RecordOutcome);
            if (next === 'stop') return;
            if (next === 'aborted') break groups;
          }
        }
        await drain();
        return;
      }
      // Whether the loop awaited since it last checked running(): while records go through
      // synchronously nothing else runs, so neither a stop nor a seek can have happened meanwhile, and
      // the check (a consumer-group lookup per record) is skipped.
      let awaited = true;
      for (const message of batch.messages) {
        if (awaited) {
          if (!running()) break;
          awaited = false;
        }
        const started = performance.now();
        let outcome = processRecord(batch, input, message, controls);
        if (outcome instanceof Promise) {
          outcome = await outcome;
          awaited = true;
        }
        handlerSeconds.observe((performance.now() - started) / 1000);
        let next = accept(message, outcome);
        if (next instanceof Promise) {
          next = await next;
          awaited = true;
        }
        if (next === 'stop') return;
        if (next === 'aborted') break;
      }
      await drain();
    } finally {
      // Never leave a produce running past the batch (e.g. when a heartbeat threw): kafkajs commits
      // what was resolved once eachBatch returns.
      if (inFlight !== undefined) await inFlight;
    }
  };
}
