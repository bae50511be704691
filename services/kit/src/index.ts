export { avroCodec, createSchemaRegistry, subjectForTopic, type AvroCodecOptions, type AvroSchemaJson } from './avro';
export { bearerTokenMatches, requireBearer, type RouteHandler } from './auth';
export { backoffDelay, defaultBackoffPolicy, type BackoffPolicy } from './backoff';
export { bytesCodec, jsonCodec, stringCodec, type Codec } from './codec';
export {
  ConfigError,
  commonConfigSchema,
  commonConfigShape,
  csvList,
  defineConfigSchema,
  envBool,
  envInt,
  loadConfig,
  optionalSecret,
  secret,
  type CommonConfig,
  type Env,
} from './config';
export {
  DecodeError,
  EncodeError,
  FatalError,
  PoisonError,
  RetriableError,
  ValidationError,
  classifyError,
  errorReason,
  isSeamError,
  type ErrorClass,
} from './errors';
export {
  DLQ_HEADERS,
  DLQ_HEADER_ERROR_CLASS,
  DLQ_HEADER_ERROR_REASON,
  DLQ_HEADER_FAILED_AT,
  DLQ_HEADER_SOURCE_OFFSET,
  DLQ_HEADER_SOURCE_PARTITION,
  DLQ_HEADER_SOURCE_TOPIC,
  DLQ_HEADER_STAGE,
  dlqTopicFor,
  headerText,
} from './headers';
export { HttpError, HttpServer, readBody, readJsonBody, type HttpMethod } from './http';
export { KafkaConsumerPort, KafkaProducerPort, createKafka } from './kafka';
export { createKit, type Kit, type KitOptions } from './kit';
export { createLogger, defaultRedactPaths, type Logger } from './logger';
export { InMemoryBroker, InMemoryConsumer, InMemoryProducer } from './memory';
export { createMetrics, type KitMetrics } from './metrics';
export type { BatchControls, ConsumerPort, InputBatch, OutgoingMessage, ProducerPort, RawHeaders, RawMessage, TopicMessages } from './ports';
export { runStage, startStage, type StageHandle, type StartStageOptions } from './process';
export { createRedis, parseClusterNodes, type RedisClient } from './redis';
export { StageRunner, type RunResult, type RunnerDeps } from './runner';
export { Secret, isSecret } from './secret';
export { kafkaSasl, kafkaTls, oidcClientCredentialsProvider, redisTls, registryAuth, type OAuthBearerProvider } from './security';
export {
  defineStage,
  inputSpec,
  outputSpec,
  type BatchHandlerContext,
  type BatchItemResult,
  type HandlerContext,
  type InputRecord,
  type InputSpec,
  type OutputRecord,
  type OutputSpec,
  type StageDefinition,
  type StageLifecycleContext,
} from './stage';
export { TRACEPARENT_HEADER, continueTrace, formatTraceparent, parseTraceparent, type TraceContext } from './trace';
