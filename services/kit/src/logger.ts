import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths pino censors in every log line, whatever the message. Secret values are also Secret-wrapped. */
export const defaultRedactPaths: readonly string[] = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'sasl.password',
  'config.KAFKA_SASL_PASSWORD',
  'config.SCHEMA_REGISTRY_PASSWORD',
  'config.REDIS_PASSWORD',
];

export interface LoggerSettings {
  readonly service: string;
  readonly level?: LoggerOptions['level'];
  readonly redactPaths?: readonly string[];
  readonly destination?: DestinationStream;
}

/**
 * JSON logs with a `service` field. Attacker-controlled text (payload fields, keys, error messages
 * from remote systems) goes into fields, never into the message string.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...defaultRedactPaths, ...(settings.redactPaths ?? [])], censor: '[REDACTED]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
