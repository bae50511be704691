import { type NormalizeError, type Result, err, simpleError } from '../result';
import type { NormalizeContext, NormalizedEvent, RawKind } from '../security-event';
import { normalizeAsffFinding } from './asff';
import { normalizeCloudTrailRecord } from './cloudtrail';
import { parseJson } from './common';
import { normalizeGuardDutyFinding } from './guardduty';
import { normalizeQradarOffense } from './qradar';

export { normalizeAsffFinding, guardDutyIdOf, isFromGuardDuty } from './asff';
export { normalizeCloudTrailRecord, cloudTrailRecordsOf, isAwsServiceName } from './cloudtrail';
export { normalizeGuardDutyFinding } from './guardduty';
export { normalizeQradarOffense, hostOfLogSourceName, type QradarOffenseInput } from './qradar';

/**
 * A raw record as the ingest services put it on `offenses.raw` / `findings.raw`: the payload text
 * exactly as received, plus for QRadar the resolved addresses and the Ariel rows text.
 */
export interface RawRecord {
  readonly kind: RawKind;
  readonly payload: string;
  readonly addresses?: { readonly source: readonly string[]; readonly localDestination: readonly string[] } | null;
  readonly events?: string | null;
}

/** Parses a raw record's JSON text and routes it to the normalizer for its kind. */
export function normalizeRawRecord(record: RawRecord, context: NormalizeContext): Result<NormalizedEvent, NormalizeError> {
  const source = record.kind.replace('_', '.');
  const payload = parseJson(record.payload, source);
  if (!payload.ok) return payload;
  switch (record.kind) {
    case 'qradar_offense': {
      let events: unknown[] | null = null;
      if (record.events !== null && record.events !== undefined) {
        const parsed = parseJson(record.events, source);
        if (!parsed.ok) return parsed;
        if (!Array.isArray(parsed.value)) return err(simpleError('invalid-payload', source, 'events must be a JSON array of Ariel rows', 'events'));
        events = parsed.value;
      }
      return normalizeQradarOffense({
        payload: payload.value,
        addresses: record.addresses ?? null,
        events,
        rawText: record.payload,
        ...(record.events === null || record.events === undefined ? {} : { rawEventsText: record.events }),
      }, context);
    }
    case 'securityhub_finding':
      return normalizeAsffFinding(payload.value, context, record.payload);
    case 'guardduty_finding':
      return normalizeGuardDutyFinding(payload.value, context, record.payload);
    case 'cloudtrail_event':
      return normalizeCloudTrailRecord(payload.value, context, record.payload);
    case 'unknown':
      return err(simpleError('unsupported', source, 'raw record of unknown kind', 'kind'));
  }
}
