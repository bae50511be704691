import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scriptRedis } from './script-redis';

/**
 * An IP occurrence is ONE member of the key's time index `k:{key}:t`: `<id> NUL <state><count> NUL
 * <occurrence>` (redis-scripts.ts, OCCURRENCE). The scripts that index, range, decide, read and
 * evict it agree on that, a re-index keeps the decision, an identity occurrence is the bare id, and
 * eviction leaves nothing. Real Redis.
 */

describe('IP occurrences (real Redis)', () => {
  const prefix = `t-ipocc-${randomUUID().slice(0, 8)}:`;
  const db = scriptRedis(prefix);
  const run = db.run;

  it('indexes pending, decides once, keeps the decision on a re-index and evicts the member', async () => {
    const kt = `${prefix}k:{ip:203.0.113.7}:t`;
    const id = 'cloudtrail:3f2b0001-9c1d-4e5f-8a7b-0c1d2e3f4a5b';
    const other = 'qradar:offense:4000002';
    // `other` sorts before `id` but comes later in event time: results are in time order.
    await run('seamIndex')([kt], [id, 1000, 'ia["u1"]', 'ip', 60_000]);
    await run('seamIndex')([kt], [other, 2000, 'it', 'ip', 60_000]);
    // One member per occurrence and no second key.
    expect(await db.redis.zrange(kt, 0, -1)).toEqual([`${id}\0p\0ia["u1"]`, `${other}\0p\0it`]);
    expect(await db.redis.exists(`${prefix}k:{ip:203.0.113.7}:o`)).toBe(0);
    expect(await run('seamRange')([kt], [0, 5000])).toEqual([id, '1000', 'ia["u1"]', 'p', other, '2000', 'it', 'p']);
    expect(await run('seamReadIpState')([kt], [id, 1000])).toEqual(['p', '']);

    // Decided hot once, with its count; a second decision returns the first and is not fresh.
    expect(await run('seamDecide')([kt], [id, 'h', 0, 5000, 7, 1000])).toEqual(['h', '1', id, '1000', 'ia["u1"]', 'h', other, '2000', 'it', 'p']);
    expect((await run('seamDecide')([kt], [id, 'e', 0, 5000, 2, 1000])) as string[]).toEqual(expect.arrayContaining(['h', '0']));
    expect(await run('seamReadIpState')([kt], [id, 1000])).toEqual(['h', '7']);
    expect(await run('seamDecide')([kt], [other, 'e', 0, 5000, 1, 2000])).toEqual(['e', '1', id, '1000', 'ia["u1"]', 'h', other, '2000', 'it', 'e']);
    expect(await run('seamReadIpState')([kt], [other, 2000])).toEqual(['e', '']);

    // A re-index (a later version of the event) replaces the occurrence and keeps the decision.
    await run('seamIndex')([kt], [id, 1000, 'iat["u1","u2"]', 'ip', 60_000]);
    expect(await run('seamRange')([kt], [0, 1500])).toEqual([id, '1000', 'iat["u1","u2"]', 'h']);
    expect(await run('seamReadIpState')([kt], [id, 1000])).toEqual(['h', '7']);
    expect(await db.redis.zcard(kt)).toBe(2);

    // Evicted: the occurrence and its count go; the other one stays.
    await run('seamEvict')([kt], [id, 1000]);
    expect(await db.redis.zrange(kt, 0, -1)).toEqual([`${other}\0e\0it`]);
    expect(await run('seamReadIpState')([kt], [id, 1000])).toEqual(['', '']);
    expect(await run('seamDecide')([kt], [id, 'e', 0, 5000, 1, 1000])).toEqual(['gone']);
  });

  it('keeps ids apart that share a prefix or a time, and reads back identities with NUL, newlines and brackets', async () => {
    const kt = `${prefix}k:{ip:198.51.100.9}:t`;
    // Attacker-controlled identities end the member: any bytes there must round-trip.
    const nasty = `ia${JSON.stringify(['x\0y', 'line\nbreak', '[not json'])}`;
    await run('seamIndex')([kt], ['ev-1', 1000, nasty, 'ip', 60_000]);
    await run('seamIndex')([kt], ['ev-10', 1000, 'it', 'ip', 60_000]);
    await run('seamIndex')([kt], ['ev', 1000, 'ia', 'ip', 60_000]);
    expect(await run('seamDecide')([kt], ['ev-1', 'h', 0, 5000, 3, 1000])).toEqual(['h', '1', 'ev', '1000', 'ia', 'p', 'ev-1', '1000', nasty, 'h', 'ev-10', '1000', 'it', 'p']);
    expect(await run('seamReadIpState')([kt], ['ev', 1000])).toEqual(['p', '']);
    expect(await run('seamReadIpState')([kt], ['ev-10', 1000])).toEqual(['p', '']);
    // Another time: not this occurrence.
    expect(await run('seamReadIpState')([kt], ['ev-1', 1001])).toEqual(['', '']);
    await run('seamEvict')([kt], ['ev-1', 1000]);
    expect(await run('seamRange')([kt], [0, 5000])).toEqual(['ev', '1000', 'ia', 'p', 'ev-10', '1000', 'it', 'p']);
  });

  it('keeps the TTL when the only occurrence is decided or re-indexed (the key is never empty on the way)', async () => {
    const kt = `${prefix}k:{ip:192.0.2.44}:t`;
    await run('seamIndex')([kt], ['ev-only', 1000, 'ia', 'ip', 60_000]);
    await run('seamDecide')([kt], ['ev-only', 'e', 0, 5000, 1, 1000]);
    expect(await db.redis.pttl(kt)).toBeGreaterThan(0);
    await run('seamIndex')([kt], ['ev-only', 1000, 'iat', 'ip', 60_000]);
    expect(await db.redis.pttl(kt)).toBeGreaterThan(0);
    // The same occurrence again: nothing changes (a write that removed the member it equals would lose it).
    await run('seamIndex')([kt], ['ev-only', 1000, 'iat', 'ip', 60_000]);
    expect(await db.redis.zrange(kt, 0, -1)).toEqual(['ev-only\0e\0iat']);
  });

  it('stores an identity occurrence as the bare id and evicts it', async () => {
    const kt = `${prefix}k:{id:jdoe}:t`;
    expect(await run('seamIndex')([kt], ['ev-a', 1000, 'd10', 'identity', 60_000])).toEqual(['', '', '', '']);
    expect(await run('seamIndex')([kt], ['ev-b', 2000, 'd10', 'identity', 60_000])).toEqual(['ev-a', '1000', '', '']);
    expect(await db.redis.zrange(kt, 0, -1)).toEqual(['ev-a', 'ev-b']);
    await run('seamEvict')([kt], ['ev-a', 1000]);
    expect(await db.redis.zrange(kt, 0, -1)).toEqual(['ev-b']);
  });
});
