import { z } from 'zod';
import type { EntityCollector } from '../entities';
import { type NormalizeError, type Result, ok, simpleError } from '../result';
import type {
  MitreTechnique, NormalizedEvent, RawKind, SecurityEvent, SourceSystem,
} from '../security-event';
import type { MappedSeverity } from '../severity';
import { parseIsoMillis } from '../time';

/** An ISO 8601 timestamp string, validated and turned into epoch ms. */
export const isoMillis = z.string().transform((value, ctx) => {
  const ms = parseIsoMillis(value);
  if (ms === null) {
    ctx.issues.push({ code: 'custom', message: `expected an ISO 8601 date-time, got "${value}"`, input: value });
    return z.NEVER;
  }
  return ms;
});

/** Optional string that may also be null (AWS and QRadar write both for "absent"). */
export const optionalString = z.string().nullish();
/** A string the normalizer only passes on: any other type is ignored (null), never an error. */
export const lenientString = z.unknown().optional().transform((value): string | null => (typeof value === 'string' ? value : null));

/** The text of the payload as it arrived, or a stable serialization when only the value is known. */
export const rawTextOf = (payload: unknown, rawText: string | undefined): string => rawText ?? JSON.stringify(payload);

/** Parses JSON text for a normalizer; a syntax error is a typed, poison NormalizeError. */
export function parseJson(text: string, source: string): Result<unknown, NormalizeError> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (error) {
    return { ok: false, error: simpleError('invalid-json', source, `${source} payload is not JSON: ${String(error)}`) };
  }
}

export interface EventParts {
  readonly source: SourceSystem;
  readonly rawKind: RawKind;
  readonly sourceId: string;
  readonly eventId: string;
  readonly observedAt: number;
  readonly sourceUpdatedAt: number;
  readonly title: string;
  readonly description: string | null;
  readonly category: string;
  readonly severity: MappedSeverity;
  readonly extraSeverityReasons?: readonly string[];
  readonly mitre: readonly MitreTechnique[];
  readonly raw: string;
  readonly rawEvents: string | null;
  readonly missing?: readonly string[];
  readonly errorCode?: string | null;
  /** The caller's user agent (CloudTrail `userAgent`, GuardDuty `awsApiCallAction.userAgent`). */
  readonly userAgent?: string | null;
}

const MAX_TEXT = 4000;
const bounded = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);

/** Puts the parts and the collected entities together into the contract record. */
export function assemble(parts: EventParts, entities: EntityCollector, ingestedAt: number): NormalizedEvent {
  const collected = entities.result();
  const event: SecurityEvent = {
    eventId: parts.eventId,
    source: parts.source,
    rawKind: parts.rawKind,
    sourceId: parts.sourceId,
    observedAt: parts.observedAt,
    sourceUpdatedAt: Math.max(parts.sourceUpdatedAt, parts.observedAt),
    ingestedAt,
    title: bounded(parts.title),
    description: parts.description === null ? null : bounded(parts.description),
    category: parts.category,
    sourceSeverity: parts.severity.value,
    mitre: [...parts.mitre],
    entities: collected.entities,
    enrichment: { assets: [], vulns: [], intel: [], missing: [...(parts.missing ?? [])] },
    raw: parts.raw,
    rawEvents: parts.rawEvents,
    errorCode: parts.errorCode ?? null,
    userAgent: parts.userAgent === undefined || parts.userAgent === null || parts.userAgent.trim() === '' ? null : bounded(parts.userAgent),
  };
  return {
    event,
    hygiene: collected.hygiene,
    identityFacts: collected.identityFacts,
    severityReasons: [parts.severity.reason, ...(parts.extraSeverityReasons ?? [])],
    errorCode: parts.errorCode ?? null,
  };
}

/** Lower-cases the first letter of every object key, recursively (GuardDuty PascalCase -> camelCase). */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key.charAt(0).toLowerCase() + key.slice(1)] = camelKeys(inner);
  }
  return out;
}

/** An EC2 instance id (i- followed by 8 or 17 hex digits; AWS writes them in lower case). */
export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/i;

/** The instance id at the end of an EC2 instance ARN, or null. */
export function instanceIdOfArn(arn: string): string | null {
  const match = /^arn:aws[a-z-]*:ec2:[^:]*:\d*:instance\/(i-[0-9a-z]+)$/i.exec(arn.trim());
  return match?.[1] ?? null;
}
