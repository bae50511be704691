// The `Range: items=x-y` request header and the `Content-Range: items x-y/total` answer, as in
// IBM's "Paging syntax" page: zero-based, inclusive; a range past the end is clipped; a range
// that starts past the end returns no records with `Content-Range: items */total`. Malformed or
// negative ranges get the 422 (code 36) messages a real console gives.

import { errors } from './errors';

export interface ItemRange {
  first: number;
  last: number;
}

/** Parses the header; undefined when there is none. */
export function parseRange(header: string | undefined): ItemRange | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const match = /^\s*items\s*=\s*(-?\d+)\s*-\s*(-?\d+)\s*$/i.exec(header);
  if (!match) throw errors.unparsableRange();
  const first = Number(match[1]);
  const last = Number(match[2]);
  if (first < 0) throw errors.unparsableRange();
  if (last < first) throw errors.negativeRange();
  return { first, last };
}

export interface Page<T> {
  items: T[];
  contentRange: string;
}

export function applyRange<T>(items: readonly T[], range: ItemRange | undefined): Page<T> {
  const total = items.length;
  const first = range?.first ?? 0;
  const requestedLast = range?.last ?? total - 1;
  if (first >= total) return { items: [], contentRange: `items */${total}` };
  const last = Math.min(requestedLast, total - 1);
  return { items: items.slice(first, last + 1), contentRange: `items ${first}-${last}/${total}` };
}
