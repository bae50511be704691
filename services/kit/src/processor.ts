import type { Logger } from 'pino';
import { backoffDelay, type BackoffPolicy } from './backoff';
import { DecodeError, EncodeError, FatalError, ValidationError, classifyError, errorReason, isSeamError, type ErrorClass } from './errors';
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
import type { HandlerContext, InputRecord, InputSpec, InputSpecs, OutputSpecs, StageDefinition } from './stage';
import { TRACEPARENT_HEADER, continueTrace, formatTraceparent, type TraceContext } from './trace';

export interface ProcessorDeps {
  readonly producer: ProducerPort;
  readonly logger: Logger;
  readonly metrics: KitMetrics;
  readonly backoff: BackoffPolicy;
  /** Outputs are produced, and offsets resolved, at least every this many input records. */
  readonly maxBatchRecords: number;
  /**
   * ...and before the pending outputs would exceed this many bytes, so that a produce stays below
   * the broker's message.max.bytes (1 MiB by default) even if all outputs go to one partition.
   */
  readonly maxBatchBytes: number;
  /** Aborted when the stage starts shutting down: ends retry waits early. */
  readonly stopSignal: AbortSignal;
  /** Called once when processing must stop for good (FatalError, failed produce). */
  readonly onFatal: (error: unknown) => void;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now?: () => Date;
}

type RecordOutcome =
  | { readonly kind: 'ok'; readonly outputs: readonly (readonly [string, OutgoingMessage])[] }
  | { readonly kind: 'dlq'; readonly message: OutgoingMessage; readonly errorClass: ErrorClass }
  | { readonly kind: 'fatal'; readonly error: unknown }
  | { readonly kind: 'aborted' };

const MAX_LOGGED_KEY = 200;
const RECORD_OVERHEAD_BYTES = 32;

function messageSize(message: OutgoingMessage): number {
  let size = RECORD_OVERHEAD_BYTES + (message.value?.length ?? 0) + (message.key?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers)) size += name.length + value.length;
  return size;
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

/**
 * The per-batch loop: for each record of one partition, in order, decode -> validate -> handle
 * (retrying retriable errors) -> encode; then produce all outputs and DLQ records of the batch in
 * one sendBatch, and resolve the last processed offset only once the broker acknowledged them.
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

  async function encodeOutputs(result: Awaited<ReturnType<typeof stage.handle>>, trace: TraceContext): Promise<[string, OutgoingMessage][]> {
    const traceparent = formatTraceparent(trace);
    const encoded: [string, OutgoingMessage][] = [];
    for (const output of result) {
      const spec = outputs[output.to];
      if (spec === undefined) throw new FatalError(`stage ${stage.name} returned a record for unknown output "${output.to}"`);
      let value: Buffer;
      try {
        let candidate: unknown = output.value;
        if (spec.schema !== undefined) {
          const checked = spec.schema.safeParse(candidate);
          if (!checked.success) throw new EncodeError(`output ${output.to} is invalid: ${validationMessage(checked.error.issues)}`);
          candidate = checked.data;
        }
        value = await spec.codec.encode(candidate as never, spec.topic);
      } catch (error) {
        if (isSeamError(error)) throw error;
        throw new EncodeError(`cannot encode output ${output.to}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      encoded.push([spec.topic, { key: output.key, value, headers: { ...output.headers, [TRACEPARENT_HEADER]: traceparent } }]);
    }
    return encoded;
  }

  async function processRecord(batch: InputBatch, input: { name: string; spec: InputSpec }, message: RawMessage, controls: BatchControls): Promise<RecordOutcome> {
    const trace = continueTrace(headerText(message.headers, TRACEPARENT_HEADER));
    let record: InputRecord<I> | undefined;
    const toRecord = async (): Promise<InputRecord<I>> => {
      let value: unknown;
      try {
        value = message.value === null ? null : input.spec.codec.decode(message.value, batch.topic);
        if (value instanceof Promise) value = await value;
      } catch (error) {
        // Codecs throw SeamErrors when they know better (e.g. registry unreachable: retriable).
        if (isSeamError(error)) throw error;
        throw new DecodeError(`cannot decode ${input.spec.codec.name} value: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
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
      } as InputRecord<I>;
    };

    let log: Logger | undefined;
    const childLog = (): Logger => {
      if (log === undefined) {
        let eventId = stage.eventId && record ? stage.eventId(record) : message.key?.toString('utf8');
        if (eventId !== undefined && eventId.length > MAX_LOGGED_KEY) eventId = eventId.slice(0, MAX_LOGGED_KEY);
        log = deps.logger.child({ topic: batch.topic, partition: batch.partition, offset: message.offset, eventId, traceId: trace.traceId, spanId: trace.spanId });
      }
      return log;
    };

    for (let attempt = 1; ; attempt++) {
      const ctx: HandlerContext = {
        stage: stage.name,
        get log() {
          return childLog();
        },
        trace,
        attempt,
        signal: deps.stopSignal,
      };
      try {
        record ??= await toRecord();
        const result = await stage.handle(record, ctx);
        return { kind: 'ok', outputs: await encodeOutputs(result, trace) };
      } catch (error) {
        const errorClass = classifyError(error);
        switch (errorClass) {
          case 'fatal':
            childLog().fatal({ err: error, errorClass }, 'fatal error in handler');
            return { kind: 'fatal', error };
          case 'poison':
            childLog().warn({ err: error, errorClass }, 'poison record sent to DLQ');
            return { kind: 'dlq', errorClass, message: dlqMessage(batch, message, errorClass, error) };
          case 'retriable': {
            const delay = backoffDelay(deps.backoff, attempt);
            if (delay === undefined) {
              childLog().warn({ err: error, errorClass, attempts: attempt }, 'retries exhausted, record sent to DLQ');
              const reason = new Error(`gave up after ${attempt} attempts: ${errorReason(error)}`);
              return { kind: 'dlq', errorClass, message: dlqMessage(batch, message, errorClass, reason) };
            }
            childLog().info({ err: error, errorClass, attempt, delayMs: delay }, 'retriable error, retrying');
            await sleep(delay, deps.stopSignal);
            if (deps.stopSignal.aborted || !controls.isRunning()) return { kind: 'aborted' };
            await controls.heartbeat();
            break;
          }
        }
      }
    }
  }

  return async function processBatch(batch: InputBatch, controls: BatchControls): Promise<void> {
    if (halted) return;
    const input = inputsByTopic.get(batch.topic);
    if (input === undefined) {
      halt(new FatalError(`received a batch from unexpected topic ${batch.topic}`));
      return;
    }
    const labels = { stage: stage.name, topic: batch.topic };
    const pending = new Map<string, OutgoingMessage[]>();
    const dlqCounts = new Map<ErrorClass, number>();
    let pendingRecords = 0;
    let pendingBytes = 0;
    let lastProcessed: RawMessage | undefined;

    const flush = async (): Promise<boolean> => {
      if (lastProcessed === undefined) return true;
      if (pending.size > 0) {
        const topicMessages: TopicMessages[] = [...pending].map(([topic, messages]) => ({ topic, messages }));
        try {
          await deps.producer.sendBatch(topicMessages);
        } catch (error) {
          deps.logger.error({ err: error, topic: batch.topic, partition: batch.partition }, 'produce failed; stopping without committing');
          halt(error);
          return false;
        }
        for (const { topic, messages } of topicMessages) deps.metrics.produced.inc({ stage: stage.name, topic }, messages.length);
      }
      for (const [errorClass, count] of dlqCounts) deps.metrics.dlq.inc({ ...labels, error_class: errorClass }, count);
      deps.metrics.consumed.inc(labels, pendingRecords);
      controls.resolveOffset(lastProcessed.offset);
      deps.metrics.lag.set({ ...labels, partition: String(batch.partition) }, Math.max(0, Number(batch.highWatermark) - Number(lastProcessed.offset) - 1));
      pending.clear();
      dlqCounts.clear();
      pendingRecords = 0;
      pendingBytes = 0;
      lastProcessed = undefined;
      return true;
    };

    const add = (topic: string, message: OutgoingMessage) => {
      const list = pending.get(topic);
      if (list) list.push(message);
      else pending.set(topic, [message]);
    };

    for (const message of batch.messages) {
      if (halted || deps.stopSignal.aborted || !controls.isRunning() || controls.isStale()) break;
      const started = performance.now();
      const outcome = await processRecord(batch, input, message, controls);
      deps.metrics.handlerSeconds.observe(labels, (performance.now() - started) / 1000);
      if (outcome.kind === 'aborted') break;
      if (outcome.kind === 'fatal') {
        // Outputs of the records before this one are still produced and committed.
        if (await flush()) halt(outcome.error);
        return;
      }
      const additions: readonly (readonly [string, OutgoingMessage])[] = outcome.kind === 'dlq' ? [[dlqTopicFor(batch.topic), outcome.message]] : outcome.outputs;
      const additionBytes = additions.reduce((sum, [, out]) => sum + messageSize(out), 0);
      // Flush before a record whose outputs would take the pending produce past maxBatchBytes.
      if (pendingRecords > 0 && pendingBytes + additionBytes > deps.maxBatchBytes) {
        if (!(await flush())) return;
      }
      for (const [topic, out] of additions) add(topic, out);
      pendingBytes += additionBytes;
      if (outcome.kind === 'dlq') dlqCounts.set(outcome.errorClass, (dlqCounts.get(outcome.errorClass) ?? 0) + 1);
      lastProcessed = message;
      pendingRecords++;
      if (pendingRecords >= deps.maxBatchRecords) {
        if (!(await flush())) return;
        await controls.heartbeat();
      }
    }
    await flush();
  };
}
