/**
 * `node --import tsx services/scorer/src/main.ts` with the kit's variables (KAFKA_*,
 * SCHEMA_REGISTRY_*, REDIS_URL or REDIS_CLUSTER_NODES, HTTP_*) plus those of src/config.ts.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, createKit, KafkaProducerPort, loadConfig, runStage, startStage, type AvroSchemaJson, type Kit, type StartStageOptions } from '@seam/kit';
import { schemas, type LlmInference, type Verdict } from '@seam/schemas';
import { createOpenAiChat } from './adapters/openai-chat';
import { LocalScoredVersions, RedisGuard, RedisRefinementCache, RedisScoredVersions, TieredRefinementCache, type ScoredVersions } from './adapters/redis-cache';
import { scorerConfigSchema, type ScorerConfig } from './config';
import { defaultRiskModel } from './default-config';
import { compileRiskModel, parseRiskModelConfig, type RiskModel } from './domain/index';
import { DEFAULT_REFINER_SETTINGS, LruRefinementCache, Refiner, loadPrompt, type ChatModel, type RefinementCache } from './llm/index';
import { scorerStage, type ScoredEvent } from './stage';

const avsc = (name: 'Incident' | 'Verdict' | 'LlmInference') => schemas[name].avsc as unknown as AvroSchemaJson;

export function riskModelFrom(config: ScorerConfig): RiskModel {
  if (config.SCORER_RISK_MODEL_FILE === undefined) return defaultRiskModel();
  return compileRiskModel(parseRiskModelConfig(JSON.parse(readFileSync(config.SCORER_RISK_MODEL_FILE, 'utf8'))));
}

const redisConfigured = (config: ScorerConfig): boolean => config.REDIS_URL !== undefined || config.REDIS_CLUSTER_NODES !== undefined;

export interface ScorerDeps {
  /** Replaces the openai client (tests, benchmarks). */
  readonly chat?: ChatModel;
  readonly onScored?: (event: ScoredEvent) => void;
  readonly now?: () => number;
}

export function buildScorerStage(config: ScorerConfig, kit: Kit, deps: ScorerDeps = {}) {
  const riskModel = riskModelFrom(config);
  const log = kit.logger;
  const guard = redisConfigured(config)
    ? new RedisGuard(kit.redis(), log, config.SCORER_REDIS_TIMEOUT_MS, config.SCORER_REDIS_COOLDOWN_MS)
    : undefined;
  if (guard === undefined) log.warn('no REDIS_URL / REDIS_CLUSTER_NODES: LLM cache and scored versions are per process');
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

  return scorerStage({
    topics: { correlated: config.SCORER_INPUT_TOPIC, verdicts: config.SCORER_OUTPUT_TOPIC, audit: config.SCORER_AUDIT_TOPIC },
    codecs: {
      incident: kit.avro<unknown>(avsc('Incident'), { readerSchema: avsc('Incident') }),
      verdict: kit.avro<Verdict>(avsc('Verdict')),
      audit: kit.avro<LlmInference>(avsc('LlmInference')),
    },
    riskModel,
    refiner,
    producer: new KafkaProducerPort(kit.kafka, { idempotent: config.KAFKA_PRODUCER_IDEMPOTENT }),
    scored,
    now: deps.now ?? (() => Date.now()),
    ...(deps.onScored === undefined ? {} : { onScored: deps.onScored }),
  });
}

export async function startScorer(config: ScorerConfig, kit: Kit, options: StartStageOptions = {}, deps: ScorerDeps = {}) {
  return startStage(buildScorerStage(config, kit, deps), kit, options);
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
  await runStage(buildScorerStage(config, kit), kit);
}
