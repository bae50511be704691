/**
 * `node --import tsx services/scorer/src/main.ts` with the kit's variables (KAFKA_*,
 * SCHEMA_REGISTRY_*, REDIS_URL or REDIS_CLUSTER_NODES, HTTP_*) plus those of src/config.ts.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, createKit, KafkaConsumerPort, KafkaProducerPort, loadConfig, StageRunner, startStage, type AvroSchemaJson, type Kit, type StageHandle, type StartStageOptions } from '@seam/kit';
import { schemas, type LlmInference, type Verdict } from '@seam/schemas';
import { createOpenAiChat } from './adapters/openai-chat';
import { LocalScoredVersions, RedisGuard, RedisRefinementCache, RedisScoredVersions, TieredRefinementCache, type ScoredVersions } from './adapters/redis-cache';
import { LocalEventStore, RedisEventStore, type EventStore } from './adapters/event-store';
import { scorerConfigSchema, type ScorerConfig } from './config';
import { defaultRiskModel } from './default-config';
import { compileRiskModel, parseRiskModelConfig, type RiskModel } from './domain/index';
import { DEFAULT_REFINER_SETTINGS, LruRefinementCache, Refiner, loadPrompt, type ChatModel, type RefinementCache } from './llm/index';
import { scorerEventsStage, scorerStage, type ScoredEvent, type ScorerEventOptions, type StoredEvent } from './stage';

const avsc = (name: 'Incident' | 'Verdict' | 'LlmInference' | 'SecurityEvent') => schemas[name].avsc as unknown as AvroSchemaJson;

export function riskModelFrom(config: ScorerConfig): RiskModel {
  if (config.SCORER_RISK_MODEL_FILE === undefined) return defaultRiskModel();
  return compileRiskModel(parseRiskModelConfig(JSON.parse(readFileSync(config.SCORER_RISK_MODEL_FILE, 'utf8'))));
}

const redisConfigured = (config: ScorerConfig): boolean => config.REDIS_URL !== undefined || config.REDIS_CLUSTER_NODES !== undefined;

export interface ScorerDeps {
  /** Replaces the openai client (tests, benchmarks). */
  readonly chat?: ChatModel;
  readonly onScored?: (event: ScoredEvent) => void;
  readonly onEventStored?: (event: StoredEvent) => void;
  readonly now?: () => number;
}

/** The scorer's two stages: `correlated` → verdicts (main) and `enriched` → event store (events). */
export function buildScorerStages(config: ScorerConfig, kit: Kit, deps: ScorerDeps = {}) {
  const riskModel = riskModelFrom(config);
  const log = kit.logger;
  const guard = redisConfigured(config)
    ? new RedisGuard(kit.redis(), log, config.SCORER_REDIS_TIMEOUT_MS, config.SCORER_REDIS_COOLDOWN_MS)
    : undefined;
  if (guard === undefined) log.warn('no REDIS_URL / REDIS_CLUSTER_NODES: LLM cache, scored versions and member events are per process');
  const eventStore: EventStore = guard === undefined
    ? new LocalEventStore(config.SCORER_EVENT_TTL_MS)
    : new RedisEventStore(guard, config.SCORER_REDIS_PREFIX, config.SCORER_EVENT_TTL_MS);
  const local = new LruRefinementCache(config.SCORER_CACHE_LRU_ENTRIES, config.SCORER_CACHE_TTL_MS);
  const cache: RefinementCache = new TieredRefinementCache(
    local, guard === undefined ? undefined : new RedisRefinementCache(guard, config.SCORER_REDIS_PREFIX, config.SCORER_CACHE_TTL_MS),
  );
  const scored: ScoredVersions = guard === undefined
    ? new LocalScoredVersions()
    : new RedisScoredVersions(guard, config.SCORER_REDIS_PREFIX, config.SCORER_SCORED_TTL_MS);

  let chat = deps.chat;
  if (chat === undefined && config.LLM_BASE_URL !== undefined) {
    chat = createOpenAiChat({ baseURL: config.LLM_BASE_URL, model: config.LLM_MODEL, apiKey: config.LLM_API_KEY?.reveal() ?? 'none' });
  }
  if (chat === undefined) log.warn('no LLM_BASE_URL: baseline verdicts only');
  const refiner = chat === undefined ? null : new Refiner({
    ...DEFAULT_REFINER_SETTINGS,
    prompt: loadPrompt(config.LLM_PROMPT_VERSION),
    timeoutMs: config.LLM_TIMEOUT_MS,
    deadlineMs: config.LLM_DEADLINE_MS,
    concurrency: config.LLM_CONCURRENCY,
    maxTransportAttempts: config.LLM_MAX_ATTEMPTS,
    budget: { perMinute: config.LLM_TOKENS_PER_MINUTE, perDay: config.LLM_TOKENS_PER_DAY },
  }, { chat, riskModel, cache });

  const events: ScorerEventOptions = {
    topic: config.SCORER_EVENTS_TOPIC,
    codec: kit.avro<unknown>(avsc('SecurityEvent'), { readerSchema: avsc('SecurityEvent') }),
    store: eventStore,
    maxBytes: config.SCORER_EVENT_MAX_BYTES,
    maxMembers: config.SCORER_EVENT_MAX_MEMBERS,
    waitMs: config.SCORER_EVENT_WAIT_MS,
    ttlMs: config.SCORER_EVENT_TTL_MS,
    retryMaxAttempts: config.RETRY_MAX_ATTEMPTS,
  };
  const main = scorerStage({
    topics: { correlated: config.SCORER_INPUT_TOPIC, verdicts: config.SCORER_OUTPUT_TOPIC, audit: config.SCORER_AUDIT_TOPIC },
    codecs: {
      incident: kit.avro<unknown>(avsc('Incident'), { readerSchema: avsc('Incident') }),
      verdict: kit.avro<Verdict>(avsc('Verdict')),
      audit: kit.avro<LlmInference>(avsc('LlmInference')),
    },
    events,
    riskModel,
    refiner,
    producer: new KafkaProducerPort(kit.kafka, { idempotent: config.KAFKA_PRODUCER_IDEMPOTENT }),
    scored,
    now: deps.now ?? (() => Date.now()),
    ...(deps.onScored === undefined ? {} : { onScored: deps.onScored }),
  });
  const eventsStage = scorerEventsStage({ events, ...(deps.onEventStored === undefined ? {} : { onEventStored: deps.onEventStored }) });
  return { main, events: eventsStage };
}

/**
 * Starts both stages with one kit: the main stage through the kit's startStage (HTTP, signals,
 * shutdown), the events stage on a StageRunner of its own (consumer group `<group>.events`) that
 * starts inside the main stage's onStart and stops inside its onStop, so one stop drains both.
 * If either fails, both stop (exit code 1). Readiness requires both.
 */
export async function startScorer(config: ScorerConfig, kit: Kit, options: StartStageOptions = {}, deps: ScorerDeps = {}) {
  const { main, events } = buildScorerStages(config, kit, deps);
  const eventsRunner = new StageRunner(events, {
    consumer: new KafkaConsumerPort(kit.kafka, {
      groupId: `${config.KAFKA_GROUP_ID ?? 'seam.scorer'}.events`,
      fromBeginning: config.KAFKA_FROM_BEGINNING,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      maxBytesPerPartition: config.KAFKA_MAX_BYTES_PER_PARTITION,
    }),
    producer: new KafkaProducerPort(kit.kafka, { idempotent: config.KAFKA_PRODUCER_IDEMPOTENT }),
    logger: kit.logger,
    metrics: kit.metrics,
    backoff: kit.backoff,
    concurrency: config.KAFKA_CONCURRENCY,
    maxBatchRecords: config.KAFKA_MAX_BATCH_RECORDS,
    maxBatchBytes: config.KAFKA_MAX_BATCH_BYTES,
  });
  const combined: typeof main = {
    ...main,
    async onStart(ctx) {
      await main.onStart?.(ctx);
      await eventsRunner.start();
    },
    async onStop(ctx) {
      await eventsRunner.stop();
      await main.onStop?.(ctx);
    },
  };
  const handle: StageHandle<typeof main.inputs, typeof main.outputs> = await startStage(combined, kit, options);
  kit.setReadiness(() => handle.runner.isReady() && eventsRunner.isReady());
  void eventsRunner.done.then((result) => {
    if (result.exitCode !== 0) handle.runner.fail(result.error ?? new Error('scorer events stage failed'));
  });
  const done = Promise.all([handle.done, eventsRunner.done]).then(([first, second]) => (first.exitCode !== 0 ? first : second));
  return { ...handle, done, stop: async () => { await handle.stop(); return done; } };
}


if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  let config: ScorerConfig;
  try {
    config = loadConfig(scorerConfigSchema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const kit = createKit(config, { service: 'scorer' });
  const handle = await startScorer(config, kit);
  process.exit((await handle.done).exitCode);
}
