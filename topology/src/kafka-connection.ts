import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { z } from 'zod';

// TEMPORARY: a small local reader of the Kafka connection settings, so `topology apply` works
// before the kit's Kafka config is usable from tools. Same variable names as services/kit
// (config.ts); switch to the kit's factory once it exports one.

const envSchema = z.object({
  KAFKA_BROKERS: z.string().min(1).transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean)),
  KAFKA_CLIENT_ID: z.string().min(1).default('seam-topology'),
  KAFKA_SSL: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  KAFKA_SSL_CA: z.string().min(1).optional(),
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
}).superRefine((env, ctx) => {
  if (env.KAFKA_SASL_MECHANISM !== undefined && (env.KAFKA_SASL_USERNAME === undefined || env.KAFKA_SASL_PASSWORD === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD' });
  }
});

export function kafkaConfigFromEnv(env: Record<string, string | undefined>): KafkaConfig {
  const parsed = envSchema.safeParse(env);
  // The zod message names the variable, never echoes a secret value.
  if (!parsed.success) throw new Error(`Kafka settings: ${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  const ca = e.KAFKA_SSL_CA ?? (e.KAFKA_SSL_CA_FILE === undefined ? undefined : readFileSync(e.KAFKA_SSL_CA_FILE, 'utf8'));
  const config: KafkaConfig = { clientId: e.KAFKA_CLIENT_ID, brokers: e.KAFKA_BROKERS, connectionTimeout: 5_000, retry: { retries: 5 } };
  if (e.KAFKA_SSL) config.ssl = ca === undefined ? true : { ca: [ca] };
  if (e.KAFKA_SASL_MECHANISM !== undefined) {
    const username = e.KAFKA_SASL_USERNAME ?? '';
    const password = e.KAFKA_SASL_PASSWORD ?? '';
    const sasl: SASLOptions = e.KAFKA_SASL_MECHANISM === 'plain'
      ? { mechanism: 'plain', username, password }
      : e.KAFKA_SASL_MECHANISM === 'scram-sha-256'
        ? { mechanism: 'scram-sha-256', username, password }
        : { mechanism: 'scram-sha-512', username, password };
    config.sasl = sasl;
  }
  return config;
}
