import { z } from 'zod';
import type { OffenseVersion } from './cursors';

/** The few offense fields the ingest logic reads; everything else passes through untouched. */
export const offenseFieldsSchema = z.looseObject({
  id: z.number().int().nonnegative(),
  last_persisted_time: z.number().int().optional(),
  last_updated_time: z.number().int().optional(),
  start_time: z.number().int().optional(),
  source_address_ids: z.array(z.number().int()).optional(),
  local_destination_address_ids: z.array(z.number().int()).optional(),
});
export type OffenseFields = z.infer<typeof offenseFieldsSchema>;

/** One offense as delivered: the exact JSON text, and the fields parsed out of it. */
export interface DeliveredOffense {
  readonly raw: string;
  readonly fields: OffenseFields;
}

export function versionOf(fields: OffenseFields): OffenseVersion {
  return { id: fields.id, persistedAt: fields.last_persisted_time ?? fields.last_updated_time ?? 0 };
}

/** Distinct ids to resolve, in first-seen order. */
export function collectAddressIds(offenses: readonly OffenseFields[], side: 'source' | 'local'): number[] {
  const ids = new Set<number>();
  for (const offense of offenses) {
    for (const id of (side === 'source' ? offense.source_address_ids : offense.local_destination_address_ids) ?? []) ids.add(id);
  }
  return [...ids];
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function addressFilter(ids: readonly number[]): string {
  return `id in (${ids.join(',')})`;
}

/** IPs in the offense's id order; ids the lookup did not return are left out. */
export function resolveAddresses(fields: OffenseFields, sourceIps: ReadonlyMap<number, string>, localIps: ReadonlyMap<number, string>): { source: string[]; localDestination: string[] } {
  const pick = (ids: readonly number[] | undefined, map: ReadonlyMap<number, string>) =>
    (ids ?? []).flatMap((id) => {
      const ip = map.get(id);
      return ip === undefined ? [] : [ip];
    });
  return { source: pick(fields.source_address_ids, sourceIps), localDestination: pick(fields.local_destination_address_ids, localIps) };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** AQL time literal (UTC), `yyyy-MM-dd HH:mm:ss`. */
export function aqlTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/**
 * The bounded Ariel sample for one offense. LIMIT precedes the time clause (AQL grammar); the
 * window starts at the offense's start (floored to the second) and stops a minute past `now`.
 */
export function eventSampleQuery(fields: OffenseFields, limit: number, now: number): string {
  const start = Math.floor((fields.start_time ?? now - 3_600_000) / 1000) * 1000;
  return `SELECT * FROM events WHERE INOFFENSE(${fields.id}) LIMIT ${limit} START '${aqlTime(start)}' STOP '${aqlTime(now + 60_000)}'`;
}

/**
 * Events reach Ariel after the offense does. An empty sample is retried (a bounded number of times)
 * only while the offense's latest activity is recent enough that its events may still be indexing.
 */
export function shouldRetryEmptySample(fields: OffenseFields, attempt: number, maxRetries: number, now: number, lagWindowMs: number): boolean {
  if (attempt >= maxRetries) return false;
  const activity = fields.last_updated_time ?? fields.start_time;
  if (activity === undefined) return true;
  return now - activity < lagWindowMs;
}
