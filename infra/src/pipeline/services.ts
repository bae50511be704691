/**
 * The environment of each Seam service for one pipeline run (main job, replay, crash tests): the
 * components' endpoints, a per-run topic prefix, consumer groups and Redis prefixes, so a run never
 * reads another run's records or state. Every value here is a variable the service's config schema
 * reads (see each services/<name>/README.md); nothing is passed any other way.
 */
import type { ServiceSpec } from './supervisor';

export const SERVICE_NAMES = ['qradar-ingest', 'aws-ingest', 'enricher', 'correlator', 'scorer', 'actuator'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Endpoints of the running components, as infra/up.sh writes them to .local/endpoints.env. */
export interface ComponentEndpoints {
  readonly KAFKA_BROKERS: string;
  readonly SCHEMA_REGISTRY_URL: string;
  readonly REDIS_URL: string;
  readonly LLM_BASE_URL?: string;
  readonly LLM_MODEL?: string;
  readonly LLM_API_KEY?: string;
}

export interface RunSettings {
  /** Prefix of every topic, consumer group and Redis key of the run (e.g. `run-1a2b.`). */
  readonly prefix: string;
  readonly endpoints: ComponentEndpoints;
  /** The QRadar console base URL (the API is under /api) and its SEC token. */
  readonly qradar: { readonly url: string; readonly token: string };
  /** The AWS emulator (Security Hub, SSM) and the access key id it accepts. */
  readonly aws: { readonly url: string; readonly accessKeyId: string };
  /** Approvals API tokens (JSON `[{name, role, token}]`) for the actuator. */
  readonly approvalsTokens: string;
  /** Bearer token the run uses to post EventBridge events to aws-ingest. */
  readonly eventBridgeToken: string;
  readonly ports: Readonly<Record<ServiceName, number>>;
  readonly logLevel?: string;
  /** Extra variables per service (context files, policy, approvals tokens, ...). */
  readonly extra?: Partial<Record<ServiceName, Readonly<Record<string, string>>>>;
}

/** Topic names of a run. */
export function runTopics(prefix: string) {
  return {
    offensesRaw: `${prefix}offenses.raw`,
    findingsRaw: `${prefix}findings.raw`,
    enriched: `${prefix}enriched`,
    correlated: `${prefix}correlated`,
    verdicts: `${prefix}verdicts`,
    actions: `${prefix}actions`,
    llmAudit: `${prefix}llm.audit`,
  };
}

/** The correlator's Redis key prefix in a run (its watermark hash is `<prefix>wm`). */
export const correlatorRedisPrefix = (runPrefix: string): string => `${runPrefix}seam:corr:`;

function common(name: ServiceName, run: RunSettings): Record<string, string> {
  return {
    SERVICE_NAME: name,
    LOG_LEVEL: run.logLevel ?? 'info',
    KAFKA_BROKERS: run.endpoints.KAFKA_BROKERS,
    KAFKA_CLIENT_ID: `${run.prefix}${name}`,
    KAFKA_GROUP_ID: `${run.prefix}seam.${name}`,
    KAFKA_FROM_BEGINNING: 'true',
    SCHEMA_REGISTRY_URL: run.endpoints.SCHEMA_REGISTRY_URL,
    REDIS_URL: run.endpoints.REDIS_URL,
    HTTP_HOST: '127.0.0.1',
  };
}

/** Variables specific to each service (topic names and wiring), on top of `common`. */
function specific(name: ServiceName, run: RunSettings): Record<string, string> {
  const topics = runTopics(run.prefix);
  const redisPrefix = `${run.prefix}seam`;
  switch (name) {
    case 'qradar-ingest':
      return {
        QRADAR_URL: run.qradar.url,
        QRADAR_TOKEN: run.qradar.token,
        OFFENSES_RAW_TOPIC: topics.offensesRaw,
        OFFENSES_DLQ_TOPIC: `${topics.offensesRaw}.dlq`,
        REDIS_KEY_PREFIX: `${redisPrefix}:qradar`,
        POLL_NEW_INTERVAL_MS: '1000',
        POLL_CHANGED_INTERVAL_MS: '2000',
      };
    case 'aws-ingest':
      return {
        SECURITYHUB_POLL_ENABLED: 'false',
        EVENTBRIDGE_TOKEN: run.eventBridgeToken,
        FINDINGS_TOPIC: topics.findingsRaw,
        REDIS_KEY_PREFIX: `${redisPrefix}:aws`,
        AWS_REGION: 'us-east-1',
      };
    case 'enricher':
      return {
        ENRICHER_OFFENSES_TOPIC: topics.offensesRaw,
        ENRICHER_FINDINGS_TOPIC: topics.findingsRaw,
        ENRICHER_OUTPUT_TOPIC: topics.enriched,
        ENRICH_CACHE_PREFIX: `${redisPrefix}:enrich:`,
      };
    case 'correlator':
      return {
        CORRELATOR_INPUT_TOPIC: topics.enriched,
        CORRELATOR_OUTPUT_TOPIC: topics.correlated,
        CORRELATOR_REDIS_PREFIX: correlatorRedisPrefix(run.prefix),
      };
    case 'scorer':
      return {
        SCORER_INPUT_TOPIC: topics.correlated,
        SCORER_OUTPUT_TOPIC: topics.verdicts,
        SCORER_AUDIT_TOPIC: topics.llmAudit,
        // The scorer keeps each member event (from `enriched`) to score incidents with their evidence.
        SCORER_EVENTS_TOPIC: topics.enriched,
        SCORER_REDIS_PREFIX: `${redisPrefix}:scorer:`,
        ...(run.endpoints.LLM_BASE_URL === undefined ? {} : { LLM_BASE_URL: run.endpoints.LLM_BASE_URL }),
        ...(run.endpoints.LLM_MODEL === undefined ? {} : { LLM_MODEL: run.endpoints.LLM_MODEL }),
        ...(run.endpoints.LLM_API_KEY === undefined ? {} : { LLM_API_KEY: run.endpoints.LLM_API_KEY }),
      };
    case 'actuator':
      return {
        ACTUATOR_INPUT_TOPIC: topics.verdicts,
        ACTUATOR_OUTPUT_TOPIC: topics.actions,
        ACTUATOR_REDIS_PREFIX: `${redisPrefix}:`,
        QRADAR_URL: run.qradar.url,
        QRADAR_TOKEN: run.qradar.token,
        AWS_REGION: 'us-east-1',
        ACTUATOR_AWS_ENDPOINT: run.aws.url,
        AWS_ACCESS_KEY_ID: run.aws.accessKeyId,
        // The emulator checks the SigV4 scope's key id, not the signature: any secret will do.
        AWS_SECRET_ACCESS_KEY: 'emulator',
        ACTUATOR_SSM_ASSUME_ROLE_ARN: 'arn:aws:iam::123456789012:role/SeamContainInstance',
        ACTUATOR_SSM_POLL_MS: '200',
        ACTUATOR_APPROVALS_TOKENS: run.approvalsTokens,
        ACTUATOR_APPROVALS_URL: `http://127.0.0.1:${run.ports.actuator}/approvals`,
      };
  }
}

export function serviceSpec(name: ServiceName, run: RunSettings): ServiceSpec {
  return {
    name,
    entry: `services/${name}/src/main.ts`,
    httpPort: run.ports[name],
    env: { ...common(name, run), ...specific(name, run), ...(run.extra?.[name] ?? {}) },
  };
}
