import { describe, expect, it } from 'vitest';
import { QradarApiError } from './errors';
import { applyRange, parseRange } from './range';
import { parseSort, sortRecords } from './sort';

const rows = [
  { id: 2, t: 30 },
  { id: 1, t: 10 },
  { id: 3, t: 10 },
];

describe('sort', () => {
  it('sorts by +/- fields, defaulting to ascending and reading a decoded + (space) as ascending', () => {
    expect(sortRecords(rows, parseSort('-id')).map((r) => r.id)).toEqual([3, 2, 1]);
    expect(sortRecords(rows, parseSort('+id')).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(sortRecords(rows, parseSort(' id')).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(sortRecords(rows, parseSort('t,-id')).map((r) => r.id)).toEqual([3, 1, 2]);
  });

  it('rejects unknown fields with 422 / 1030', () => {
    const error = (() => {
      try {
        parseSort('+nope', (f) => f === 'id');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(QradarApiError);
    expect((error as QradarApiError).code).toBe(1030);
  });
});

describe('range', () => {
  const items = Array.from({ length: 12 }, (_, i) => i);

  it('follows the IBM paging examples', () => {
    expect(applyRange(items.slice(0, 5), parseRange('items=0-4')).contentRange).toBe('items 0-4/5');
    expect(applyRange(items, parseRange('items= 0-99'))).toEqual({ items, contentRange: 'items 0-11/12' });
    expect(applyRange(items.slice(0, 3), parseRange('items = 3-5'))).toEqual({ items: [], contentRange: 'items */3' });
    expect(applyRange(items, undefined).contentRange).toBe('items 0-11/12');
    expect(applyRange([], undefined).contentRange).toBe('items */0');
  });

  it('rejects malformed and negative ranges like a console (422 / 36)', () => {
    expect(() => parseRange('items=-3-2')).toThrow(/must follow this pattern: items=x-y/);
    expect(() => parseRange('bytes=0-1')).toThrow(/must follow this pattern/);
    expect(() => parseRange('items=3-0')).toThrow(/negative/);
    expect(parseRange(undefined)).toBeUndefined();
  });
});
