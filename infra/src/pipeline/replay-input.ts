/**
 * The replay/scenario input format of DESIGN.md section 8: one JSON object per line,
 * `{"source": ..., "payload": <as the source API delivers it>}`, QRadar lines optionally with
 * `addresses` and `events`. Pure: text in, validated lines (in event time) and per-line errors out.
 *
 * Only the envelope and the one field that gives the line its event time are checked here; the
 * payload itself is checked by the pipeline (a payload the ingest refuses is reported by the feed,
 * one the enricher refuses lands in its DLQ), exactly as it would be for live input.
 */
import { z } from 'zod';

export const REPLAY_SOURCES = ['qradar.offense', 'securityhub.finding', 'guardduty.finding', 'cloudtrail.event'] as const;
export type ReplaySource = (typeof REPLAY_SOURCES)[number];

/** A line longer than this is refused before parsing (the enricher's own cap is 5 MB per record). */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

export interface ReplayLine {
  /** 1-based line number in the input file. */
  readonly lineNumber: number;
  readonly source: ReplaySource;
  readonly payload: Readonly<Record<string, unknown>>;
  /** QRadar only: resolved IPs for source_address_ids / local_destination_address_ids, in order. */
  readonly addresses?: { readonly source: readonly string[]; readonly localDestination: readonly string[] };
  /** QRadar only: Ariel event rows of the offense. */
  readonly events?: readonly Readonly<Record<string, unknown>>[];
  /** Event time in epoch ms, from the payload (see `eventTimeOf`). */
  readonly eventTime: number;
  /** The id the source gives the record (offense id, ASFF Id, GuardDuty id, CloudTrail eventID). */
  readonly sourceId: string;
}

export interface ReplayLineError {
  readonly lineNumber: number;
  readonly reason: string;
}

const lineSchema = z.strictObject({
  source: z.enum(REPLAY_SOURCES),
  payload: z.record(z.string(), z.unknown()),
  addresses: z
    .strictObject({ source: z.array(z.string()).default([]), localDestination: z.array(z.string()).default([]) })
    .optional(),
  events: z.array(z.record(z.string(), z.unknown())).optional(),
});

const isoMs = (value: unknown): number | undefined => {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
};

const epochMs = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined);

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

const nested = (value: unknown, key: string): unknown => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined);

/**
 * Event time and id of a payload, or the reason there is none. QRadar: `start_time` (epoch ms).
 * ASFF: `FirstObservedAt`, else `CreatedAt`, else `UpdatedAt`. GuardDuty (camelCase from
 * EventBridge or PascalCase from the API): `service.eventFirstSeen`, else `createdAt`. CloudTrail:
 * `eventTime`.
 */
export function eventTimeOf(source: ReplaySource, payload: Readonly<Record<string, unknown>>): { time: number; id: string } | { reason: string } {
  switch (source) {
    case 'qradar.offense': {
      const time = epochMs(payload['start_time']);
      const id = payload['id'];
      if (time === undefined) return { reason: 'payload.start_time must be epoch milliseconds' };
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) return { reason: 'payload.id must be a non-negative integer offense id' };
      return { time, id: String(id) };
    }
    case 'securityhub.finding': {
      const time = isoMs(payload['FirstObservedAt']) ?? isoMs(payload['CreatedAt']) ?? isoMs(payload['UpdatedAt']);
      const id = text(payload['Id']);
      if (time === undefined) return { reason: 'payload has none of FirstObservedAt, CreatedAt, UpdatedAt as an ISO 8601 time' };
      if (id === undefined) return { reason: 'payload.Id is missing' };
      return { time, id };
    }
    case 'guardduty.finding': {
      const time =
        isoMs(nested(payload['service'], 'eventFirstSeen')) ?? isoMs(payload['createdAt']) ?? isoMs(nested(payload['Service'], 'EventFirstSeen')) ?? isoMs(payload['CreatedAt']);
      const id = text(payload['id']) ?? text(payload['Id']);
      if (time === undefined) return { reason: 'payload has no service.eventFirstSeen / createdAt (or Service.EventFirstSeen / CreatedAt) time' };
      if (id === undefined) return { reason: 'payload.id is missing' };
      return { time, id };
    }
    case 'cloudtrail.event': {
      const time = isoMs(payload['eventTime']);
      const id = text(payload['eventID']);
      if (time === undefined) return { reason: 'payload.eventTime must be an ISO 8601 time' };
      if (id === undefined) return { reason: 'payload.eventID is missing' };
      return { time, id };
    }
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(line)'}: ${issue.message}`)
    .join('; ');
}

/** One line (without its newline) → a ReplayLine, an error, or undefined for a blank line. */
export function parseReplayLine(raw: string, lineNumber: number): ReplayLine | ReplayLineError | undefined {
  if (raw.trim() === '') return undefined;
  if (Buffer.byteLength(raw, 'utf8') > MAX_LINE_BYTES) return { lineNumber, reason: `line is longer than ${MAX_LINE_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { lineNumber, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = lineSchema.safeParse(json);
  if (!parsed.success) return { lineNumber, reason: describeIssues(parsed.error) };
  const { source, payload, addresses, events } = parsed.data;
  if (source !== 'qradar.offense' && (addresses !== undefined || events !== undefined)) {
    return { lineNumber, reason: `addresses and events belong to qradar.offense lines, not ${source}` };
  }
  const timed = eventTimeOf(source, payload);
  if ('reason' in timed) return { lineNumber, reason: `${source}: ${timed.reason}` };
  return {
    lineNumber,
    source,
    payload,
    ...(addresses === undefined ? {} : { addresses }),
    ...(events === undefined ? {} : { events }),
    eventTime: timed.time,
    sourceId: timed.id,
  };
}

/**
 * A whole input file → its valid lines sorted by event time (ties keep file order) and the errors
 * of the others. A record id given twice for the same source is an error on the later line: the
 * sources themselves would deliver it as an update, which a replay cannot order meaningfully.
 */
export function parseReplayText(input: string): { lines: ReplayLine[]; errors: ReplayLineError[] } {
  const lines: ReplayLine[] = [];
  const errors: ReplayLineError[] = [];
  const seen = new Map<string, number>();
  const rows = input.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = (rows[i] ?? '').replace(/\r$/, '');
    const result = parseReplayLine(row, i + 1);
    if (result === undefined) continue;
    if ('reason' in result) {
      errors.push(result);
      continue;
    }
    const identity = `${result.source}\u0000${result.sourceId}`;
    const first = seen.get(identity);
    if (first !== undefined) {
      errors.push({ lineNumber: result.lineNumber, reason: `${result.source} ${result.sourceId} already given on line ${first}` });
      continue;
    }
    seen.set(identity, result.lineNumber);
    lines.push(result);
  }
  lines.sort((a, b) => a.eventTime - b.eventTime || a.lineNumber - b.lineNumber);
  return { lines, errors };
}
