import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { KafkaProducerPort, dlqTopicFor, type AvroSchemaJson, type Kit } from '@seam/kit';
import { schemas, type FindingRaw } from '@seam/schemas';
import { backfillCloudTrail, type BackfillResult } from './cloudtrail-backfill';
import type { AwsIngestConfig } from './config';
import { EVENTBRIDGE_PATH, eventBridgeHandler } from './eventbridge';
import { SecurityHubPoller } from './securityhub-poller';
import { RawSink } from './sink';
import { RedisFileLedger, RedisWatermarkStore } from './watermark-store';

export const STAGE_NAME = 'aws-ingest';

export interface AwsIngestHandle {
  readonly port: number;
  readonly sink: RawSink;
  readonly poller: SecurityHubPoller | undefined;
  /** Resolves when the startup CloudTrail backfill (if any) finished. */
  readonly backfill: Promise<BackfillResult | undefined>;
  stop(): Promise<void>;
}

/** Security Hub client with the SDK default credential chain and adaptive retry. */
export function createSecurityHubClient(config: Pick<AwsIngestConfig, 'AWS_REGION' | 'SECURITYHUB_ENDPOINT' | 'SECURITYHUB_SDK_MAX_ATTEMPTS'>): SecurityHubClient {
  return new SecurityHubClient({
    region: config.AWS_REGION,
    retryMode: 'adaptive',
    maxAttempts: config.SECURITYHUB_SDK_MAX_ATTEMPTS,
    ...(config.SECURITYHUB_ENDPOINT !== undefined ? { endpoint: config.SECURITYHUB_ENDPOINT } : {}),
  });
}

/**
 * Wires the three intakes onto one producer: the Security Hub poller, POST /eventbridge on the
 * kit's HTTP server, and the CloudTrail folder backfill. stop() stops polling (the page in flight is
 * acknowledged and its watermark saved first), closes HTTP, then disconnects Kafka and Redis.
 */
export async function startAwsIngest(kit: Kit, config: AwsIngestConfig, client?: SecurityHubClient): Promise<AwsIngestHandle> {
  const { logger } = kit;
  const producer = new KafkaProducerPort(kit.kafka, { idempotent: config.KAFKA_PRODUCER_IDEMPOTENT });
  await producer.connect();
  const sink = new RawSink({
    producer,
    codec: kit.avro<FindingRaw>(schemas.FindingRaw.avsc as unknown as AvroSchemaJson),
    topic: config.FINDINGS_TOPIC,
    dlqTopic: dlqTopicFor(config.FINDINGS_TOPIC),
    stage: STAGE_NAME,
  });
  const redis = kit.redis();
  const prefix = config.REDIS_KEY_PREFIX;

  if (config.EVENTBRIDGE_TOKEN !== undefined) {
    kit.http.addRoute('POST', EVENTBRIDGE_PATH, eventBridgeHandler({ sink, logger, tokens: [config.EVENTBRIDGE_TOKEN], apiKeyHeader: config.EVENTBRIDGE_API_KEY_HEADER }));
  } else {
    logger.warn('EVENTBRIDGE_TOKEN not set: POST /eventbridge is disabled');
  }

  let poller: SecurityHubPoller | undefined;
  const hub = client ?? (config.SECURITYHUB_POLL_ENABLED ? createSecurityHubClient(config) : undefined);
  if (config.SECURITYHUB_POLL_ENABLED && hub !== undefined) {
    poller = new SecurityHubPoller({
      client: hub,
      sink,
      store: new RedisWatermarkStore(redis, `${prefix}:{securityhub}:watermark`),
      logger,
      backoff: kit.backoff,
      intervalMs: config.SECURITYHUB_POLL_INTERVAL_MS,
      pageSize: config.SECURITYHUB_PAGE_SIZE,
      ...(config.SECURITYHUB_ACTIVE_ONLY ? { extraFilters: { RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }] } } : {}),
      ...(config.SECURITYHUB_START_AT !== undefined ? { startAt: config.SECURITYHUB_START_AT } : {}),
    });
  }

  const abort = new AbortController();
  const backfill: Promise<BackfillResult | undefined> =
    config.CLOUDTRAIL_DIR === undefined
      ? Promise.resolve(undefined)
      : backfillCloudTrail({ dir: config.CLOUDTRAIL_DIR, sink, ledger: new RedisFileLedger(redis, `${prefix}:{cloudtrail}:done`), logger, signal: abort.signal }).catch((error: unknown) => {
          logger.error({ errorName: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message.slice(0, 300) : undefined }, 'CloudTrail backfill failed');
          return undefined;
        });

  kit.setReadiness(() => true);
  const port = await kit.http.listen();
  poller?.start();

  return {
    port,
    sink,
    poller,
    backfill,
    stop: async () => {
      kit.http.markClosing();
      abort.abort();
      await poller?.stop();
      await backfill;
      await kit.http.close();
      await producer.disconnect();
      if (client === undefined) hub?.destroy();
      await kit.close();
    },
  };
}
