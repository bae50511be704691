import { z } from 'zod';
import { kebab } from '../categories';
import { collectEntities } from '../entities';
import { classifyUserName } from '../identity/directory';
import { parseIp } from '../ip';
import { type NormalizeError, type Result, err, ok, payloadError } from '../result';
import type { NormalizeContext, NormalizedEvent, Role } from '../security-event';
import { qradarSeverity } from '../severity';
import { assemble, optionalString, rawTextOf } from './common';

const SOURCE = 'qradar.offense';

/** QRadar epoch-ms timestamps. */
const epochMs = z.int().nonnegative();
const score10 = z.number().min(0).max(10);

const offenseSchema = z.object({
  id: z.int().nonnegative(),
  description: optionalString,
  start_time: epochMs,
  last_updated_time: epochMs.nullish(),
  severity: score10.nullish(),
  magnitude: score10.nullish(),
  categories: z.array(z.string()).nullish(),
  offense_type: z.int().nullish(),
  offense_source: optionalString,
  log_sources: z.array(z.object({
    name: optionalString,
    type_name: optionalString,
    type_id: z.int().nullish(),
  })).nullish(),
});

/** An Ariel row of the INOFFENSE sample; only the columns Seam reads are checked. */
const arielRowSchema = z.object({
  sourceip: optionalString,
  destinationip: optionalString,
  sourcev6: optionalString,
  destinationv6: optionalString,
  username: optionalString,
  logsourcename_logsourceid: optionalString,
  preNatSourceIP: optionalString,
  postNatSourceIP: optionalString,
  preNatDestinationIP: optionalString,
  postNatDestinationIP: optionalString,
});

const inputSchema = z.object({
  payload: offenseSchema,
  addresses: z.object({ source: z.array(z.string()), localDestination: z.array(z.string()) }).nullish(),
  events: z.array(arielRowSchema).nullish(),
});

/**
 * A QRadar offense as qradar-ingest delivers it: the offense JSON as the API returned it, the IPs
 * resolved from its source_address_ids and local_destination_address_ids (null when the lookups did
 * not answer), and a sample of its Ariel events (null when none was taken).
 */
export interface QradarOffenseInput {
  readonly payload: unknown;
  readonly addresses?: { readonly source: readonly string[]; readonly localDestination: readonly string[] } | null;
  readonly events?: readonly unknown[] | null;
  /** The offense JSON text as received; kept as `raw`. */
  readonly rawText?: string;
  /** The Ariel rows JSON text as received; kept as `rawEvents`. */
  readonly rawEventsText?: string;
}

/** QRadar offense_type: what offense_source holds (IBM QRadar API, /siem/offense_types). */
export const OFFENSE_SOURCE_TYPES: Readonly<Record<number, { entity: 'ip' | 'identity' | 'host'; role: Role } | null>> = {
  0: { entity: 'ip', role: 'actor' }, // Source IP
  1: { entity: 'ip', role: 'target' }, // Destination IP
  2: null, // Event Name
  3: { entity: 'identity', role: 'actor' }, // Username
  4: null, // Source MAC
  5: null, // Destination MAC
  6: { entity: 'host', role: 'target' }, // Log Source
  7: { entity: 'host', role: 'actor' }, // Hostname
  8: null, // Source Port
  9: null, // Destination Port
  10: { entity: 'ip', role: 'actor' }, // Source IPv6
  11: { entity: 'ip', role: 'target' }, // Destination IPv6
  12: null, // Source ASN
  13: null, // Destination ASN
  14: null, // Rule
  15: null, // App Id
  18: null, // Scheduled Search
};

/** Log sources that are QRadar itself (the rule engine, audit), not hosts in the estate. */
const INTERNAL_LOG_SOURCE_TYPES = new Set(['eventcre', 'simaudit', 'asset profiler', 'health metrics', 'system notification']);
const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * The host behind a log source name. QRadar names auto-discovered log sources `<type> @ <host>`;
 * the part after the last ` @ ` is the device. IP-named devices are not host names (the device that
 * logged an event is not evidence of who did it), and free-text names are not either.
 */
export function hostOfLogSourceName(name: string): string | null {
  const at = name.lastIndexOf(' @ ');
  const candidate = (at >= 0 ? name.slice(at + 3) : name).trim();
  if (candidate === '' || parseIp(candidate) !== null || !HOST_NAME.test(candidate)) return null;
  return candidate;
}

const firstLine = (text: string): string =>
  text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';

/**
 * QRadar offense -> SecurityEvent.
 * - eventId `qradar:offense:<id>`; every later version of the offense keeps it.
 * - observedAt = start_time (when the offense began: stable across versions, which keeps the event
 *   in the same correlation window); sourceUpdatedAt = last_updated_time (orders versions).
 * - resolved source addresses are actors, local destination addresses targets; offense_source adds
 *   an IP, user name or host according to offense_type; Ariel rows add source/destination IPs
 *   (IPv4, IPv6, NAT), user names (actors) and log source hosts.
 */
export function normalizeQradarOffense(
  input: QradarOffenseInput,
  context: NormalizeContext,
): Result<NormalizedEvent, NormalizeError> {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) return err(payloadError(SOURCE, parsed.error));
  const { payload: offense, addresses, events } = parsed.data;
  const entities = collectEntities(context);
  const missing: string[] = [];

  if (addresses === null || addresses === undefined) {
    missing.push('qradar-addresses');
    entities.note({ kind: 'missing-context', what: 'qradar-addresses' });
  } else {
    for (const ip of addresses.source) entities.ip(ip, 'actor', 'addresses.source');
    for (const ip of addresses.localDestination) entities.ip(ip, 'target', 'addresses.localDestination');
  }

  const sourceKind = OFFENSE_SOURCE_TYPES[offense.offense_type ?? -1] ?? null;
  const offenseSource = offense.offense_source?.trim() ?? '';
  if (sourceKind !== null && offenseSource !== '') {
    switch (sourceKind.entity) {
      case 'ip':
        entities.ip(offenseSource, sourceKind.role, 'offense_source');
        break;
      case 'identity':
        entities.identity(offenseSource, classifyUserName(offenseSource), sourceKind.role);
        break;
      case 'host':
        entities.host(hostOfLogSourceName(offenseSource), sourceKind.role);
        break;
    }
  }

  for (const logSource of offense.log_sources ?? []) {
    if (INTERNAL_LOG_SOURCE_TYPES.has((logSource.type_name ?? '').toLowerCase()) || logSource.type_id === 18) continue;
    if (logSource.name) entities.host(hostOfLogSourceName(logSource.name), 'target');
  }

  for (const [i, row] of (events ?? []).entries()) {
    entities.ip(row.sourceip, 'actor', `events.${i}.sourceip`);
    entities.ip(row.sourcev6, 'actor', `events.${i}.sourcev6`);
    entities.ip(row.preNatSourceIP, 'actor', `events.${i}.preNatSourceIP`);
    entities.ip(row.postNatSourceIP, 'actor', `events.${i}.postNatSourceIP`);
    entities.ip(row.destinationip, 'target', `events.${i}.destinationip`);
    entities.ip(row.destinationv6, 'target', `events.${i}.destinationv6`);
    entities.ip(row.preNatDestinationIP, 'target', `events.${i}.preNatDestinationIP`);
    entities.ip(row.postNatDestinationIP, 'target', `events.${i}.postNatDestinationIP`);
    if (row.username) entities.identity(row.username, classifyUserName(row.username), 'actor');
    if (row.logsourcename_logsourceid) entities.host(hostOfLogSourceName(row.logsourcename_logsourceid), 'target');
  }

  const description = offense.description?.trimEnd() ?? null;
  const title = firstLine(description ?? '') || `QRadar offense ${offense.id}`;
  const category = kebab(offense.categories?.[0] ?? '') || 'unknown';
  const severity = qradarSeverity(offense.severity ?? undefined, offense.magnitude ?? undefined);
  return ok(assemble({
    source: 'qradar',
    rawKind: 'qradar_offense',
    sourceId: String(offense.id),
    eventId: `qradar:offense:${offense.id}`,
    observedAt: offense.start_time,
    sourceUpdatedAt: offense.last_updated_time ?? offense.start_time,
    title,
    description: description === '' ? null : description,
    category,
    severity,
    mitre: [],
    raw: rawTextOf(input.payload, input.rawText),
    rawEvents: input.events === null || input.events === undefined ? null : rawTextOf(input.events, input.rawEventsText),
    missing,
  }, entities, context.ingestedAt));
}
