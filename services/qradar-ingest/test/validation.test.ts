import { describe, expect, it } from 'vitest';
import { advanceChangedCursor, advanceNewCursor } from '../src/domain/cursors';
import { cursorVersions, parseOffenseElement, partitionItems, type PageItem } from '../src/domain/validation';

const ok = (id: number, t = id * 10) => JSON.stringify({ id, last_persisted_time: t, description: `offense ${id}` });
const page = (...raws: string[]): PageItem[] => raws.map(parseOffenseElement);

describe('per-element offense validation', () => {
  it('keeps valid elements byte for byte and sets invalid ones aside with the failing fields', () => {
    const bad1 = '{"id":"abc","last_persisted_time":5,"secret_note":"s3cr3t"}';
    const bad2 = '{ "id": 7, "last_persisted_time": "yesterday" }';
    const bad3 = '"just a string"';
    const bad4 = '{"description":"no id at all"}';
    const { valid, invalid } = partitionItems(page(ok(1), bad1, ok(2), bad2, bad3, bad4, '{not json'));
    expect(valid.map((o) => o.raw)).toEqual([ok(1), ok(2)]);
    expect(valid.map((o) => o.fields.id)).toEqual([1, 2]);
    expect(invalid.map((o) => o.raw)).toEqual([bad1, bad2, bad3, bad4, '{not json']);
    expect(invalid[0]?.reason).toMatch(/^offense failed validation: id: /);
    expect(invalid[0]?.reason).not.toContain('s3cr3t');
    expect(invalid[0]?.reason).not.toContain('abc');
    expect(invalid[1]?.reason).toMatch(/last_persisted_time: /);
    expect(invalid[1]?.reason).not.toMatch(/(^|[ ;])id: /);
    expect(invalid[2]?.reason).toMatch(/\(element\): /);
    expect(invalid[3]?.reason).toMatch(/id: /);
    expect(invalid[4]?.reason).toMatch(/not valid JSON/);
    // What could still be read for the cursors.
    expect(invalid.map((o) => o.id)).toEqual([undefined, 7, undefined, undefined, undefined]);
    expect(invalid.map((o) => o.persistedAt)).toEqual([5, undefined, undefined, undefined, undefined]);
    expect(parseOffenseElement('{"id":"42","last_persisted_time":-1}')).toMatchObject({ valid: false, invalid: { id: 42, persistedAt: undefined } });
  });
});

describe('cursor advance over pages with invalid elements', () => {
  it('new cursor: passes an invalid element that has a usable id, even as the last element', () => {
    const items = page(ok(11), ok(12), '{"id":13,"last_persisted_time":"x"}');
    expect(advanceNewCursor({ lastId: 10 }, cursorVersions(items, 'new'))).toEqual({ lastId: 13 });
  });

  it('new cursor: an id-less element does not block; the valid ids after it advance the cursor', () => {
    expect(advanceNewCursor({ lastId: 10 }, cursorVersions(page('[]', '{"x":1}', ok(14)), 'new'))).toEqual({ lastId: 14 });
    // A trailing id-less element leaves the cursor at the last usable id (it will be re-read: the DLQ dedups it).
    expect(advanceNewCursor({ lastId: 10 }, cursorVersions(page(ok(11), '{"x":1}'), 'new'))).toEqual({ lastId: 11 });
    // A page of id-less garbage only: the cursor cannot move (documented edge).
    expect(advanceNewCursor({ lastId: 10 }, cursorVersions(page('1', '{"x":1}'), 'new'))).toEqual({ lastId: 10 });
  });

  it('new cursor: an invalid id that contradicts the page order is not trusted', () => {
    // id 999999 sits between 11 and 12 in a +id page: corrupted; advancing to it would skip offenses.
    const items = page(ok(11), '{"id":999999,"last_persisted_time":"x"}', ok(12));
    expect(advanceNewCursor({ lastId: 10 }, cursorVersions(items, 'new'))).toEqual({ lastId: 12 });
    expect(cursorVersions(items, 'new').map((v) => v.id)).toEqual([11, 12]);
  });

  it('changed cursor: an invalid element counts only with both an id and a persisted time in order', () => {
    const c0 = { watermark: 100, idsAtWatermark: [] };
    const withTime = page(ok(1, 110), '{"id":2,"last_persisted_time":120,"source_address_ids":"bad"}');
    expect(advanceChangedCursor(c0, cursorVersions(withTime, 'changed'))).toEqual({ watermark: 120, idsAtWatermark: [2] });
    const noTime = page(ok(1, 110), '{"id":2,"last_persisted_time":"bad"}', ok(3, 130));
    expect(advanceChangedCursor(c0, cursorVersions(noTime, 'changed'))).toEqual({ watermark: 130, idsAtWatermark: [3] });
    const outOfOrder = page(ok(1, 110), '{"id":2,"last_persisted_time":9999999,"start_time":"x"}', ok(3, 130));
    expect(advanceChangedCursor(c0, cursorVersions(outOfOrder, 'changed'))).toEqual({ watermark: 130, idsAtWatermark: [3] });
    const garbage = page('null', '{}');
    expect(advanceChangedCursor(c0, cursorVersions(garbage, 'changed'))).toEqual(c0);
  });
});
