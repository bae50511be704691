import { describe, expect, it } from 'vitest';
import { QradarApiError } from './errors';
import { matchesFilter, parseFilter } from './filter';

const offense = { id: 15, status: 'OPEN', last_persisted_time: 1_000, assigned_to: null, categories: ['A', 'B'], follow_up: false };
const run = (filter: string, record: Record<string, unknown> = offense) => matchesFilter(parseFilter(filter), record);

describe('parseFilter / matchesFilter', () => {
  it('handles the comparisons Seam sends', () => {
    expect(run('id > 14')).toBe(true);
    expect(run('id > 15')).toBe(false);
    expect(run('last_persisted_time > 999')).toBe(true);
    expect(run('status = OPEN')).toBe(true);
    expect(run('status="OPEN"')).toBe(true);
    expect(run("status = 'CLOSED'")).toBe(false);
    expect(run('id in (1,2,15)')).toBe(true);
    expect(run('id in ( 1 , 2 )')).toBe(false);
  });

  it('combines with and/or/not and parentheses, and binds and tighter than or', () => {
    expect(run('id > 10 and status = OPEN and last_persisted_time > 500')).toBe(true);
    expect(run('id > 10 AND status = CLOSED')).toBe(false);
    expect(run('id = 1 or id = 15 and status = CLOSED')).toBe(false);
    expect(run('(id = 1 or id = 15) and status = OPEN')).toBe(true);
    expect(run('not status = CLOSED')).toBe(true);
  });

  it('supports the other documented operators', () => {
    expect(run('id != 5')).toBe(true);
    expect(run('id <> 15')).toBe(false);
    expect(run('id ^= 15')).toBe(false);
    expect(run('id between 10 and 20')).toBe(true);
    expect(run('id not between 10 and 20')).toBe(false);
    expect(run('id not in (15)')).toBe(false);
    expect(run('assigned_to is null')).toBe(true);
    expect(run('assigned_to is not null')).toBe(false);
    expect(run('follow_up = false')).toBe(true);
    expect(run('categories = B')).toBe(true);
  });

  it.each([
    ['id >', 'missing value'],
    ['id like 5', 'unsupported operator'],
    ['id > 5 and', 'dangling and'],
    ['id in (1,2', 'unclosed list'],
    ['status = "OPEN', 'unterminated string'],
    ['(id > 5', 'unclosed paren'],
    ['id > 5 garbage', 'trailing tokens'],
    ['id ~ 5', 'unknown character'],
  ])('rejects %s (%s) with QRadar 422 / 1010', (filter) => {
    try {
      parseFilter(filter);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(QradarApiError);
      const e = error as QradarApiError;
      expect([e.status, e.code]).toEqual([422, 1010]);
      expect(e.toBody().description).toBe('The filter parameter is not valid.');
    }
  });

  it('rejects unknown fields when the resource says so', () => {
    expect(() => parseFilter('nope = 1', (f) => f === 'id')).toThrow(/not a filterable field/);
  });
});
