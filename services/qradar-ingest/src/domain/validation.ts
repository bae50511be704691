/**
 * Per-element validation of an offense page (pure). One malformed offense must never block a page:
 * valid elements flow on, invalid ones are set aside (for the DLQ) with a reason naming the failing
 * fields, and the cursors still move past them when their position can be known.
 */
import type { z } from 'zod';
import type { OffenseVersion } from './cursors';
import { offenseFieldsSchema, versionOf, type DeliveredOffense } from './offense';

/** A page element that failed validation: its exact JSON text and what could still be read from it. */
export interface InvalidOffense {
  /** The element exactly as delivered (what goes to the DLQ). */
  readonly raw: string;
  /** Zod issue paths and messages (no values: no payload data, no secrets). */
  readonly reason: string;
  /** A usable offense id (non-negative safe integer, or a string of digits), when the element has one. */
  readonly id: number | undefined;
  /** A usable last_persisted_time (else last_updated_time), when the element has one. */
  readonly persistedAt: number | undefined;
}

export type PageItem = { readonly valid: true; readonly offense: DeliveredOffense } | { readonly valid: false; readonly invalid: InvalidOffense };

const MAX_REASON = 1000;

/** `path: message; ...` of a zod error, bounded. Messages name types, never the received values. */
export function describeIssues(error: z.ZodError): string {
  const text = error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length === 0 ? '(element)' : issue.path.map(String).join('.')}: ${issue.message}`)
    .join('; ');
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}

function usableInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

/** Validates one page element (its exact JSON text). Never throws. */
export function parseOffenseElement(raw: string): PageItem {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { valid: false, invalid: { raw, reason: 'offense failed validation: (element): not valid JSON', id: undefined, persistedAt: undefined } };
  }
  const parsed = offenseFieldsSchema.safeParse(value);
  if (parsed.success) return { valid: true, offense: { raw, fields: parsed.data } };
  const record = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return {
    valid: false,
    invalid: {
      raw,
      reason: `offense failed validation: ${describeIssues(parsed.error)}`,
      id: usableInt(record['id']),
      persistedAt: usableInt(record['last_persisted_time']) ?? usableInt(record['last_updated_time']),
    },
  };
}

export function partitionItems(items: readonly PageItem[]): { valid: DeliveredOffense[]; invalid: InvalidOffense[] } {
  const valid: DeliveredOffense[] = [];
  const invalid: InvalidOffense[] = [];
  for (const item of items) {
    if (item.valid) valid.push(item.offense);
    else invalid.push(item.invalid);
  }
  return { valid, invalid };
}

/**
 * The versions a page contributes to a cursor, in page order. Valid offenses always count. An
 * invalid element counts only when it carries a usable key for that cursor (`id` for the
 * new-offense cursor; `id` and a persisted time for the changed cursor) AND that key agrees with
 * the page's sort order (not below the valid element before it, not above the valid element after
 * it): a corrupted key must not move the cursor past offenses not read yet. An invalid element
 * without a usable key does not move the cursor by itself; the valid elements after it do.
 */
export function cursorVersions(items: readonly PageItem[], poller: 'new' | 'changed'): OffenseVersion[] {
  const order = (v: OffenseVersion): number => (poller === 'new' ? v.id : v.persistedAt);
  const validOrders = items.map((item) => (item.valid ? order(versionOf(item.offense.fields)) : undefined));
  const out: OffenseVersion[] = [];
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i];
    if (item === undefined) continue;
    if (item.valid) {
      out.push(versionOf(item.offense.fields));
      continue;
    }
    const { id, persistedAt } = item.invalid;
    if (id === undefined) continue;
    if (poller === 'changed' && persistedAt === undefined) continue;
    const version: OffenseVersion = { id, persistedAt: persistedAt ?? 0 };
    const key = order(version);
    const before = validOrders.slice(0, i).filter((v): v is number => v !== undefined).at(-1);
    const after = validOrders.slice(i + 1).find((v): v is number => v !== undefined);
    if ((before !== undefined && key < before) || (after !== undefined && key > after)) continue;
    out.push(version);
  }
  return out;
}
