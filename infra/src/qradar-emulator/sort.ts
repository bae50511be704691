// The QRadar `sort` query parameter: a comma-separated list of fields, each prefixed with `+`
// (ascending, the default) or `-` (descending). An unencoded `+` arrives as a space after URL
// decoding, which QRadar (and this emulator) read as ascending. Unknown fields: 422, code 1030.

import { errors } from './errors';

export interface SortKey {
  field: string;
  descending: boolean;
}

export function parseSort(input: string, isKnownField: (field: string) => boolean = () => true): SortKey[] {
  const keys: SortKey[] = [];
  for (const raw of input.split(',')) {
    const part = raw.trim();
    if (part === '') throw errors.invalidSort(`Sort parameter is not valid: '${input}'`);
    const descending = part.startsWith('-');
    const field = part.startsWith('-') || part.startsWith('+') ? part.slice(1).trim() : part;
    if (!/^[A-Za-z_]\w*$/.test(field)) throw errors.invalidSort(`Sort parameter is not valid: '${part}'`);
    if (!isKnownField(field)) throw errors.invalidSort(`Field '${field}' is not sortable`);
    keys.push({ field, descending });
  }
  return keys;
}

function compareValues(a: unknown, b: unknown): number {
  // Nulls sort first ascending, as a database would put them.
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = typeof a === 'string' ? a : JSON.stringify(a);
  const right = typeof b === 'string' ? b : JSON.stringify(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A stable sort by the keys; records equal on every key keep their incoming order. */
export function sortRecords<T extends Readonly<Record<string, unknown>>>(records: readonly T[], keys: readonly SortKey[]): T[] {
  const copy = [...records];
  if (keys.length === 0) return copy;
  return copy.sort((a, b) => {
    for (const key of keys) {
      const diff = compareValues(a[key.field], b[key.field]);
      if (diff !== 0) return key.descending ? -diff : diff;
    }
    return 0;
  });
}
