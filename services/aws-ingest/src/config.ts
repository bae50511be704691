import { defineConfigSchema, envBool, envInt, optionalSecret } from '@seam/kit';
import { z } from 'zod';

/**
 * aws-ingest's environment. AWS credentials are NOT part of it: the SDK's default credential chain
 * (environment, shared config/SSO, container/instance role) finds them, so they never pass through
 * config parsing or logs.
 */
export const awsIngestConfigSchema = defineConfigSchema({
  AWS_REGION: z.string().min(1),
  /** Endpoint override (the project's emulator, moto); unset for real AWS. */
  SECURITYHUB_ENDPOINT: z.url().optional(),
  SECURITYHUB_POLL_ENABLED: envBool(true),
  SECURITYHUB_POLL_INTERVAL_MS: envInt(60_000, 100),
  SECURITYHUB_PAGE_SIZE: envInt(100, 1).pipe(z.number().max(100)),
  /** SDK attempts per call (adaptive retry mode); our own backoff (RETRY_*) wraps them. */
  SECURITYHUB_SDK_MAX_ATTEMPTS: envInt(4, 1),
  /** First poll without a stored watermark starts here (ISO time); all findings when unset. */
  SECURITYHUB_START_AT: z.iso.datetime({ offset: true }).optional(),
  /** Poll only ACTIVE findings (RecordState filter). */
  SECURITYHUB_ACTIVE_ONLY: envBool(false),

  /** Shared secret for POST /eventbridge (Bearer, or the API-destination header). Unset: no intake. */
  EVENTBRIDGE_TOKEN: optionalSecret(),
  EVENTBRIDGE_API_KEY_HEADER: z.string().regex(/^[A-Za-z0-9-]+$/).default('x-seam-eventbridge-key'),

  /** Folder of CloudTrail log files to backfill at startup (recursively). */
  CLOUDTRAIL_DIR: z.string().min(1).optional(),

  FINDINGS_TOPIC: z.string().min(1).default('findings.raw'),
  REDIS_KEY_PREFIX: z.string().min(1).default('aws-ingest'),
});

export type AwsIngestConfig = z.output<typeof awsIngestConfigSchema>;
