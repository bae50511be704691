/**
 * `npx tsx services/correlator/src/main.ts` with the kit's variables (KAFKA_*, SCHEMA_REGISTRY_*,
 * REDIS_URL or REDIS_CLUSTER_NODES, ...) plus those below.
 */
import { ConfigError, createKit, defineConfigSchema, envInt, KafkaProducerPort, loadConfig, runStage, startStage, type AvroSchemaJson, type Kit, type StartStageOptions } from '@seam/kit';
import { schemas, type Incident } from '@seam/schemas';
import { z } from 'zod';
import { RedisCorrelationState } from './adapters/redis-state';
import { parseCorrelationConfig, windowFor, type CorrelationConfigInput } from './domain/index';
import { CorrelatorMetrics } from './metrics';
import { correlatorStage, DEFAULT_MAX_RECORD_BYTES } from './stage';

const MINUTE = 60_000;

export const correlatorConfigSchema = defineConfigSchema({
  CORRELATOR_INPUT_TOPIC: z.string().min(1).default('enriched'),
  CORRELATOR_OUTPUT_TOPIC: z.string().min(1).default('correlated'),
  /** Prefix of every Redis key of the correlation state. */
  CORRELATOR_REDIS_PREFIX: z.string().min(1).default('seam:'),
  /** How often due (debounced / settled) versions are emitted without input; 0 disables. */
  CORRELATOR_TICK_INTERVAL_MS: envInt(1_000, 0),
  /**
   * A partition whose last record arrived more than this long ago (wall ms) stops holding the
   * watermark back: it counts with max(its newest event time, now). 0 disables.
   */
  CORRELATOR_IDLE_ADVANCE_MS: envInt(60_000, 0),
  /** Bound on the IP decisions / settles / dedup expiries / emitted roots of one advance or tick. */
  CORRELATOR_MAX_PER_ADVANCE: envInt(2_000, 1),
  /**
   * Buckets of each sweep kind (settle, undecided, dedup). Part of the Redis layout: fixed for a
   * prefix. Keep live entries per kind / buckets within Redis's `zset-max-listpack-entries` (1,024 in
   * infra/lib.sh), or the buckets cost ~110 instead of ~25 bytes per entry (README "Memory").
   */
  CORRELATOR_SWEEP_BUCKETS: envInt(256, 1),
  /** Emission lease: a root popped for emission and not acknowledged within this is emitted again. 0 disables. */
  CORRELATOR_EMISSION_LEASE_MS: envInt(30_000, 0),
  CORRELATOR_WINDOW_IP_MS: envInt(60 * MINUTE, 1),
  CORRELATOR_WINDOW_IDENTITY_MS: envInt(60 * MINUTE, 1),
  CORRELATOR_GRACE_MS: envInt(5 * MINUTE, 0),
  CORRELATOR_HOT_KEY_DISTINCT_IDENTITIES: envInt(5, 1),
  CORRELATOR_HOT_KEY_LOOKAHEAD_MS: envInt(0, 0),
  CORRELATOR_DEBOUNCE_MS: envInt(2_000, 0),
  CORRELATOR_MAX_DEBOUNCE_DELAY_MS: envInt(10_000, 0),
  CORRELATOR_DEDUP_RETENTION_MS: envInt(24 * 60 * MINUTE, 1),
  /**
   * Byte budget of one Incident record: a larger incident lists its earliest and latest members only
   * and counts the rest (membersOmitted). Keep it under the correlated topic's max.message.bytes.
   */
  CORRELATOR_MAX_RECORD_BYTES: envInt(DEFAULT_MAX_RECORD_BYTES, 10_000),
  /** Comma-separated addresses / CIDRs that never link. */
  CORRELATOR_SCANNER_ALLOW_LIST: z.string().default(''),
  /** Comma-separated canonical identities that never link. */
  CORRELATOR_NON_EVIDENCE_IDENTITIES: z.string().default(''),
});
export type CorrelatorConfig = z.output<typeof correlatorConfigSchema>;

const list = (text: string): string[] =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

export const correlationConfigFrom = (config: CorrelatorConfig): CorrelationConfigInput => ({
  windowMs: { ip: config.CORRELATOR_WINDOW_IP_MS, identity: config.CORRELATOR_WINDOW_IDENTITY_MS },
  graceMs: config.CORRELATOR_GRACE_MS,
  hotKeyDistinctIdentities: config.CORRELATOR_HOT_KEY_DISTINCT_IDENTITIES,
  hotKeyLookaheadMs: config.CORRELATOR_HOT_KEY_LOOKAHEAD_MS,
  debounceMs: config.CORRELATOR_DEBOUNCE_MS,
  maxDebounceDelayMs: config.CORRELATOR_MAX_DEBOUNCE_DELAY_MS,
  dedupRetentionMs: config.CORRELATOR_DEDUP_RETENTION_MS,
  scannerAllowList: list(config.CORRELATOR_SCANNER_ALLOW_LIST),
  nonEvidenceIdentities: list(config.CORRELATOR_NON_EVIDENCE_IDENTITIES),
});

const avsc = (name: 'SecurityEvent' | 'Incident') => schemas[name].avsc as unknown as AvroSchemaJson;

export function buildCorrelatorStage(config: CorrelatorConfig, kit: Kit) {
  const correlation = parseCorrelationConfig(correlationConfigFrom(config));
  // A hot decision keeps its key from linking for W_ip (+ the lookahead) of event time.
  const metrics = new CorrelatorMetrics(kit.metrics.registry, windowFor(correlation, 'ip') + correlation.hotKeyLookaheadMs);
  const store = new RedisCorrelationState({
    redis: kit.redis(),
    prefix: config.CORRELATOR_REDIS_PREFIX,
    config: correlation,
    clock: { now: () => Date.now() },
    idleAdvanceMs: config.CORRELATOR_IDLE_ADVANCE_MS,
    maxPerAdvance: config.CORRELATOR_MAX_PER_ADVANCE,
    sweepBuckets: config.CORRELATOR_SWEEP_BUCKETS,
    emissionLeaseMs: config.CORRELATOR_EMISSION_LEASE_MS,
    onIdleAdvance: (info) => {
      metrics.idleAdvance(info);
      kit.logger.info(
        { watermark: info.watermark, strictWatermark: info.strictWatermark, idlePartitions: info.idlePartitions },
        info.idlePartitions.length > 0 ? 'watermark advanced past idle partitions' : 'no idle partition moves the watermark any more',
      );
    },
    onHotKey: (decision) => {
      // Once per key and window in this instance: which NAT egress / proxy stopped linking. The key
      // is data from the events (an address), logged as a field.
      if (metrics.hotKey(decision)) {
        kit.logger.warn(
          { key: decision.key, distinctIdentities: decision.distinctIdentities, observedAt: new Date(decision.observedAt).toISOString() },
          'join key is hot: too many distinct identities in the window, it does not link',
        );
      }
    },
  });
  return correlatorStage({
    topics: { enriched: config.CORRELATOR_INPUT_TOPIC, correlated: config.CORRELATOR_OUTPUT_TOPIC },
    codecs: {
      event: kit.avro<unknown>(avsc('SecurityEvent'), { readerSchema: avsc('SecurityEvent') }),
      incident: kit.avro<Incident>(avsc('Incident')),
    },
    store,
    observer: metrics,
    maxRecordBytes: config.CORRELATOR_MAX_RECORD_BYTES,
    now: () => Date.now(),
    timer: {
      producer: new KafkaProducerPort(kit.kafka, { idempotent: config.KAFKA_PRODUCER_IDEMPOTENT }),
      tickIntervalMs: config.CORRELATOR_TICK_INTERVAL_MS,
    },
  });
}

export async function startCorrelator(config: CorrelatorConfig, kit: Kit, options: StartStageOptions = {}) {
  return startStage(buildCorrelatorStage(config, kit), kit, options);
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  let config: CorrelatorConfig;
  try {
    config = loadConfig(correlatorConfigSchema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const kit = createKit(config, { service: 'correlator' });
  await runStage(buildCorrelatorStage(config, kit), kit);
}
