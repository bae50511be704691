/**
 * Pure cursor logic for the two pollers. Both page with keyset filters (the next page is asked for
 * with a filter past the last record seen, always from Range item 0), so records inserted or
 * re-persisted while paging can neither shift a page (skips) nor repeat one (duplicates).
 */

/** New offenses: everything with an id above `lastId`, ascending id. */
export interface NewCursor {
  readonly lastId: number;
}

/**
 * Changed offenses: everything persisted after `watermark`, plus records persisted exactly at
 * `watermark` whose id is not in `idsAtWatermark` (equal timestamps may straddle pages, and a
 * record may be persisted at an already-seen timestamp later).
 */
export interface ChangedCursor {
  readonly watermark: number;
  readonly idsAtWatermark: readonly number[];
}

export const initialNewCursor: NewCursor = { lastId: 0 };
export const initialChangedCursor: ChangedCursor = { watermark: 0, idsAtWatermark: [] };

export interface PageQuery {
  readonly filter: string;
  readonly sort: string;
  /** Inclusive zero-based `Range: items=from-to`. */
  readonly range: { readonly from: number; readonly to: number };
}

export function newOffensesQuery(cursor: NewCursor, pageSize: number): PageQuery {
  return { filter: `id > ${cursor.lastId}`, sort: '+id', range: { from: 0, to: pageSize - 1 } };
}

export function changedOffensesQuery(cursor: ChangedCursor, pageSize: number): PageQuery {
  const w = cursor.watermark;
  const filter =
    cursor.idsAtWatermark.length === 0
      ? `last_persisted_time > ${w}`
      : `last_persisted_time > ${w} or (last_persisted_time = ${w} and id not in (${[...cursor.idsAtWatermark].sort((a, b) => a - b).join(',')}))`;
  return { filter, sort: '+last_persisted_time,+id', range: { from: 0, to: pageSize - 1 } };
}

/** The version identity of one offense (what the dedup key and the changed cursor look at). */
export interface OffenseVersion {
  readonly id: number;
  /** last_persisted_time (falls back to last_updated_time on consoles that lack it). */
  readonly persistedAt: number;
}

export function advanceNewCursor(cursor: NewCursor, page: readonly OffenseVersion[]): NewCursor {
  let lastId = cursor.lastId;
  for (const offense of page) if (offense.id > lastId) lastId = offense.id;
  return { lastId };
}

export function advanceChangedCursor(cursor: ChangedCursor, page: readonly OffenseVersion[]): ChangedCursor {
  let watermark = cursor.watermark;
  for (const offense of page) if (offense.persistedAt > watermark) watermark = offense.persistedAt;
  const ids = new Set<number>(watermark === cursor.watermark ? cursor.idsAtWatermark : []);
  for (const offense of page) if (offense.persistedAt === watermark) ids.add(offense.id);
  return { watermark, idsAtWatermark: [...ids].sort((a, b) => a - b) };
}

/** True when a page was full, so another page may follow at once. */
export function mayHaveMore(pageLength: number, pageSize: number): boolean {
  return pageLength >= pageSize;
}

export function dedupKeySuffix(version: OffenseVersion): string {
  return `${version.id}:${version.persistedAt}`;
}

export function parseNewCursor(text: string | null): NewCursor {
  if (text === null) return initialNewCursor;
  const lastId = Number(text);
  if (!Number.isSafeInteger(lastId) || lastId < 0) throw new Error('stored new-offense cursor is not a non-negative integer');
  return { lastId };
}

export function parseChangedCursor(text: string | null): ChangedCursor {
  if (text === null) return initialChangedCursor;
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null) throw new Error('stored changed-offense cursor is not an object');
  const { watermark, idsAtWatermark } = value as { watermark?: unknown; idsAtWatermark?: unknown };
  if (typeof watermark !== 'number' || !Array.isArray(idsAtWatermark) || !idsAtWatermark.every((id) => typeof id === 'number')) {
    throw new Error('stored changed-offense cursor has the wrong shape');
  }
  return { watermark, idsAtWatermark: idsAtWatermark };
}

export function serializeChangedCursor(cursor: ChangedCursor): string {
  return JSON.stringify({ watermark: cursor.watermark, idsAtWatermark: cursor.idsAtWatermark });
}
