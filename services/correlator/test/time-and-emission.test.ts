import { describe, expect, it } from 'vitest';
import { incidentIdFor } from '../src/domain/index';
import { actor, engineWith, ev, groups, MINUTE, person, runAll } from './fixtures';

describe('watermark, lateness and settling', () => {
  it('accepts an event exactly G behind the newest and marks one 1 ms further as late', () => {
    const { engine } = engineWith();
    engine.ingest(ev('newest', 100));
    const atGrace = ev('at-grace', 95);
    expect(engine.ingest(atGrace).status).toBe('accepted');
    const beyond = { ...ev('beyond', 95), observedAt: atGrace.observedAt - 1 };
    expect(engine.ingest(beyond)).toEqual({ status: 'late', incidentId: incidentIdFor('beyond') });
  });

  it('joins a late-within-grace event exactly as if it had arrived in order', () => {
    const a = ev('a', 0, { ids: [person('u')] });
    const b = ev('b', 17, { ids: [person('u')], ips: [actor('203.0.113.1')] });
    const c = ev('c', 20, { ips: [actor('203.0.113.1')] });
    const inOrder = groups(runAll([a, b, c]));
    const outOfOrder = groups(runAll([a, c, b])); // b is 3 min behind c: within G = 5 min
    expect(outOfOrder).toEqual(inOrder);
    expect(inOrder).toEqual([['a', 'b', 'c']]);
  });

  it('keeps an event beyond the grace out of every incident: a lone, settled, late incident', () => {
    const { engine } = engineWith();
    engine.ingest(ev('a', 0, { ids: [person('u')] }));
    engine.ingest(ev('b', 30, { ids: [person('u')] }));
    const outcome = engine.ingest(ev('straggler', 20, { ids: [person('u')] }));
    expect(outcome.status).toBe('late');
    const out = engine.drain();
    const late = out.find((version) => version.incidentId === incidentIdFor('straggler'));
    expect(late).toMatchObject({ status: 'settled', late: true, version: 1, members: [expect.objectContaining({ eventId: 'straggler' })] });
    expect(engine.ingest(ev('straggler', 20, { ids: [person('u')] })).status).toBe('duplicate');
    engine.flush();
    expect(groups([...out, ...engine.drain()])).toEqual([['a', 'b'], ['straggler']]);
  });

  it('does not reopen a settled incident: a redelivered member is a duplicate', () => {
    const { engine } = engineWith();
    engine.ingest(ev('a', 0, { ids: [person('u')] }));
    engine.ingest(ev('far', 200));
    expect(engine.drain().find((v) => v.incidentId === incidentIdFor('a'))?.status).toBe('settled');
    expect(engine.ingest(ev('a', 0, { ids: [person('u')] }))).toEqual({ status: 'duplicate', incidentId: incidentIdFor('a') });
  });

  it('settles when the watermark passes lastSeen + W, i.e. W + G of event time after the last member', () => {
    const { engine } = engineWith();
    engine.ingest(ev('a', 0, { ids: [person('u')] }));
    expect(engine.drain()[0]?.status).toBe('open');
    engine.ingest(ev('t1', 65)); // watermark = 60 min = lastSeen + W: still open (a member at 60 could link)
    expect(engine.drain().filter((v) => v.incidentId === incidentIdFor('a'))).toEqual([]);
    engine.ingest({ ...ev('t2', 65), observedAt: ev('t2', 65).observedAt + 1 });
    const settled = engine.drain().find((v) => v.incidentId === incidentIdFor('a'));
    expect(settled).toMatchObject({ status: 'settled', version: 2 });
  });

  it('delays IP links until the key’s hotness is decided (watermark past the event), identity links are immediate', () => {
    const { engine } = engineWith();
    engine.ingest(ev('a', 0, { ips: [actor('203.0.113.5')], ids: [person('x')] }));
    engine.ingest(ev('b', 1, { ips: [actor('203.0.113.5')] }));
    expect(engine.incidentOf('b')).toBe(incidentIdFor('b'));
    engine.ingest(ev('c', 6, { ids: [person('x')] })); // watermark = 1 min: a decided, b not yet
    expect(engine.incidentOf('c')).toBe(incidentIdFor('a'));
    expect(engine.incidentOf('b')).toBe(incidentIdFor('b'));
    engine.ingest({ ...ev('d', 6), observedAt: ev('d', 6).observedAt + 1 }); // watermark passes b
    expect(engine.incidentOf('b')).toBe(incidentIdFor('a'));
  });

  it('returns memory to zero once everything settled (only dedup ids remain, for their retention)', () => {
    const { engine } = engineWith({ hotKeyDistinctIdentities: 1 });
    for (let i = 0; i < 20; i += 1) {
      engine.ingest(ev(`e${i}`, i * 7, { ips: [actor('198.51.100.9')], ids: [person(`u${i % 3}`)] }));
    }
    engine.flush();
    engine.drain();
    expect(engine.stats()).toEqual({
      events: 0,
      indexEntries: 0,
      indexKeys: 0,
      incidents: 0,
      pendingEmissions: 0,
      rememberedEventIds: 20,
      hotKeys: 0,
    });
    const { engine: second } = engineWith({ dedupRetentionMs: MINUTE });
    second.ingest(ev('old', 0));
    second.ingest(ev('new', 300));
    second.drain();
    expect(second.stats()).toMatchObject({ events: 1, rememberedEventIds: 0, incidents: 1 });
  });
});

describe('versions of the same event', () => {
  it('unions a grown offense into the known event, in either order, and rejects a changed event time', () => {
    const v1 = ev('qradar:offense:7', 0, { ips: [actor('203.0.113.8')], severity: 40 });
    const v2 = ev('qradar:offense:7', 0, { ips: [actor('203.0.113.8')], ids: [person('jdoe')], severity: 70 });
    const other = ev('cloudtrail:1', 3, { ids: [person('jdoe')], source: 'cloudtrail' });
    const forward = runAll([v1, other, v2]);
    const backward = runAll([v2, other, v1]);
    expect(groups(forward)).toEqual([['cloudtrail:1', 'qradar:offense:7']]);
    expect(groups(backward)).toEqual(groups(forward));
    const { engine } = engineWith();
    engine.ingest(v1);
    expect(engine.ingest(v2).status).toBe('updated');
    expect(engine.ingest(v1).status).toBe('duplicate');
    expect(engine.ingest({ ...v1, observedAt: v1.observedAt + 1 }).status).toBe('conflict');
    engine.ingest(ev('later', 10));
    const v3 = ev('qradar:offense:7', 0, { ids: [person('mallory')] });
    expect(engine.ingest(v3).status).toBe('late-update');
  });
});

describe('emission', () => {
  it('debounces versions (trailing, 2 s by default) and emits only on material change', () => {
    const { engine, clock } = engineWith();
    engine.ingest(ev('a', 0, { ids: [person('u')], source: 'qradar' }));
    clock.advance(1_999);
    expect(engine.tick()).toEqual([]);
    expect(engine.nextDueAt()).toBe(clock.current + 1);
    clock.advance(1);
    expect(engine.tick().map((v) => v.version)).toEqual([1]);

    engine.ingest(ev('b', 1, { ids: [person('u')], source: 'qradar' })); // same source, same keys
    clock.advance(2_000);
    expect(engine.tick()).toEqual([]);

    engine.ingest(ev('c', 2, { ids: [person('u')], source: 'cloudtrail' })); // new source
    clock.advance(2_000);
    const [v2] = engine.tick();
    expect(v2).toMatchObject({ version: 2, hybrid: true, sources: { cloudtrail: 1, qradar: 2 } });
    expect(v2?.members.map((m) => m.eventId)).toEqual(['a', 'b', 'c']);
  });

  it('emits a continuously changing incident at the latest after maxDebounceDelayMs', () => {
    const { engine, clock } = engineWith({ debounceMs: 2_000, maxDebounceDelayMs: 10_000 });
    for (let i = 0; i < 15; i += 1) {
      engine.ingest(ev(`e${i}`, i / 60, { ids: [person('u')] }));
      expect(engine.tick().length).toBe(i === 10 ? 1 : 0);
      clock.advance(1_000);
    }
  });

  it('gives the merged-away incident a last version with mergedInto; the survivor lists absorbed', () => {
    const { engine, clock } = engineWith();
    engine.ingest(ev('a', 0, { ids: [person('alice')] }));
    engine.ingest(ev('b', 1, { ids: [person('bob')] }));
    clock.advance(2_000);
    expect(engine.tick()).toHaveLength(2);
    engine.ingest(ev('c', 2, { ids: [person('alice'), person('bob')] }));
    clock.advance(2_000);
    const out = engine.tick();
    expect(out.map((v) => [v.incidentId, v.version, v.mergedInto])).toEqual([
      [incidentIdFor('a'), 2, null],
      [incidentIdFor('b'), 2, incidentIdFor('a')],
    ]);
    expect(out[0]?.absorbed).toEqual([incidentIdFor('b')]);
    expect(out[0]?.links).toEqual([
      { from: 'a', to: 'c', via: 'identity', value: 'id:alice' },
      { from: 'b', to: 'c', via: 'identity', value: 'id:bob' },
    ]);
    expect(out[1]?.status).toBe('settled');
  });

  it("gives the merged-away incident's last version its members as of the merge (also those not yet emitted)", () => {
    const { engine, clock } = engineWith();
    engine.ingest(ev('a', 0, { ids: [person('alice')] }));
    engine.ingest(ev('b', 1, { ids: [person('bob')] }));
    clock.advance(2_000);
    expect(engine.tick()).toHaveLength(2);
    engine.ingest(ev('d', 2, { ids: [person('bob')] }));
    engine.ingest(ev('c', 3, { ids: [person('alice'), person('bob')] }));
    clock.advance(2_000);
    const out = engine.tick();
    const tombstone = out.find((version) => version.mergedInto !== null);
    expect(tombstone).toMatchObject({ incidentId: incidentIdFor('b'), version: 2, status: 'settled', mergedInto: incidentIdFor('a') });
    expect(tombstone?.members.map((member) => member.eventId)).toEqual(['b', 'd']);
    expect(out.find((version) => version.mergedInto === null)?.members.map((member) => member.eventId)).toEqual(['a', 'b', 'd', 'c']);
  });

  it('renames an incident when a late-within-grace event becomes its earliest member', () => {
    const { engine, clock } = engineWith();
    engine.ingest(ev('c', 10, { ids: [person('u')] }));
    clock.advance(2_000);
    expect(engine.tick().map((v) => v.incidentId)).toEqual([incidentIdFor('c')]);
    engine.ingest(ev('a', 7, { ids: [person('u')] }));
    clock.advance(2_000);
    const out = engine.tick();
    expect(out.map((v) => [v.incidentId, v.version, v.mergedInto, v.absorbed])).toEqual([
      [incidentIdFor('a'), 1, null, [incidentIdFor('c')]],
      [incidentIdFor('c'), 2, incidentIdFor('a'), []],
    ]);
  });

  it('does not emit tombstones for incidents nobody ever saw', () => {
    const { engine } = engineWith();
    engine.ingest(ev('a', 0, { ids: [person('alice')] }));
    engine.ingest(ev('b', 1, { ids: [person('bob')] }));
    engine.ingest(ev('c', 2, { ids: [person('alice'), person('bob')] }));
    const out = engine.drain();
    expect(out.map((v) => [v.incidentId, v.mergedInto, v.absorbed])).toEqual([[incidentIdFor('a'), null, []]]);
  });
});
