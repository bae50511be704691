import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import type { DestinationStream, Logger } from 'pino';
import { avroCodec, createSchemaRegistry, type AvroSchemaJson } from './avro';
import type { BackoffPolicy } from './backoff';
import type { Codec } from './codec';
import type { CommonConfig } from './config';
import { HttpServer } from './http';
import { createKafka } from './kafka';
import { createLogger } from './logger';
import { createMetrics, type KitMetrics } from './metrics';
import { createRedis, type RedisClient } from './redis';
import type { OAuthBearerProvider } from './security';

export interface KitOptions {
  /** Service name when SERVICE_NAME is not set. */
  readonly service: string;
  readonly oauthBearerProvider?: OAuthBearerProvider;
  readonly logDestination?: DestinationStream;
  readonly redactPaths?: readonly string[];
  readonly defaultMetrics?: boolean;
}

/** Everything a stage's main.ts wires together, built from one parsed config. */
export interface Kit {
  readonly config: CommonConfig;
  readonly service: string;
  readonly logger: Logger;
  readonly metrics: KitMetrics;
  readonly http: HttpServer;
  readonly kafka: Kafka;
  readonly backoff: BackoffPolicy;
  /** The schema registry client (created on first use). */
  schemaRegistry(): SchemaRegistry;
  /** An Avro codec writing with `schema` under `<topic>-value`. */
  avro<T>(schema: AvroSchemaJson, options?: { readerSchema?: AvroSchemaJson }): Codec<T>;
  /** The Redis client (created on first use, closed by close()). */
  redis(): RedisClient;
  /** Sets what /readyz reports. */
  setReadiness(check: () => boolean): void;
  close(): Promise<void>;
}

export function createKit(config: CommonConfig, options: KitOptions): Kit {
  const service = config.SERVICE_NAME ?? options.service;
  const logger = createLogger({
    service,
    level: config.LOG_LEVEL,
    ...(options.redactPaths ? { redactPaths: options.redactPaths } : {}),
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  let readiness: () => boolean = () => false;
  const http = new HttpServer({ host: config.HTTP_HOST, port: config.HTTP_PORT, registry: metrics.registry, isReady: () => readiness(), logger });
  const kafka = createKafka(config, {
    clientId: service,
    logger,
    ...(options.oauthBearerProvider ? { oauthBearerProvider: options.oauthBearerProvider } : {}),
  });
  let registry: SchemaRegistry | undefined;
  let redis: RedisClient | undefined;
  const schemaRegistry = () => (registry ??= createSchemaRegistry(config));
  return {
    config,
    service,
    logger,
    metrics,
    http,
    kafka,
    backoff: {
      maxAttempts: config.RETRY_MAX_ATTEMPTS,
      initialDelayMs: config.RETRY_INITIAL_DELAY_MS,
      maxDelayMs: config.RETRY_MAX_DELAY_MS,
      multiplier: 2,
      jitter: 0.2,
    },
    schemaRegistry,
    avro: <T>(schema: AvroSchemaJson, avroOptions: { readerSchema?: AvroSchemaJson } = {}) =>
      avroCodec<T>(schemaRegistry(), schema, { autoRegister: config.SCHEMA_REGISTRY_AUTO_REGISTER, ...avroOptions }),
    redis: () => (redis ??= createRedis(config)),
    setReadiness: (check) => {
      readiness = check;
    },
    close: async () => {
      await http.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}
