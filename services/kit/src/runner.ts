import type { Logger } from 'pino';
import type { BackoffPolicy } from './backoff';
import { errorReason } from './errors';
import type { KitMetrics } from './metrics';
import type { ConsumerPort, ProducerPort } from './ports';
import { createBatchProcessor } from './processor';
import type { InputSpecs, OutputSpecs, StageDefinition } from './stage';

export interface RunnerDeps {
  readonly consumer: ConsumerPort;
  readonly producer: ProducerPort;
  readonly logger: Logger;
  readonly metrics: KitMetrics;
  readonly backoff: BackoffPolicy;
  readonly concurrency: number;
  readonly maxBatchRecords: number;
  readonly maxBatchBytes?: number;
  readonly maxRecordBytes?: number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface RunResult {
  readonly exitCode: number;
  readonly error?: unknown;
}

type RunnerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Runs one stage: connects, consumes until stopped, and stops cleanly (in-flight batches finish,
 * resolved offsets are committed, clients disconnect). `done` settles with the exit code: 0 after a
 * requested stop, 1 after a fatal error.
 */
export class StageRunner<I extends InputSpecs, O extends OutputSpecs> {
  readonly done: Promise<RunResult>;
  #state: RunnerState = 'idle';
  #joined = false;
  #producerConnected = false;
  #fatal: unknown = undefined;
  #stopping: Promise<void> | undefined;
  #resolveDone!: (result: RunResult) => void;
  readonly #abort = new AbortController();
  readonly #log: Logger;

  constructor(
    private readonly stage: StageDefinition<I, O>,
    private readonly deps: RunnerDeps,
  ) {
    this.#log = deps.logger.child({ stage: stage.name });
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  get state(): RunnerState {
    return this.#state;
  }

  /** Consumer joined its group, producer connected, and not shutting down. */
  isReady(): boolean {
    return this.#state === 'running' && this.#joined && this.#producerConnected;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`cannot start a runner that is ${this.#state}`);
    this.#state = 'starting';
    const { consumer, producer } = this.deps;
    try {
      await this.stage.onStart?.({ stage: this.stage.name, log: this.#log });
      await producer.connect();
      this.#producerConnected = true;
      await consumer.connect();
      await consumer.subscribe(Object.values(this.stage.inputs).map((input) => input.topic));
      const eachBatch = createBatchProcessor(this.stage, {
        producer,
        logger: this.#log,
        metrics: this.deps.metrics,
        backoff: this.deps.backoff,
        maxBatchRecords: this.deps.maxBatchRecords,
        maxBatchBytes: this.deps.maxBatchBytes ?? 1_000_000,
        ...(this.deps.maxRecordBytes === undefined ? {} : { maxRecordBytes: this.deps.maxRecordBytes }),
        stopSignal: this.#abort.signal,
        onFatal: (error) => this.fail(error),
        ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
      });
      if (this.#state !== 'starting') return; // stopped while starting
      this.#state = 'running';
      await consumer.run({
        concurrency: this.deps.concurrency,
        eachBatch,
        onGroupJoin: () => {
          this.#joined = true;
          this.#log.info('consumer joined its group');
        },
        onRebalancing: () => {
          this.#joined = false;
          this.deps.metrics.rebalances.inc({ stage: this.stage.name });
          this.#log.info('consumer group rebalancing');
        },
        onCrash: (error) => this.fail(error),
      });
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  /** Stops with exit code 1 (unless a stop is already under way, which then reports 1). */
  fail(error: unknown): void {
    if (this.#fatal === undefined) this.#fatal = error ?? new Error('unknown fatal error');
    this.#log.fatal({ err: error, reason: errorReason(error) }, 'stage failed; stopping');
    this.stop().catch(() => undefined);
  }

  /** Idempotent. Stops fetching, lets in-flight batches finish and commit, disconnects. */
  stop(): Promise<void> {
    this.#stopping ??= this.#doStop();
    return this.#stopping;
  }

  async #doStop(): Promise<void> {
    this.#state = 'stopping';
    this.#abort.abort();
    // Stopping the consumer from inside eachBatch would wait for itself: defer past the current tick.
    await new Promise((resolve) => setImmediate(resolve));
    const steps: [string, () => Promise<void> | void][] = [
      ['consumer stop', () => this.deps.consumer.stop()],
      ['consumer disconnect', () => this.deps.consumer.disconnect()],
      ['producer disconnect', () => this.deps.producer.disconnect()],
      ['stage onStop', () => this.stage.onStop?.({ stage: this.stage.name, log: this.#log })],
    ];
    let stopError: unknown;
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        stopError ??= error;
        this.#log.error({ err: error, step: name }, 'error while stopping');
      }
    }
    this.#producerConnected = false;
    this.#state = 'stopped';
    const error = this.#fatal ?? stopError;
    this.#log.info({ exitCode: error === undefined ? 0 : 1 }, 'stage stopped');
    this.#resolveDone(error === undefined ? { exitCode: 0 } : { exitCode: 1, error });
  }
}
