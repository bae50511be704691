/**
 * QRadar ingest: `node --import tsx services/qradar-ingest/src/main.ts`. Polls new and changed
 * offenses (and accepts POST /webhook/qradar), produces OffenseRaw to offenses.raw.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, createKit, dlqTopicFor, loadConfig, Secret, type AvroSchemaJson } from '@seam/kit';
import { schemas, type OffenseRaw } from '@seam/schemas';
import { KafkaOffenseSink } from './adapters/offense-sink';
import { QradarClient } from './adapters/qradar-client';
import { StateStore } from './adapters/state-store';
import { OffenseTopicReader } from './adapters/topic-reader';
import { webhookHandler } from './adapters/webhook';
import { configSchema } from './config';
import { createIngestMetrics, Ingestor } from './ingestor';
import { recoverIntent } from './recovery';

function readConfig() {
  try {
    return loadConfig(configSchema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
const kit = createKit(config, { service: 'qradar-ingest' });
const { logger } = kit;

const client = new QradarClient({
  baseUrl: config.QRADAR_URL,
  token: config.QRADAR_TOKEN,
  apiVersion: config.QRADAR_API_VERSION,
  ...(config.QRADAR_CA_FILE === undefined ? {} : { caPem: readFileSync(config.QRADAR_CA_FILE, 'utf8') }),
  insecureSkipVerify: config.QRADAR_TLS_INSECURE,
  timeoutMs: config.QRADAR_TIMEOUT_MS,
  retry: { maxAttempts: config.QRADAR_MAX_ATTEMPTS, initialDelayMs: config.QRADAR_RETRY_INITIAL_MS, maxDelayMs: config.QRADAR_RETRY_MAX_MS },
  logger,
});

const producer = kit.kafka.producer({ idempotent: config.KAFKA_PRODUCER_IDEMPOTENT, ...(config.KAFKA_PRODUCER_IDEMPOTENT ? { maxInFlightRequests: 1 } : {}) });
const codec = kit.avro<OffenseRaw>(schemas.OffenseRaw.avsc as unknown as AvroSchemaJson);
const reader = new OffenseTopicReader(kit.kafka, codec, config.OFFENSES_RAW_TOPIC);
const sink = new KafkaOffenseSink(
  producer,
  codec,
  config.OFFENSES_RAW_TOPIC,
  config.OFFENSES_DLQ_TOPIC ?? dlqTopicFor(config.OFFENSES_RAW_TOPIC),
);
const store = new StateStore(kit.redis(), config.REDIS_KEY_PREFIX, config.DEDUP_TTL_SECONDS);
const ingestor = new Ingestor({
  client,
  sink,
  store,
  journal: reader,
  logger,
  metrics: createIngestMetrics(kit.metrics.registry),
  settings: {
    pageSize: config.PAGE_SIZE,
    addressBatchSize: config.ADDRESS_BATCH_SIZE,
    eventSampleSize: config.EVENT_SAMPLE_SIZE,
    eventSampleConcurrency: config.EVENT_SAMPLE_CONCURRENCY,
    eventRetries: config.EVENT_SAMPLE_RETRIES,
    eventRetryDelayMs: config.EVENT_SAMPLE_RETRY_DELAY_MS,
    eventLagWindowMs: config.EVENT_LAG_WINDOW_MS,
    arielWaitSeconds: config.ARIEL_WAIT_SECONDS,
    arielDeadlineMs: config.ARIEL_DEADLINE_MS,
    newPollIntervalMs: config.POLL_NEW_INTERVAL_MS,
    changedPollIntervalMs: config.POLL_CHANGED_INTERVAL_MS,
    errorBackoffMs: config.POLL_ERROR_BACKOFF_MS,
    maxErrorBackoffMs: config.POLL_MAX_ERROR_BACKOFF_MS,
  },
});

const bearerTokens = [config.WEBHOOK_TOKEN, ...(config.WEBHOOK_TOKENS_EXTRA ?? []).map((t) => new Secret(t))].filter((t): t is Secret => t !== undefined);
if (bearerTokens.length > 0 || config.WEBHOOK_HMAC_SECRET !== undefined) {
  kit.http.addRoute(
    'POST',
    '/webhook/qradar',
    webhookHandler({ bearerTokens, ...(config.WEBHOOK_HMAC_SECRET === undefined ? {} : { hmacSecret: config.WEBHOOK_HMAC_SECRET }), maxSkewMs: config.WEBHOOK_MAX_SKEW_MS }, (id) => ingestor.ingestById(id), logger),
  );
} else {
  logger.info('no WEBHOOK_TOKEN or WEBHOOK_HMAC_SECRET: POST /webhook/qradar is disabled');
}

let producerConnected = false;
kit.setReadiness(() => producerConnected);

let shuttingDown = false;
let running: Promise<void> = Promise.resolve();
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, 'shutting down');
  const timer = setTimeout(() => {
    logger.error('shutdown timed out');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS);
  timer.unref();
  kit.http.markClosing();
  ingestor.stop();
  await running.catch(() => undefined);
  await producer.disconnect().catch(() => undefined);
  await reader.close();
  client.close();
  await kit.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

// Before either poller or the webhook (the HTTP server, hence the webhook route, is not listening yet).
await recoverIntent(store, reader, logger, config.INTENT_RECOVERY_TIMEOUT_MS);
const port = await kit.http.listen();
await producer.connect();
producerConnected = true;
logger.info({ port, topic: config.OFFENSES_RAW_TOPIC, qradar: client.origin }, 'qradar-ingest started');
running = ingestor.run();
await running;
