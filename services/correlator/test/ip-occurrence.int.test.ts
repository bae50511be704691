import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scriptRedis } from './script-redis';

/**
 * An IP occurrence in `k:{key}:o` is ONE field per event: its decision state (one character) then
 * the occurrence. The scripts that index, range, decide, read and evict it agree on that, a re-index
 * keeps the decision, and eviction leaves nothing. Real Redis.
 */

describe('IP occurrences (real Redis)', () => {
  const prefix = `t-ipocc-${randomUUID().slice(0, 8)}:`;
  const db = scriptRedis(prefix);
  const run = db.run;

  it('indexes pending, decides once, keeps the decision on a re-index and evicts every field', async () => {
    const [kt, ko] = [`${prefix}k:{ip:203.0.113.7}:t`, `${prefix}k:{ip:203.0.113.7}:o`];
    const id = 'cloudtrail:3f2b0001-9c1d-4e5f-8a7b-0c1d2e3f4a5b';
    const other = 'qradar:offense:4000002';
    await run('seamIndex')([kt, ko], [id, 1000, 'ia["u1"]', 'ip', 60_000]);
    await run('seamIndex')([kt, ko], [other, 2000, 'it', 'ip', 60_000]);
    // One field per occurrence: no copy of the id in a second field.
    expect((await db.redis.hkeys(ko)).sort()).toEqual([other, id].sort());
    expect(await run('seamRange')([kt, ko], [0, 5000])).toEqual([id, '1000', 'ia["u1"]', 'p', other, '2000', 'it', 'p']);
    expect(await run('seamReadIpState')([ko], [id])).toEqual(['p', '']);

    // Decided hot once; a second decision returns the first and is not fresh.
    expect(await run('seamDecide')([kt, ko], [id, 'h', 0, 5000, 7])).toEqual(['h', '1', id, '1000', 'ia["u1"]', 'h', other, '2000', 'it', 'p']);
    expect((await run('seamDecide')([kt, ko], [id, 'e', 0, 5000, 2])) as string[]).toEqual(expect.arrayContaining(['h', '0']));
    expect(await run('seamReadIpState')([ko], [id])).toEqual(['h', '7']);

    // A re-index (a later version of the event) replaces the occurrence and keeps the decision.
    await run('seamIndex')([kt, ko], [id, 1000, 'iat["u1","u2"]', 'ip', 60_000]);
    expect(await run('seamRange')([kt, ko], [0, 1500])).toEqual([id, '1000', 'iat["u1","u2"]', 'h']);
    expect(await run('seamReadIpState')([ko], [id])).toEqual(['h', '7']);

    // Evicted: the occurrence and its count go; the other one stays.
    await run('seamEvict')([kt, ko], [id]);
    expect(await db.redis.hkeys(ko)).toEqual([other]);
    expect(await run('seamReadIpState')([ko], [id])).toEqual(['', '']);
    expect(await run('seamDecide')([kt, ko], [id, 'e', 0, 5000, 1])).toEqual(['gone']);
  });
});
