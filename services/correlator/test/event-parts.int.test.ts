import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIELD } from '../src/adapters/redis-scripts';
import { scriptRedis } from './script-redis';

/**
 * An event's payload is stored in `e:{id}` as parts of at most 64 bytes, so the hash stays a compact
 * listpack (fields `v`, `v2`, …; every field name is short, FIELD). Every script reads back exactly what was written (any length, any UTF-8, parts split
 * inside multi-byte characters), a shorter update leaves no stale part, and forgetting the event
 * drops every part. Real Redis.
 */

describe('event payload parts (real Redis)', () => {
  const prefix = `t-parts-${randomUUID().slice(0, 8)}:`;
  const db = scriptRedis(prefix);
  const run = db.run;

  const fieldsOf = async (key: string): Promise<string[]> => (await db.redis.hkeys(key)).sort();

  it('reads back every payload exactly, across create, update, collect, load and forget', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 400 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 400 }), async (first, second) => {
        n += 1;
        const id = `ev-${n}`;
        const e = `${prefix}e:{${id}}`;
        // A root's info lives in its event hash (ri = e), as RedisCorrelationState passes it.
        const [rm, ri, ra] = [`${prefix}r:{${id}}:m`, e, `${prefix}r:{${id}}:a`];
        expect(await run('seamCreate')([e, rm, ri], [id, 1000, first, 60_000, 5])).toEqual(['created']);
        expect(await run('seamReadEvent')([e], [])).toBe(first);
        // A redelivery sees the stored payload (the EXISTS branch).
        expect(await run('seamCreate')([e, rm, ri], [id, 1000, first, 60_000, 5])).toEqual(['exists', '1000', first, '', id]);
        expect(await run('seamReadKnown')([e], [id])).toEqual(['exists', '1000', first, '', id]);
        // A root is its own parent, stored as '=' (not a copy of its id); scripts return the id.
        expect(await db.redis.hget(e, FIELD.parent)).toBe('=');
        // CAS update: the wrong expected payload fails, the right one replaces every part.
        expect(await run('seamUpdateEvent')([e], [`${first}x`, second, 60_000])).toBe(0);
        expect(await run('seamUpdateEvent')([e], [first, second, 60_000])).toBe(1);
        expect(await run('seamReadEvent')([e], [])).toBe(second);
        const parts = Math.max(1, Math.ceil(Buffer.byteLength(second) / 64));
        const rootInfo = [FIELD.dirtyFirst, FIELD.dirtyLast, FIELD.lastSeen];
        const expected = ['v', ...Array.from({ length: parts - 1 }, (_, i) => `v${i + 2}`), FIELD.observedAt, FIELD.parent, ...rootInfo].sort();
        expect(await fieldsOf(e)).toEqual(expected);
        const collected = (await run('seamCollect')([e, rm, ri, ra, `${prefix}r:{${id}}:tb`], [id])) as unknown[];
        expect(collected[2]).toBe(second);
        const loaded = (await run('seamLoadRoot')([e, rm, ri, ra], [id])) as unknown[];
        expect(loaded[3]).toBe(second);
        // Forgotten: a dedup record with no part left (the root info stays until its settled
        // version is acknowledged).
        expect(await run('seamForget')([e], ['inc-1', 60_000])).toBe(1);
        expect(await fieldsOf(e)).toEqual([FIELD.incident, FIELD.observedAt, ...rootInfo].sort());
        expect(await run('seamReadEvent')([e], [])).toBe('');
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the event hash a listpack for a typical event longer than 64 bytes', async () => {
    const id = 'ev-typical';
    const e = `${prefix}e:{${id}}`;
    const payload = '["cloudtrail",1767225600000,"bench event 12345",40,[],[["198.18.48.57","a","u",""]],[]]';
    expect(Buffer.byteLength(payload)).toBeGreaterThan(64);
    await run('seamCreate')([e, `${prefix}r:{${id}}:m`, e], [id, 1000, payload, 60_000, 5]);
    expect(await db.redis.object('ENCODING', e)).toBe('listpack');
    expect(await run('seamReadEvent')([e], [])).toBe(payload);
  });

  it('drops the root info of a settled root with its acknowledgement and leaves a listpack dedup record', async () => {
    const id = 'ev-settled';
    const e = `${prefix}e:{${id}}`;
    const [rm, ra, rt] = [`${prefix}r:{${id}}:m`, `${prefix}r:{${id}}:a`, `${prefix}r:{${id}}:tb`];
    await run('seamCreate')([e, rm, e], [id, 1000, '["qradar",1000,"t",5,[],[],[]]', 60_000, 5]);
    // The final content is longer than hash-max-listpack-value (64 by default, 256 in infra/lib.sh):
    // the hash is a hashtable while it is there.
    const final = JSON.stringify({ members: [id], title: 'x'.repeat(2_000) });
    expect(await run('seamSettle')([e, rm, e], [id, final, 1])).toBe('ok');
    expect(await db.redis.object('ENCODING', e)).toBe('hashtable');
    expect(await run('seamForget')([e], ['inc-1', 3_600_000])).toBe(1);
    expect(await db.redis.hget(e, FIELD.final)).toBe(final);
    // The settled version is handed out and acknowledged in one step: the root info goes.
    const emitted = (await run('seamEmit')([e, e, ra, rt], [id, 'fp', 'settled', '1', '1'])) as unknown[];
    expect(emitted.slice(0, 2)).toEqual(['ok', 1]);
    expect(await fieldsOf(e)).toEqual([FIELD.incident, FIELD.observedAt].sort());
    expect(await db.redis.object('ENCODING', e)).toBe('listpack');
    // The dedup retention (the longer TTL) is kept.
    expect(await db.redis.pttl(e)).toBeGreaterThan(3_000_000);
  });
});
