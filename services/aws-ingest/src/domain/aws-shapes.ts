/**
 * The AWS payload shapes aws-ingest accepts, and how each becomes a `findings.raw` envelope. Pure:
 * no I/O. The zod schemas check only what ingest relies on (ids, times, the EventBridge envelope)
 * and keep every other member (loose objects), because `payload` must be the record as received.
 */
import { z } from 'zod';
import type { FindingRaw } from '@seam/schemas';

const isoTime = z
  .string()
  .min(1)
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO-8601 date-time');

/**
 * An ASFF finding (Security Hub GetFindings, BatchImportFindings, EventBridge "Findings - Imported").
 * ProductFields is a string map in both generations: the older one where GuardDuty flattened its
 * whole finding into `aws/guardduty/service/...` keys, and the current one where Security Hub adds
 * `aws/securityhub/FindingId`, `aws/securityhub/ProductName`, `aws/securityhub/CompanyName` and the
 * provider keeps few or no keys of its own. Neither key set is required.
 */
export const asffFindingSchema = z.looseObject({
  SchemaVersion: z.string().min(1),
  Id: z.string().min(1),
  ProductArn: z.string().min(1),
  GeneratorId: z.string().min(1),
  AwsAccountId: z.string().min(1),
  CreatedAt: isoTime,
  UpdatedAt: isoTime,
  Title: z.string(),
  Description: z.string(),
  Region: z.string().min(1).optional(),
  Types: z.array(z.string()).optional(),
  ProductFields: z.record(z.string(), z.string()).optional(),
  Resources: z.array(z.looseObject({ Type: z.string().min(1), Id: z.string().min(1) })).min(1),
});
export type AsffFinding = z.infer<typeof asffFindingSchema>;

/** A GuardDuty finding as EventBridge delivers it (`detail` of "GuardDuty Finding"): camelCase. */
export const guardDutyCamelSchema = z.looseObject({
  schemaVersion: z.string().min(1).optional(),
  accountId: z.string().min(1),
  region: z.string().min(1),
  id: z.string().min(1),
  type: z.string().min(1),
  updatedAt: isoTime,
  createdAt: isoTime.optional(),
  severity: z.number().optional(),
});

/** A GuardDuty finding as the GuardDuty GetFindings API returns it: PascalCase. */
export const guardDutyPascalSchema = z.looseObject({
  SchemaVersion: z.string().min(1).optional(),
  AccountId: z.string().min(1),
  Region: z.string().min(1),
  Id: z.string().min(1),
  Type: z.string().min(1),
  UpdatedAt: isoTime,
  CreatedAt: isoTime.optional(),
  Severity: z.number().optional(),
});

/** The few members of a GuardDuty finding ingest needs, whichever casing it came in. */
export interface GuardDutyCore {
  readonly id: string;
  readonly accountId: string;
  readonly region: string;
  readonly updatedAt: string;
}

export function parseGuardDuty(value: unknown): { ok: true; core: GuardDutyCore } | { ok: false; reason: string } {
  const camel = guardDutyCamelSchema.safeParse(value);
  if (camel.success) return { ok: true, core: { id: camel.data.id, accountId: camel.data.accountId, region: camel.data.region, updatedAt: camel.data.updatedAt } };
  const pascal = guardDutyPascalSchema.safeParse(value);
  if (pascal.success) return { ok: true, core: { id: pascal.data.Id, accountId: pascal.data.AccountId, region: pascal.data.Region, updatedAt: pascal.data.UpdatedAt } };
  return { ok: false, reason: `not a GuardDuty finding (camelCase: ${issuesText(camel.error)}; PascalCase: ${issuesText(pascal.error)})` };
}

/** One CloudTrail record (a log file's `Records[]` element, or EventBridge's CloudTrail `detail`). */
export const cloudTrailRecordSchema = z.looseObject({
  eventVersion: z.string().min(1).optional(),
  eventID: z.string().min(1),
  eventTime: isoTime,
  eventName: z.string().min(1),
  eventSource: z.string().min(1),
  awsRegion: z.string().min(1).optional(),
  recipientAccountId: z.string().min(1).optional(),
});
export type CloudTrailRecord = z.infer<typeof cloudTrailRecordSchema>;

/** A CloudTrail log file: `{"Records": [...]}` as CloudTrail writes it to S3 (a bare array is also read). */
export const cloudTrailFileSchema = z.union([z.object({ Records: z.array(z.unknown()) }).transform((f) => f.Records), z.array(z.unknown())]);

/** EventBridge event envelope (what an API destination or a test POSTs). */
export const eventBridgeEnvelopeSchema = z.looseObject({
  version: z.string().optional(),
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().min(1),
  time: isoTime,
  region: z.string().min(1),
  resources: z.array(z.string()).optional(),
  detail: z.unknown(),
});
export type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelopeSchema>;

export const EVENTBRIDGE_DETAIL_TYPES = {
  guardDuty: 'GuardDuty Finding',
  securityHubImported: 'Security Hub Findings - Imported',
  cloudTrailApiCall: 'AWS API Call via CloudTrail',
  cloudTrailConsoleSignIn: 'AWS Console Sign In via CloudTrail',
} as const;

type Arrival = FindingRaw['arrival'];

function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

export function describeIssues(error: z.ZodError): string {
  return issuesText(error);
}

/** The envelope of an ASFF finding. Key: the ASFF `Id` (for GuardDuty-generated ASFF too: see README). */
export function asffToRaw(finding: AsffFinding, arrival: Arrival, receivedAt: number, payload: string): FindingRaw {
  return {
    sourceId: finding.Id,
    kind: 'securityhub_finding',
    arrival,
    receivedAt,
    sourceUpdatedAt: Date.parse(finding.UpdatedAt),
    origin: `aws:${finding.AwsAccountId}:${finding.Region ?? regionFromArn(finding.ProductArn) ?? 'unknown'}`,
    payload,
  };
}

export function guardDutyToRaw(core: GuardDutyCore, arrival: Arrival, receivedAt: number, payload: string): FindingRaw {
  return {
    sourceId: core.id,
    kind: 'guardduty_finding',
    arrival,
    receivedAt,
    sourceUpdatedAt: Date.parse(core.updatedAt),
    origin: `aws:${core.accountId}:${core.region}`,
    payload,
  };
}

export function cloudTrailToRaw(record: CloudTrailRecord, arrival: Arrival, receivedAt: number, payload: string, origin: string | null): FindingRaw {
  return {
    sourceId: record.eventID,
    kind: 'cloudtrail_event',
    arrival,
    receivedAt,
    sourceUpdatedAt: null,
    origin: origin ?? (record.recipientAccountId !== undefined ? `aws:${record.recipientAccountId}:${record.awsRegion ?? 'unknown'}` : null),
    payload,
  };
}

function regionFromArn(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region === undefined || region === '' ? undefined : region;
}

export type EventBridgeResult = { ok: true; records: FindingRaw[] } | { ok: false; reason: string };

/** Turns one EventBridge event into findings.raw records, or says why it cannot. */
export function eventBridgeToRaw(body: unknown, receivedAt: number): EventBridgeResult {
  const envelope = eventBridgeEnvelopeSchema.safeParse(body);
  if (!envelope.success) return { ok: false, reason: `not an EventBridge event: ${issuesText(envelope.error)}` };
  const event = envelope.data;
  const detailType = event['detail-type'];
  switch (detailType) {
    case EVENTBRIDGE_DETAIL_TYPES.guardDuty: {
      const parsed = parseGuardDuty(event.detail);
      if (!parsed.ok) return { ok: false, reason: `detail: ${parsed.reason}` };
      return { ok: true, records: [guardDutyToRaw(parsed.core, 'eventbridge', receivedAt, JSON.stringify(event.detail))] };
    }
    case EVENTBRIDGE_DETAIL_TYPES.securityHubImported: {
      const detail = z.object({ findings: z.array(z.unknown()).min(1) }).safeParse(event.detail);
      if (!detail.success) return { ok: false, reason: `detail: ${issuesText(detail.error)}` };
      const records: FindingRaw[] = [];
      for (const [index, raw] of detail.data.findings.entries()) {
        const finding = asffFindingSchema.safeParse(raw);
        if (!finding.success) return { ok: false, reason: `detail.findings[${index}] is not an ASFF finding: ${issuesText(finding.error)}` };
        records.push(asffToRaw(finding.data, 'eventbridge', receivedAt, JSON.stringify(raw)));
      }
      return { ok: true, records };
    }
    case EVENTBRIDGE_DETAIL_TYPES.cloudTrailApiCall:
    case EVENTBRIDGE_DETAIL_TYPES.cloudTrailConsoleSignIn: {
      const record = cloudTrailRecordSchema.safeParse(event.detail);
      if (!record.success) return { ok: false, reason: `detail is not a CloudTrail record: ${issuesText(record.error)}` };
      return { ok: true, records: [cloudTrailToRaw(record.data, 'eventbridge', receivedAt, JSON.stringify(event.detail), `aws:${event.account}:${event.region}`)] };
    }
    default:
      return { ok: false, reason: `unsupported detail-type ${JSON.stringify(detailType.slice(0, 100))}` };
  }
}

/** Milliseconds of an ASFF time (for watermark comparisons that ignore formatting differences). */
export function timeMs(value: string): number {
  return Date.parse(value);
}

/**
 * Which findings of a page are new with respect to the watermark: strictly after it, or at it and
 * not yet seen. (The DateFilter Start bound is inclusive, and a source that ignores filters, such as
 * moto, returns older findings too.)
 */
export function isAfterWatermark(updatedAtMs: number, id: string, watermarkMs: number | null, seenAtWatermark: ReadonlySet<string>): boolean {
  if (watermarkMs === null) return true;
  if (updatedAtMs > watermarkMs) return true;
  return updatedAtMs === watermarkMs && !seenAtWatermark.has(id);
}

/** The watermark after a produced page: the highest UpdatedAt and every id that carries it. */
export function advanceWatermark(
  current: { watermarkMs: number | null; seen: ReadonlySet<string> },
  produced: readonly { id: string; updatedAtMs: number }[],
): { watermarkMs: number | null; seen: Set<string> } {
  let watermarkMs = current.watermarkMs;
  let seen = new Set(current.seen);
  for (const item of produced) {
    if (watermarkMs === null || item.updatedAtMs > watermarkMs) {
      watermarkMs = item.updatedAtMs;
      seen = new Set([item.id]);
    } else if (item.updatedAtMs === watermarkMs) {
      seen.add(item.id);
    }
  }
  return { watermarkMs, seen };
}
