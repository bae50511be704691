/**
 * The enricher stage: `offenses.raw` and `findings.raw` (Avro) in, one SecurityEvent per source
 * record out to `enriched`, keyed by eventId. A CloudTrail `{"Records": [...]}` payload yields one
 * event per record. Records that can never become events (unknown kind, bad JSON, wrong types,
 * oversized payloads) are poison: the kit sends them to `<topic>.dlq` with the reason.
 */
import { PoisonError, type Codec } from '@seam/kit';
import { findingRawSchema, offenseRawSchema, securityEventSchema, type FindingRaw, type OffenseRaw } from '@seam/schemas';
import { defineStage } from '@seam/kit';
import type { IdentityDirectory } from './domain/identity/directory';
import type { NamespaceMap } from './domain/namespaces';
import { cloudTrailRecordsOf, normalizeRawRecord } from './domain/normalize/index';
import type { NormalizeError } from './domain/result';
import type { SecurityEvent } from './domain/security-event';
import type { Enricher } from './enricher';

export interface EnricherStageOptions {
  readonly topics: { readonly offenses: string; readonly findings: string; readonly enriched: string };
  readonly codecs: { readonly offense: Codec<unknown>; readonly finding: Codec<unknown>; readonly event: Codec<SecurityEvent> };
  readonly enricher: Enricher;
  readonly namespaces: NamespaceMap;
  readonly directory: () => { readonly directory: IdentityDirectory; readonly available: boolean };
  readonly maxPayloadBytes: number;
  readonly onStart?: () => Promise<void>;
  readonly onStop?: () => Promise<void> | void;
}

function reasonOf(error: NormalizeError): string {
  const issue = error.issues[0];
  return `${error.source} ${error.kind}: ${error.message}${issue === undefined ? '' : ` (${issue.path}: ${issue.message})`}`;
}

const AWS_KINDS = new Set(['securityhub_finding', 'guardduty_finding', 'cloudtrail_event']);

/** The raw record's normalizer inputs: one per event (several for a CloudTrail Records file). */
function splitRecord(input: 'offenses' | 'findings', value: OffenseRaw | FindingRaw): Parameters<typeof normalizeRawRecord>[0][] {
  if (input === 'offenses') {
    if (value.kind !== 'qradar_offense') throw new PoisonError(`offenses.raw carries kind ${value.kind}; only qradar_offense is supported`);
    const offense = value as OffenseRaw;
    return [{ kind: 'qradar_offense', payload: offense.payload, addresses: offense.addresses, events: offense.events }];
  }
  if (!AWS_KINDS.has(value.kind)) throw new PoisonError(`findings.raw carries kind ${value.kind}; expected securityhub_finding, guardduty_finding or cloudtrail_event`);
  if (value.kind !== 'cloudtrail_event') return [{ kind: value.kind, payload: value.payload }];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.payload);
  } catch {
    // normalizeRawRecord reports the JSON error with its position.
    return [{ kind: 'cloudtrail_event', payload: value.payload }];
  }
  const records = cloudTrailRecordsOf(parsed);
  if (records.length === 0) throw new PoisonError('cloudtrail: the Records array is empty');
  if (records.length === 1 && records[0] === parsed) return [{ kind: 'cloudtrail_event', payload: value.payload }];
  return records.map((record) => ({ kind: 'cloudtrail_event' as const, payload: JSON.stringify(record) }));
}

export function enricherStage(options: EnricherStageOptions) {
  const { topics, codecs } = options;
  return defineStage({
    name: 'enricher',
    inputs: {
      offenses: { topic: topics.offenses, codec: codecs.offense, schema: offenseRawSchema },
      findings: { topic: topics.findings, codec: codecs.finding, schema: findingRawSchema },
    },
    outputs: {
      enriched: { topic: topics.enriched, codec: codecs.event, schema: securityEventSchema },
    },
    eventId: (record) => `${record.input}:${record.value.sourceId}`,
    onStart: async () => {
      await options.onStart?.();
    },
    onStop: async () => {
      await options.onStop?.();
    },
    async handle(record, ctx) {
      const value = record.value;
      const size = Buffer.byteLength(value.payload, 'utf8') + (record.input === 'offenses' ? Buffer.byteLength((value as OffenseRaw).events ?? '', 'utf8') : 0);
      if (size > options.maxPayloadBytes) throw new PoisonError(`payload of ${size} bytes exceeds the ${options.maxPayloadBytes}-byte limit`);
      const { directory, available } = options.directory();
      const context = { ingestedAt: value.receivedAt, namespaces: options.namespaces, directory };
      const events: SecurityEvent[] = [];
      for (const raw of splitRecord(record.input, value)) {
        const normalized = normalizeRawRecord(raw, context);
        if (!normalized.ok) throw new PoisonError(reasonOf(normalized.error));
        let event = normalized.value.event;
        if (!available && event.entities.identities.length > 0) {
          event = { ...event, enrichment: { ...event.enrichment, missing: [...new Set([...event.enrichment.missing, 'identity-directory'])].sort() } };
        }
        events.push(await options.enricher.enrich(event, ctx.signal));
      }
      return events.map((event) => ({ to: 'enriched' as const, key: event.eventId, value: event }));
    },
  });
}
