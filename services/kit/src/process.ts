import { KafkaConsumerPort, KafkaProducerPort } from './kafka';
import type { Kit } from './kit';
import { StageRunner, type RunResult } from './runner';
import type { InputSpecs, OutputSpecs, StageDefinition } from './stage';

export interface StageHandle<I extends InputSpecs, O extends OutputSpecs> {
  readonly runner: StageRunner<I, O>;
  /** The HTTP port actually bound (useful with HTTP_PORT=0). */
  readonly port: number;
  /** Settles after the stage stopped and the HTTP server and Redis closed. */
  readonly done: Promise<RunResult>;
  stop(): Promise<RunResult>;
}

export interface StartStageOptions {
  /** Install SIGTERM/SIGINT handlers that drain and exit (default true). */
  readonly handleSignals?: boolean;
  /** How the process ends (default process.exit). */
  readonly exit?: (code: number) => void;
}

/**
 * Starts a stage on real Kafka: HTTP server, producer, consumer. With signals handled, the first
 * SIGTERM/SIGINT drains (stop fetching, finish in-flight batches, commit, disconnect) and exits 0;
 * a second signal, or SHUTDOWN_TIMEOUT_MS elapsing, exits 1 at once.
 */
export async function startStage<I extends InputSpecs, O extends OutputSpecs>(stage: StageDefinition<I, O>, kit: Kit, options: StartStageOptions = {}): Promise<StageHandle<I, O>> {
  const { config, logger } = kit;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const runner = new StageRunner(stage, {
    consumer: new KafkaConsumerPort(kit.kafka, {
      // Matches the consumer groups declared in topology/ (seam.<service>).
      groupId: config.KAFKA_GROUP_ID ?? `seam.${stage.name}`,
      fromBeginning: config.KAFKA_FROM_BEGINNING,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      maxBytesPerPartition: config.KAFKA_MAX_BYTES_PER_PARTITION,
    }),
    producer: new KafkaProducerPort(kit.kafka, { idempotent: config.KAFKA_PRODUCER_IDEMPOTENT }),
    logger,
    metrics: kit.metrics,
    backoff: kit.backoff,
    concurrency: config.KAFKA_CONCURRENCY,
    maxBatchRecords: config.KAFKA_MAX_BATCH_RECORDS,
    maxBatchBytes: config.KAFKA_MAX_BATCH_BYTES,
    maxRecordBytes: config.KAFKA_MAX_RECORD_BYTES,
  });
  kit.setReadiness(() => runner.isReady());
  const port = await kit.http.listen();

  let signals = 0;
  let forceTimer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without draining');
      exit(1);
      return;
    }
    logger.info({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown requested: draining');
    kit.http.markClosing();
    forceTimer = setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out: exiting');
      exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    void runner.stop();
  };
  if (options.handleSignals ?? true) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  const done = runner.done.then(async (result) => {
    if (forceTimer) clearTimeout(forceTimer);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await kit.close().catch((error: unknown) => logger.error({ err: error }, 'error while closing'));
    return result;
  });

  try {
    await runner.start();
  } catch {
    // The runner records the failure; `done` reports exit code 1.
  }
  return {
    runner,
    port,
    done,
    stop: async () => {
      await runner.stop();
      return done;
    },
  };
}

/** startStage, then wait for the stage to stop and end the process with its exit code. */
export async function runStage<I extends InputSpecs, O extends OutputSpecs>(stage: StageDefinition<I, O>, kit: Kit, options: StartStageOptions = {}): Promise<never> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const handle = await startStage(stage, kit, { ...options, exit });
  const result = await handle.done;
  exit(result.exitCode);
  // exit() does not return in production; in tests it may.
  return new Promise<never>(() => undefined);
}
