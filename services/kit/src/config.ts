import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FatalError } from './errors';
import { Secret } from './secret';

/** Below the broker's default message.max.bytes (1,048,588) by the record batch's own overhead. */
export const DEFAULT_MAX_RECORD_BYTES = 1_048_000;

/**
 * Configuration is read once, at the edge, from an environment-shaped record. Keys are the
 * environment variable names. Any key may instead be given as `<KEY>_FILE=/path`, whose content
 * (one trailing newline stripped) becomes the value: the convention for mounted secrets.
 */

const secretSchemas = new WeakSet<z.ZodType>();

/** A secret string: wrapped in Secret so it never serializes, and never echoed in config errors. */
export function secret() {
  const schema = z.string().min(1).transform((value) => new Secret(value));
  secretSchemas.add(schema);
  return schema;
}

export function optionalSecret() {
  const schema = secret().optional();
  secretSchemas.add(schema);
  return schema;
}

export function csvList() {
  return z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0))
    .pipe(z.array(z.string()).min(1, 'must list at least one item'));
}

export function envInt(defaultValue: number, min = 0) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(min))
    .default(defaultValue);
}

export function envBool(defaultValue: boolean) {
  return z.stringbool().default(defaultValue);
}

const saslMechanism = z.enum(['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer']);

export const commonConfigShape = {
  SERVICE_NAME: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  KAFKA_BROKERS: csvList(),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  KAFKA_GROUP_ID: z.string().min(1).optional(),
  KAFKA_SSL: envBool(false),
  KAFKA_SSL_CA: z.string().min(1).optional(),
  KAFKA_SSL_CERT: z.string().min(1).optional(),
  KAFKA_SSL_KEY: optionalSecret(),
  KAFKA_SSL_KEY_PASSWORD: optionalSecret(),
  KAFKA_SSL_SERVERNAME: z.string().min(1).optional(),
  KAFKA_SASL_MECHANISM: saslMechanism.optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: optionalSecret(),
  KAFKA_OAUTH_TOKEN_URL: z.url().optional(),
  KAFKA_OAUTH_CLIENT_ID: z.string().min(1).optional(),
  KAFKA_OAUTH_CLIENT_SECRET: optionalSecret(),
  KAFKA_OAUTH_SCOPE: z.string().min(1).optional(),
  KAFKA_PRODUCER_IDEMPOTENT: envBool(true),
  KAFKA_FROM_BEGINNING: envBool(true),
  /** Partitions handled concurrently (records within one partition are always sequential). */
  KAFKA_CONCURRENCY: envInt(4, 1),
  /** Outputs are produced (and offsets resolved) at least every this many input records. */
  KAFKA_MAX_BATCH_RECORDS: envInt(1000, 1),
  /** ...and at least every this many output bytes (keep below the broker's message.max.bytes). */
  KAFKA_MAX_BATCH_BYTES: envInt(1_000_000, 1024),
  /** The largest output record (key + value + headers); a larger one sends its input to the DLQ (the broker would refuse it). */
  KAFKA_MAX_RECORD_BYTES: envInt(DEFAULT_MAX_RECORD_BYTES, 1024),
  KAFKA_MAX_BYTES_PER_PARTITION: envInt(1_048_576, 1024),
  KAFKA_SESSION_TIMEOUT_MS: envInt(30_000, 1000),
  /**
   * kafkajs's retry of every broker request (connect, fetch, produce, commit): attempts after the
   * first, the first wait and the cap of one wait (the waits double with jitter). The defaults ride
   * out ~1 minute without the broker (a rolling restart) instead of kafkajs's ~9 s, after which
   * the consumer gives up and the stage exits for the platform to restart it.
   */
  KAFKA_RETRIES: envInt(8, 0),
  KAFKA_RETRY_INITIAL_MS: envInt(300, 1),
  KAFKA_RETRY_MAX_MS: envInt(30_000, 1),

  RETRY_MAX_ATTEMPTS: envInt(5, 1),
  RETRY_INITIAL_DELAY_MS: envInt(200),
  RETRY_MAX_DELAY_MS: envInt(10_000),

  SCHEMA_REGISTRY_URL: z.url().optional(),
  SCHEMA_REGISTRY_USERNAME: z.string().min(1).optional(),
  SCHEMA_REGISTRY_PASSWORD: optionalSecret(),
  SCHEMA_REGISTRY_AUTO_REGISTER: envBool(false),

  REDIS_URL: z.url().optional(),
  REDIS_CLUSTER_NODES: csvList().optional(),
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: optionalSecret(),
  REDIS_TLS: envBool(false),
  REDIS_TLS_CA: z.string().min(1).optional(),

  // Loopback unless told otherwise: a container sets HTTP_HOST=0.0.0.0 explicitly.
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: envInt(8080).pipe(z.number().max(65_535)),
  SHUTDOWN_TIMEOUT_MS: envInt(25_000, 100),
};

export const commonConfigSchema = z.object(commonConfigShape);
export type CommonConfig = z.output<typeof commonConfigSchema>;

/** The common schema extended with a stage's own variables. */
export function defineConfigSchema<const Extra extends z.core.$ZodLooseShape>(extra: Extra) {
  return commonConfigSchema.extend(extra);
}

export class ConfigError extends FatalError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  readonly readFile?: (path: string) => string;
}

function defaultReadFile(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Resolves `<KEY>_FILE` indirections for the keys the schema knows. */
function resolveFiles(keys: readonly string[], env: Env, readFile: (path: string) => string, problems: string[]): Record<string, string | undefined> {
  const resolved: Record<string, string | undefined> = {};
  for (const key of keys) {
    const direct = env[key];
    const filePath = env[`${key}_FILE`];
    if (filePath !== undefined && filePath !== '') {
      if (direct !== undefined && direct !== '') {
        problems.push(`${key}: set either ${key} or ${key}_FILE, not both`);
        continue;
      }
      try {
        resolved[key] = readFile(filePath).replace(/\r?\n$/, '');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        problems.push(`${key}_FILE: cannot read ${filePath} (${code})`);
      }
      continue;
    }
    // An empty variable counts as unset, as in most deployment tooling.
    resolved[key] = direct === '' ? undefined : direct;
  }
  return resolved;
}

/** Cross-field rules of the common variables, checked on the raw strings so they always run. */
function commonProblems(raw: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const has = (key: string) => raw[key] !== undefined;
  const mechanism = raw['KAFKA_SASL_MECHANISM'];
  if (mechanism === 'plain' || mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') {
    if (!has('KAFKA_SASL_USERNAME')) problems.push(`KAFKA_SASL_USERNAME: is required when KAFKA_SASL_MECHANISM=${mechanism}`);
    if (!has('KAFKA_SASL_PASSWORD')) problems.push(`KAFKA_SASL_PASSWORD: is required when KAFKA_SASL_MECHANISM=${mechanism}`);
  }
  if (has('KAFKA_OAUTH_TOKEN_URL')) {
    if (mechanism !== 'oauthbearer') problems.push('KAFKA_OAUTH_TOKEN_URL: only applies with KAFKA_SASL_MECHANISM=oauthbearer');
    if (!has('KAFKA_OAUTH_CLIENT_ID')) problems.push('KAFKA_OAUTH_CLIENT_ID: is required with KAFKA_OAUTH_TOKEN_URL');
    if (!has('KAFKA_OAUTH_CLIENT_SECRET')) problems.push('KAFKA_OAUTH_CLIENT_SECRET: is required with KAFKA_OAUTH_TOKEN_URL');
  }
  if (has('KAFKA_SSL_CERT') !== has('KAFKA_SSL_KEY')) problems.push('KAFKA_SSL_CERT, KAFKA_SSL_KEY: give both or neither');
  if (has('REDIS_PASSWORD') && !has('REDIS_URL') && !has('REDIS_CLUSTER_NODES')) problems.push('REDIS_PASSWORD: set REDIS_URL or REDIS_CLUSTER_NODES too');
  return problems;
}

/**
 * Parses the environment against the schema. Throws one ConfigError listing every problem at once;
 * the messages name variables and rules, never the values (so secrets cannot leak through them).
 */
export function loadConfig<Shape extends z.core.$ZodLooseShape>(
  schema: z.ZodObject<Shape>,
  env: Env,
  options: LoadConfigOptions = {},
): z.output<z.ZodObject<Shape>> {
  const problems: string[] = [];
  const keys = Object.keys(schema.shape);
  const raw = resolveFiles(keys, env, options.readFile ?? defaultReadFile, problems);
  if (keys.includes('KAFKA_BROKERS')) problems.push(...commonProblems(raw));
  const result = schema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '(root)');
      const field: unknown = (schema.shape as Record<string, unknown>)[key];
      let message: string;
      if (raw[key] === undefined && issue.code === 'invalid_type') message = 'is required';
      else if (typeof field === 'object' && field !== null && secretSchemas.has(field as z.ZodType)) message = 'is invalid (value not shown: secret)';
      else message = issue.message;
      problems.push(`${key}: ${message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}
