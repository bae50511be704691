import { defineConfigSchema, envBool, envInt, optionalSecret, secret, csvList } from '@seam/kit';
import { z } from 'zod';

/** Every variable may also be given as <NAME>_FILE (e.g. QRADAR_TOKEN_FILE=/run/secrets/qradar). */
export const configSchema = defineConfigSchema({
  QRADAR_URL: z.url(),
  QRADAR_TOKEN: secret(),
  QRADAR_API_VERSION: z.string().regex(/^\d+(\.\d+)?$/).default('20.0'),
  /** PEM CA bundle for the console certificate (file path). */
  QRADAR_CA_FILE: z.string().min(1).optional(),
  /** Disables certificate verification; logs a loud warning. Never in production. */
  QRADAR_TLS_INSECURE: envBool(false),
  QRADAR_TIMEOUT_MS: envInt(30_000, 100),
  QRADAR_MAX_ATTEMPTS: envInt(4, 1),
  QRADAR_RETRY_INITIAL_MS: envInt(500, 1),
  QRADAR_RETRY_MAX_MS: envInt(30_000, 1),

  OFFENSES_RAW_TOPIC: z.string().min(1).default('offenses.raw'),
  /** Malformed offenses (default `<OFFENSES_RAW_TOPIC>.dlq`). */
  OFFENSES_DLQ_TOPIC: z.string().min(1).optional(),
  REDIS_KEY_PREFIX: z.string().default('seam:'),
  DEDUP_TTL_SECONDS: envInt(14 * 24 * 3600, 60),
  /** Bound on reading offenses.raw at start-up to recover a produce intent left by a crash. */
  INTENT_RECOVERY_TIMEOUT_MS: envInt(60_000, 1000),

  POLL_NEW_INTERVAL_MS: envInt(10_000, 10),
  POLL_CHANGED_INTERVAL_MS: envInt(30_000, 10),
  POLL_ERROR_BACKOFF_MS: envInt(1_000, 1),
  POLL_MAX_ERROR_BACKOFF_MS: envInt(60_000, 1),
  PAGE_SIZE: envInt(200, 1).pipe(z.number().max(5000)),
  ADDRESS_BATCH_SIZE: envInt(100, 1).pipe(z.number().max(1000)),

  EVENT_SAMPLE_SIZE: envInt(20).pipe(z.number().max(1000)),
  EVENT_SAMPLE_CONCURRENCY: envInt(8, 1),
  EVENT_SAMPLE_RETRIES: envInt(3),
  EVENT_SAMPLE_RETRY_DELAY_MS: envInt(5_000),
  EVENT_LAG_WINDOW_MS: envInt(600_000),
  ARIEL_WAIT_SECONDS: envInt(10, 1),
  ARIEL_DEADLINE_MS: envInt(60_000, 100),

  WEBHOOK_TOKEN: optionalSecret(),
  WEBHOOK_HMAC_SECRET: optionalSecret(),
  WEBHOOK_MAX_SKEW_MS: envInt(300_000, 1000),
  /** Extra bearer tokens accepted during rotation (comma-separated). */
  WEBHOOK_TOKENS_EXTRA: csvList().optional(),
});
