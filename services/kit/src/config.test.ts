import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, commonConfigSchema, defineConfigSchema, loadConfig, secret } from './config';
import { FatalError } from './errors';

const minimal = { KAFKA_BROKERS: '127.0.0.1:9092' };

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('parses defaults and lists', () => {
    const config = loadConfig(commonConfigSchema, { KAFKA_BROKERS: ' a:1, b:2 ,', HTTP_PORT: '0' });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.HTTP_PORT).toBe(0);
    expect(config.KAFKA_PRODUCER_IDEMPOTENT).toBe(true);
    expect(config.KAFKA_CONCURRENCY).toBe(4);
    expect(config.LOG_LEVEL).toBe('info');
    // kafkajs waits min(initial * 2^n, max) (+-20% jitter) between attempts: at least ~50 s
    // without a broker before a request fails for good (a broker restart is ridden out).
    const waits = Array.from({ length: config.KAFKA_RETRIES }, (_, n) => Math.min(config.KAFKA_RETRY_INITIAL_MS * 2 ** n, config.KAFKA_RETRY_MAX_MS));
    expect(0.8 * waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(50_000);
  });

  it('lists every problem at once in one error', () => {
    const problems = problemsOf(() =>
      loadConfig(commonConfigSchema, {
        HTTP_PORT: 'eighty',
        LOG_LEVEL: 'loud',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        REDIS_PASSWORD: 'x',
      }),
    );
    const keys = problems.map((p) => p.split(':')[0]);
    expect(keys).toEqual(expect.arrayContaining(['KAFKA_BROKERS', 'HTTP_PORT', 'LOG_LEVEL', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'REDIS_PASSWORD']));
    expect(problems.find((p) => p.startsWith('KAFKA_BROKERS'))).toBe('KAFKA_BROKERS: is required');
  });

  it('is a FatalError', () => {
    expect(() => loadConfig(commonConfigSchema, {})).toThrow(FatalError);
  });

  it('never echoes secret values in errors', () => {
    const schema = defineConfigSchema({ API_TOKEN: secret().pipe(z.custom((s) => String(s).length > 100)) });
    const err = (() => {
      try {
        loadConfig(schema, { ...minimal, API_TOKEN: 'hunter2-very-secret', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'pw-123456' });
      } catch (error) {
        return error as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toContain('KAFKA_SASL_USERNAME');
    expect(err?.message).not.toContain('hunter2');
    expect(err?.message).not.toContain('pw-123456');
  });

  it('wraps secrets so they do not serialize', () => {
    const config = loadConfig(commonConfigSchema, { ...minimal, KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 's3cr3t' });
    expect(config.KAFKA_SASL_PASSWORD?.reveal()).toBe('s3cr3t');
    expect(JSON.stringify(config)).not.toContain('s3cr3t');
    expect(inspect(config, { depth: 5 })).not.toContain('s3cr3t');
    expect(`${String(config.KAFKA_SASL_PASSWORD)}`).toBe('[REDACTED]');
  });

  it('reads <KEY>_FILE and strips one trailing newline', () => {
    const files: Record<string, string> = { '/run/secrets/pw': 'from-file\n', '/run/ca.pem': '-----BEGIN CERTIFICATE-----\nabc\n' };
    const config = loadConfig(
      commonConfigSchema,
      { ...minimal, REDIS_URL: 'redis://127.0.0.1:1', REDIS_PASSWORD_FILE: '/run/secrets/pw', KAFKA_SSL_CA_FILE: '/run/ca.pem' },
      { readFile: (path) => files[path] ?? (() => { throw Object.assign(new Error('nope'), { code: 'ENOENT' }); })() },
    );
    expect(config.REDIS_PASSWORD?.reveal()).toBe('from-file');
    expect(config.KAFKA_SSL_CA).toBe('-----BEGIN CERTIFICATE-----\nabc');
  });

  it('reports unreadable files and double definitions', () => {
    const problems = problemsOf(() =>
      loadConfig(
        commonConfigSchema,
        { ...minimal, REDIS_URL: 'redis://x:1', REDIS_PASSWORD_FILE: '/missing', KAFKA_SSL_CA: 'x', KAFKA_SSL_CA_FILE: '/ca' },
        { readFile: () => { throw Object.assign(new Error('nope'), { code: 'ENOENT' }); } },
      ),
    );
    expect(problems).toContain('REDIS_PASSWORD_FILE: cannot read /missing (ENOENT)');
    expect(problems).toContain('KAFKA_SSL_CA: set either KAFKA_SSL_CA or KAFKA_SSL_CA_FILE, not both');
  });

  it('lets a stage extend the schema with typed variables', () => {
    const schema = defineConfigSchema({ ENRICHER_TIMEOUT_MS: z.coerce.number().int().positive() });
    const config = loadConfig(schema, { ...minimal, ENRICHER_TIMEOUT_MS: '250' });
    const timeout: number = config.ENRICHER_TIMEOUT_MS;
    expect(timeout).toBe(250);
    expect(problemsOf(() => loadConfig(schema, minimal))).toEqual(['ENRICHER_TIMEOUT_MS: is required']);
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig(commonConfigSchema, { ...minimal, SCHEMA_REGISTRY_URL: '' });
    expect(config.SCHEMA_REGISTRY_URL).toBeUndefined();
  });
});
