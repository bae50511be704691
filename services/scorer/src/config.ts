import { defineConfigSchema, envInt, optionalSecret } from '@seam/kit';
import { z } from 'zod';

const HOUR = 3_600_000;

/** The kit's variables (KAFKA_*, SCHEMA_REGISTRY_*, REDIS_*, HTTP_*, ...) plus the scorer's. */
export const scorerConfigSchema = defineConfigSchema({
  SCORER_INPUT_TOPIC: z.string().min(1).default('correlated'),
  SCORER_OUTPUT_TOPIC: z.string().min(1).default('verdicts'),
  SCORER_AUDIT_TOPIC: z.string().min(1).default('llm.audit'),
  /** SecurityEvents whose compact records feed the risk model (entities, enrichment). */
  SCORER_EVENTS_TOPIC: z.string().min(1).default('enriched'),
  /** Risk model JSON (config/risk-model.default.json when unset). */
  SCORER_RISK_MODEL_FILE: z.string().min(1).optional(),
  /** Prefix of the scorer's Redis keys (LLM cache, scored versions). */
  SCORER_REDIS_PREFIX: z.string().min(1).default('seam:scorer:'),
  /** Per Redis call; past it the scorer goes on without Redis. */
  SCORER_REDIS_TIMEOUT_MS: envInt(250, 1),
  /** After a Redis failure, how long Redis is skipped before the next try. */
  SCORER_REDIS_COOLDOWN_MS: envInt(5_000, 0),
  /** TTL of a cached LLM answer (Redis and in-process). */
  SCORER_CACHE_TTL_MS: envInt(24 * HOUR, 1_000),
  /** Entries of the in-process LRU in front of Redis. */
  SCORER_CACHE_LRU_ENTRIES: envInt(2_000, 1),
  /** How long the highest scored version of an incident is remembered. */
  SCORER_SCORED_TTL_MS: envInt(7 * 24 * HOUR, 1_000),
  /** TTL of a stored member-event record (refreshed by every later version of the event). */
  SCORER_EVENT_TTL_MS: envInt(48 * HOUR, 1_000),
  /** Cap of one stored event record (UTF-8 bytes of its JSON); lists and strings are cut to fit. */
  SCORER_EVENT_MAX_BYTES: envInt(8_192, 1_024),
  /** Member events loaded per incident version (the most severe members first). */
  SCORER_EVENT_MAX_MEMBERS: envInt(200, 1),
  /**
   * How long an incident version waits (RetriableError, the kit's backoff) for member events not
   * stored yet, counted from its first attempt; 0 = never wait. Also bounded by RETRY_MAX_ATTEMPTS.
   */
  SCORER_EVENT_WAIT_MS: envInt(10_000, 0),

  /** OpenAI-compatible base URL (…/v1); unset = baseline verdicts only. */
  LLM_BASE_URL: z.url().optional(),
  LLM_MODEL: z.string().min(1).default('local'),
  /** Bearer key of the endpoint; local servers accept any non-empty key. */
  LLM_API_KEY: optionalSecret(),
  LLM_PROMPT_VERSION: z.string().regex(/^[a-z][a-z0-9-]*\.v\d+$/).default('refine.v1'),
  LLM_TIMEOUT_MS: envInt(20_000, 100),
  LLM_DEADLINE_MS: envInt(60_000, 100),
  LLM_CONCURRENCY: envInt(2, 1),
  LLM_MAX_ATTEMPTS: envInt(3, 1),
  LLM_TOKENS_PER_MINUTE: envInt(60_000, 1),
  LLM_TOKENS_PER_DAY: envInt(2_000_000, 1),
});
export type ScorerConfig = z.output<typeof scorerConfigSchema>;
