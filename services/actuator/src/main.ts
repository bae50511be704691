/**
 * `node --import tsx services/actuator/src/main.ts` with the kit's variables (KAFKA_*,
 * SCHEMA_REGISTRY_*, REDIS_URL or REDIS_CLUSTER_NODES, ...) plus those below (README.md).
 */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  ConfigError, createKit, defineConfigSchema, envInt, KafkaProducerPort, loadConfig, optionalSecret, startStage,
  type AvroSchemaJson, type Kit, type StartStageOptions,
} from '@seam/kit';
import { schemas, type ActionRecord } from '@seam/schemas';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { ActionKindName } from './approvals/backend';
import { PermanentActionError, type Executor, type Executors } from './adapters/executor';
import { NotifyExecutor } from './adapters/notify';
import { DEFAULT_POLICY_PATH, PolicyFile } from './adapters/policy-file';
import { QradarAssignExecutor, QradarClient, QradarCloseExecutor, QradarNoteExecutor, QradarReferenceSetExecutor } from './adapters/qradar';
import { RedisActionStore } from './adapters/redis-store';
import { SecurityHubExecutor } from './adapters/securityhub';
import { SsmAutomationExecutor } from './adapters/ssm';
import { ActionLifecycle } from './lifecycle';
import { ActionEmitter, actuatorStage } from './stage';

export const actuatorConfigSchema = defineConfigSchema({
  ACTUATOR_INPUT_TOPIC: z.string().min(1).default('verdicts'),
  ACTUATOR_OUTPUT_TOPIC: z.string().min(1).default('actions'),
  ACTUATOR_POLICY_FILE: z.string().min(1).default(DEFAULT_POLICY_PATH),
  ACTUATOR_POLICY_POLL_MS: envInt(5_000, 100),
  ACTUATOR_REDIS_PREFIX: z.string().min(1).default('seam:'),
  ACTUATOR_CLAIM_LEASE_MS: envInt(60_000, 100),
  ACTUATOR_SWEEP_INTERVAL_MS: envInt(10_000, 0),
  ACTUATOR_INSTANCE_ID: z.string().min(1).default(`${hostname()}:${process.pid}`),
  QRADAR_URL: z.url().optional(),
  QRADAR_TOKEN: optionalSecret(),
  QRADAR_API_VERSION: z.string().min(1).default('20.0'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Endpoint of both AWS clients (the emulator in tests); unset = AWS. */
  ACTUATOR_AWS_ENDPOINT: z.url().optional(),
  ACTUATOR_AWS_MAX_ATTEMPTS: envInt(6, 1),
  ACTUATOR_SSM_ASSUME_ROLE_ARN: z.string().min(1).optional(),
  ACTUATOR_SSM_POLL_MS: envInt(1_000, 10),
  ACTUATOR_SSM_FOLLOW_TIMEOUT_MS: envInt(600_000, 100),
  ACTUATOR_NOTE_UPDATED_BY: z.string().min(1).max(512).default('seam-actuator'),
  ACTUATOR_NOTIFY_WEBHOOK_URL: optionalSecret(),
  ACTUATOR_APPROVALS_URL: z.url().optional(),
  /** JSON `[{"name","role","token"}]` (or ACTUATOR_APPROVALS_TOKENS_FILE): enables the approvals API and page. */
  ACTUATOR_APPROVALS_TOKENS: optionalSecret(),
  ACTUATOR_SLACK_SIGNING_SECRET: optionalSecret(),
  ACTUATOR_SLACK_USERS: z.string().min(2).optional(),
  /** Test hook (crash tests): pause after an execution, before its outcome is committed. */
  ACTUATOR_TEST_PAUSE_AFTER_EXECUTE_MS: envInt(0, 0),
});
export type ActuatorConfig = z.output<typeof actuatorConfigSchema>;

const notConfigured = (what: string): Executor => ({
  execute: () => Promise.reject(new PermanentActionError(`${what} is not configured`)),
  reconcile: () => Promise.resolve({ state: 'run' }),
});

const avsc = (name: 'Verdict' | 'ActionRecord') => schemas[name].avsc as unknown as AvroSchemaJson;

export function buildActuator(config: ActuatorConfig, kit: Kit) {
  const policyFile = new PolicyFile(config.ACTUATOR_POLICY_FILE, kit.logger);
  const aws = {
    region: config.AWS_REGION,
    maxAttempts: config.ACTUATOR_AWS_MAX_ATTEMPTS,
    ...(config.ACTUATOR_AWS_ENDPOINT === undefined ? {} : { endpoint: config.ACTUATOR_AWS_ENDPOINT }),
  };
  const hub = new SecurityHubExecutor({ client: new SecurityHubClient(aws), updatedBy: config.ACTUATOR_NOTE_UPDATED_BY });
  const qradar = config.QRADAR_URL !== undefined && config.QRADAR_TOKEN !== undefined
    ? new QradarClient({ baseUrl: config.QRADAR_URL, token: config.QRADAR_TOKEN, version: config.QRADAR_API_VERSION })
    : undefined;
  const executors: Executors = {
    'qradar.note': qradar ? new QradarNoteExecutor(qradar) : notConfigured('QRadar (QRADAR_URL, QRADAR_TOKEN)'),
    'qradar.assign': qradar ? new QradarAssignExecutor(qradar) : notConfigured('QRadar (QRADAR_URL, QRADAR_TOKEN)'),
    'qradar.close': qradar ? new QradarCloseExecutor(qradar) : notConfigured('QRadar (QRADAR_URL, QRADAR_TOKEN)'),
    'qradar.reference_set': qradar ? new QradarReferenceSetExecutor(qradar) : notConfigured('QRadar (QRADAR_URL, QRADAR_TOKEN)'),
    'securityhub.update': hub,
    'ssm.automation': new SsmAutomationExecutor({
      client: new SSMClient(aws),
      pollIntervalMs: config.ACTUATOR_SSM_POLL_MS,
      followTimeoutMs: config.ACTUATOR_SSM_FOLLOW_TIMEOUT_MS,
      ...(config.ACTUATOR_SSM_ASSUME_ROLE_ARN === undefined ? {} : { assumeRoleArn: config.ACTUATOR_SSM_ASSUME_ROLE_ARN }),
    }),
    notify: new NotifyExecutor({ webhookUrl: config.ACTUATOR_NOTIFY_WEBHOOK_URL, ...(config.ACTUATOR_APPROVALS_URL === undefined ? {} : { approvalsUrl: config.ACTUATOR_APPROVALS_URL }) }),
  } satisfies Record<ActionKindName, Executor>;
  const actionCodec = kit.avro<ActionRecord>(avsc('ActionRecord'));
  const emitter = new ActionEmitter(new KafkaProducerPort(kit.kafka, { idempotent: config.KAFKA_PRODUCER_IDEMPOTENT }), actionCodec, config.ACTUATOR_OUTPUT_TOPIC);
  const lifecycle = new ActionLifecycle({
    store: new RedisActionStore({ redis: kit.redis(), prefix: config.ACTUATOR_REDIS_PREFIX }),
    policy: () => policyFile.policy,
    executors,
    securityHub: hub,
    emit: (records) => emitter.emit(records),
    log: kit.logger,
    owner: config.ACTUATOR_INSTANCE_ID,
    leaseMs: config.ACTUATOR_CLAIM_LEASE_MS,
    ...(config.ACTUATOR_TEST_PAUSE_AFTER_EXECUTE_MS > 0 ? { pauseAfterExecuteMs: config.ACTUATOR_TEST_PAUSE_AFTER_EXECUTE_MS } : {}),
  });
  let sweeper: NodeJS.Timeout | undefined;
  const stage = actuatorStage({
    topics: { verdicts: config.ACTUATOR_INPUT_TOPIC, actions: config.ACTUATOR_OUTPUT_TOPIC },
    codecs: { verdict: kit.avro<unknown>(avsc('Verdict'), { readerSchema: avsc('Verdict') }), action: actionCodec },
    lifecycle,
    background: {
      start: () => {
        policyFile.start(config.ACTUATOR_POLICY_POLL_MS);
        if (config.ACTUATOR_SWEEP_INTERVAL_MS > 0) {
          sweeper = setInterval(() => {
            lifecycle.sweep().catch((error: unknown) => kit.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'sweep failed'));
          }, config.ACTUATOR_SWEEP_INTERVAL_MS);
          sweeper.unref();
        }
      },
      stop: async () => {
        policyFile.stop();
        if (sweeper !== undefined) clearInterval(sweeper);
        await lifecycle.idle();
        await emitter.close();
      },
    },
  });
  return { stage, lifecycle, policyFile };
}

/** Registers the approvals HTTP API / page / Slack callback when tokens are configured. */
async function registerApprovals(config: ActuatorConfig, kit: Kit, lifecycle: ActionLifecycle): Promise<void> {
  if (config.ACTUATOR_APPROVALS_TOKENS === undefined) {
    kit.logger.warn('ACTUATOR_APPROVALS_TOKENS not set: the approvals API is disabled (proposals wait until they expire)');
    return;
  }
  const routesPath = fileURLToPath(new URL('./approvals/routes.ts', import.meta.url));
  if (!existsSync(routesPath)) return;
  const routes = await import('./approvals/routes');
  const tokens = routes.parseApprovalTokens(JSON.parse(config.ACTUATOR_APPROVALS_TOKENS.reveal()));
  const slack = config.ACTUATOR_SLACK_SIGNING_SECRET !== undefined && config.ACTUATOR_SLACK_USERS !== undefined
    ? { signingSecret: config.ACTUATOR_SLACK_SIGNING_SECRET, users: routes.parseSlackUsers(JSON.parse(config.ACTUATOR_SLACK_USERS)) }
    : undefined;
  routes.registerApprovalsRoutes(kit.http, { backend: lifecycle, tokens, ...(slack === undefined ? {} : { slack }) });
}

export async function startActuator(config: ActuatorConfig, kit: Kit, options: StartStageOptions = {}) {
  const built = buildActuator(config, kit);
  await registerApprovals(config, kit, built.lifecycle);
  return { ...built, handle: await startStage(built.stage, kit, options) };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  let config: ActuatorConfig;
  try {
    config = loadConfig(actuatorConfigSchema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const kit = createKit(config, { service: 'actuator' });
  const { handle } = await startActuator(config, kit);
  const result = await handle.done;
  process.exit(result.exitCode);
}
