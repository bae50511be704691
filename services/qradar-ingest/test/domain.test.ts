import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { advanceChangedCursor, advanceNewCursor, changedOffensesQuery, initialChangedCursor, newOffensesQuery, parseChangedCursor, serializeChangedCursor, type OffenseVersion } from '../src/domain/cursors';
import { splitJsonArray } from '../src/domain/json-array';
import { aqlTime, eventSampleQuery, resolveAddresses, shouldRetryEmptySample } from '../src/domain/offense';
import { classifyStatus, parseRetryAfter, pollBackoffMs, retryDelayMs } from '../src/domain/retry';
import { timestampFresh, webhookBodySchema } from '../src/domain/webhook';

describe('cursors', () => {
  it('builds keyset queries', () => {
    expect(newOffensesQuery({ lastId: 42 }, 100)).toEqual({ filter: 'id > 42', sort: '+id', range: { from: 0, to: 99 } });
    expect(changedOffensesQuery(initialChangedCursor, 10).filter).toBe('last_persisted_time > 0');
    expect(changedOffensesQuery({ watermark: 5, idsAtWatermark: [9, 3] }, 10)).toEqual({
      filter: 'last_persisted_time > 5 or (last_persisted_time = 5 and id not in (3,9))',
      sort: '+last_persisted_time,+id',
      range: { from: 0, to: 9 },
    });
  });

  it('new cursor moves to the highest id', () => {
    expect(advanceNewCursor({ lastId: 3 }, [{ id: 7, persistedAt: 1 }, { id: 5, persistedAt: 2 }])).toEqual({ lastId: 7 });
    expect(advanceNewCursor({ lastId: 3 }, [])).toEqual({ lastId: 3 });
  });

  it('changed cursor keeps the ids seen at an equal timestamp across pages', () => {
    const a = advanceChangedCursor(initialChangedCursor, [{ id: 1, persistedAt: 10 }, { id: 2, persistedAt: 20 }, { id: 3, persistedAt: 20 }]);
    expect(a).toEqual({ watermark: 20, idsAtWatermark: [2, 3] });
    const b = advanceChangedCursor(a, [{ id: 8, persistedAt: 20 }]);
    expect(b).toEqual({ watermark: 20, idsAtWatermark: [2, 3, 8] });
    expect(advanceChangedCursor(b, [{ id: 1, persistedAt: 21 }])).toEqual({ watermark: 21, idsAtWatermark: [1] });
    expect(parseChangedCursor(serializeChangedCursor(b))).toEqual(b);
  });

  it('simulated paging over versions with many equal timestamps yields every version exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (times, pageSize) => {
        const all: OffenseVersion[] = times.map((t, i) => ({ id: i + 1, persistedAt: t }));
        const sorted = [...all].sort((x, y) => x.persistedAt - y.persistedAt || x.id - y.id);
        let cursor = initialChangedCursor;
        const seen: number[] = [];
        for (let guard = 0; guard < 100; guard += 1) {
          const ids = new Set(cursor.idsAtWatermark);
          const page = sorted.filter((v) => v.persistedAt > cursor.watermark || (v.persistedAt === cursor.watermark && !ids.has(v.id))).slice(0, pageSize);
          if (page.length === 0) break;
          seen.push(...page.map((v) => v.id));
          cursor = advanceChangedCursor(cursor, page);
        }
        expect(seen.sort((x, y) => x - y)).toEqual(all.map((v) => v.id));
      }),
    );
  });
});

describe('splitJsonArray', () => {
  it('returns each element exactly as written', () => {
    expect(splitJsonArray('[ {"a":"x,]}\\"y"} , [1,2],3 ,"s"]')).toEqual(['{"a":"x,]}\\"y"}', '[1,2]', '3', '"s"']);
    expect(splitJsonArray(' [] ')).toEqual([]);
    expect(() => splitJsonArray('{"a":1}')).toThrow();
    expect(() => splitJsonArray('[1,2')).toThrow();
  });
  it('round-trips arbitrary JSON arrays', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), (values) => {
        const parts = splitJsonArray(JSON.stringify(values, null, 1));
        expect(parts.map((p) => JSON.parse(p) as unknown)).toEqual(values.map((v) => JSON.parse(JSON.stringify(v)) as unknown));
      }),
    );
  });
});

describe('offense helpers', () => {
  it('resolves address ids in order, skipping unknown ids', () => {
    const fields = { id: 1, source_address_ids: [2, 1, 9], local_destination_address_ids: [1] };
    expect(resolveAddresses(fields, new Map([[1, '10.0.0.1'], [2, '10.0.0.2']]), new Map([[1, '192.168.0.1']]))).toEqual({ source: ['10.0.0.2', '10.0.0.1'], localDestination: ['192.168.0.1'] });
  });
  it('builds a bounded Ariel query with LIMIT before START', () => {
    expect(aqlTime(Date.UTC(2021, 1, 15, 13, 21, 36, 537))).toBe('2021-02-15 13:21:36');
    expect(eventSampleQuery({ id: 15, start_time: Date.UTC(2021, 1, 15, 13, 21, 36, 537) }, 20, Date.UTC(2021, 1, 16))).toBe(
      "SELECT * FROM events WHERE INOFFENSE(15) LIMIT 20 START '2021-02-15 13:21:36' STOP '2021-02-16 00:01:00'",
    );
  });
  it('retries an empty sample only for recent offenses and a bounded number of times', () => {
    const now = 1_000_000;
    expect(shouldRetryEmptySample({ id: 1, last_updated_time: now - 1000 }, 0, 3, now, 60_000)).toBe(true);
    expect(shouldRetryEmptySample({ id: 1, last_updated_time: now - 1000 }, 3, 3, now, 60_000)).toBe(false);
    expect(shouldRetryEmptySample({ id: 1, last_updated_time: now - 120_000 }, 0, 3, now, 60_000)).toBe(false);
  });
});

describe('retry', () => {
  it('classifies statuses', () => {
    expect([401, 408, 429, 500, 503].map(classifyStatus)).toEqual(Array(5).fill('retriable'));
    expect([400, 403, 404, 409, 422].map(classifyStatus)).toEqual(Array(5).fill('permanent'));
  });
  it('never retries sooner than Retry-After', () => {
    const policy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelayMs(policy, 1, 5000, () => 0.5)).toBe(5000);
    expect(retryDelayMs(policy, 1, undefined, () => 0.5)).toBe(100);
    expect(retryDelayMs(policy, 10, undefined, () => 0.5)).toBe(1000);
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(pollBackoffMs(1, 100, 1000)).toBe(100);
    expect(pollBackoffMs(10, 100, 1000)).toBe(1000);
  });
});

describe('webhook body', () => {
  it('accepts numeric ids and rejects the rest', () => {
    expect(webhookBodySchema.parse({ offense_id: 15, extra: 1 }).offense_id).toBe(15);
    expect(webhookBodySchema.parse({ offense_id: '16' }).offense_id).toBe(16);
    for (const bad of [{}, { offense_id: -1 }, { offense_id: 1.5 }, { offense_id: 'x' }, { offense_id: null }]) expect(webhookBodySchema.safeParse(bad).success).toBe(false);
    expect(timestampFresh(String(Math.floor(Date.now() / 1000)), Date.now(), 300_000)).toBe(true);
    expect(timestampFresh('1', Date.now(), 300_000)).toBe(false);
  });
});
