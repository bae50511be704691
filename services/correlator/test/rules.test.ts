import { describe, expect, it } from 'vitest';
import { incidentIdFor } from '../src/domain/index';
import { actor, engineWith, ev, groups, MINUTE, person, runAll, target } from './fixtures';

describe('linking rules (DESIGN §3 roles)', () => {
  it('links two events that both have the IP as actor', () => {
    expect(groups(runAll([ev('a', 0, { ips: [actor('203.0.113.7')] }), ev('b', 10, { ips: [actor('203.0.113.7')] })]))).toEqual([
      ['a', 'b'],
    ]);
  });

  it("links when one event's target is the other's actor (lateral-movement pivot), in both directions", () => {
    const pivotForward = [ev('a', 0, { ips: [target('10.0.0.5')] }), ev('b', 10, { ips: [actor('10.0.0.5')] })];
    const pivotBackward = [ev('a', 0, { ips: [actor('10.0.0.5')] }), ev('b', 10, { ips: [target('10.0.0.5')] })];
    expect(groups(runAll(pivotForward))).toEqual([['a', 'b']]);
    expect(groups(runAll(pivotBackward))).toEqual([['a', 'b']]);
  });

  it('does not link two events that merely share a target', () => {
    expect(groups(runAll([ev('a', 0, { ips: [target('10.0.0.1')] }), ev('b', 1, { ips: [target('10.0.0.1')] })]))).toEqual([
      ['a'],
      ['b'],
    ]);
  });

  it('links identities whatever their role and across sources', () => {
    const out = runAll([
      ev('a', 0, { ids: [person('jdoe')], source: 'qradar' }),
      ev('b', 30, { ids: [person('JDoe')], source: 'cloudtrail' }),
    ]);
    expect(groups(out)).toEqual([['a', 'b']]);
  });

  it('links transitively and merges components through a bridging event', () => {
    const out = runAll([
      ev('a', 0, { ids: [person('alice')] }),
      ev('b', 5, { ips: [actor('198.51.100.1')] }),
      ev('c', 10, { ids: [person('alice')], ips: [actor('198.51.100.1')] }),
    ]);
    expect(groups(out)).toEqual([['a', 'b', 'c']]);
  });
});

describe('windows', () => {
  it('is inclusive at exactly W and exclusive at W + 1 ms', () => {
    const base = ev('a', 0, { ids: [person('u')] });
    const atW = { ...ev('b', 60, { ids: [person('u')] }) };
    const pastW = { ...atW, eventId: 'c', observedAt: atW.observedAt + 1 };
    expect(groups(runAll([base, atW]))).toEqual([['a', 'b']]);
    expect(groups(runAll([base, pastW]))).toEqual([['a'], ['c']]);
  });

  it('applies the window per key kind', () => {
    const config = { windowMs: { ip: 10 * MINUTE, identity: 120 * MINUTE } };
    const byIp = [ev('a', 0, { ips: [actor('203.0.113.9')] }), ev('b', 30, { ips: [actor('203.0.113.9')] })];
    const byId = [ev('a', 0, { ids: [person('u')] }), ev('b', 90, { ids: [person('u')] })];
    expect(groups(runAll(byIp, config))).toEqual([['a'], ['b']]);
    expect(groups(runAll(byId, config))).toEqual([['a', 'b']]);
  });

  it('chains across more than W through intermediate events (connected components)', () => {
    const out = runAll([
      ev('a', 0, { ids: [person('u')] }),
      ev('b', 50, { ids: [person('u')] }),
      ev('c', 100, { ids: [person('u')] }),
    ]);
    expect(groups(out)).toEqual([['a', 'b', 'c']]);
  });
});

describe('namespaces and non-evidence keys', () => {
  it('links a private address only inside its namespace; public addresses are global', () => {
    const out = runAll([
      ev('a', 0, { ips: [actor('10.1.1.1', 'vpc-1')] }),
      ev('b', 1, { ips: [actor('10.1.1.1', 'vpc-2')] }),
      ev('c', 2, { ips: [actor('10.1.1.1', 'vpc-1')] }),
    ]);
    expect(groups(out)).toEqual([['a', 'c'], ['b']]);
  });

  it.each([
    ['AWS Internal'],
    ['ec2.amazonaws.com'],
    ['127.0.0.1'],
    ['::1'],
    ['169.254.169.254'],
    ['fe80::1'],
    ['224.0.0.251'],
    ['198.51.100.200'],
  ])('never links through %s', (address) => {
    const config = { scannerAllowList: ['198.51.100.192/26'] };
    const out = runAll([ev('a', 0, { ips: [actor(address)] }), ev('b', 1, { ips: [actor(address)] })], config);
    expect(groups(out)).toEqual([['a'], ['b']]);
  });

  it('never links through an address flagged non-evidence or through AWS service principals', () => {
    const flagged = { ...actor('203.0.113.50'), nonEvidence: true };
    expect(groups(runAll([ev('a', 0, { ips: [flagged] }), ev('b', 1, { ips: [flagged] })]))).toEqual([['a'], ['b']]);
    const service = { canonical: 'AWSServiceRoleForConfig/session', kind: 'iam-role-session' as const };
    const flaggedId = { canonical: 'robot', kind: 'iam-role-session' as const, servicePrincipal: true };
    expect(groups(runAll([ev('a', 0, { ids: [service] }), ev('b', 1, { ids: [service] })]))).toEqual([['a'], ['b']]);
    expect(groups(runAll([ev('a', 0, { ids: [flaggedId] }), ev('b', 1, { ids: [flaggedId] })]))).toEqual([['a'], ['b']]);
  });
});

describe('hot keys', () => {
  const nat = '198.51.100.77';
  const users = (count: number, gapMinutes = 1) =>
    Array.from({ length: count }, (_, i) => ev(`e${i}`, i * gapMinutes, { ips: [actor(nat)], ids: [person(`user${i}`)] }));

  it('keeps linking with exactly K distinct identities in the window', () => {
    const out = runAll(users(3), { hotKeyDistinctIdentities: 3 });
    expect(groups(out)).toEqual([['e0', 'e1', 'e2']]);
  });

  it('stops linking once more than K distinct identities share the key, and reports it', () => {
    const { engine } = engineWith({ hotKeyDistinctIdentities: 3 });
    for (const event of users(6)) engine.ingest(event);
    engine.flush();
    const out = engine.drain();
    // e0..e2 see at most 3 identities in [t − W, t]; from e3 on the key is hot at the event.
    expect(groups(out)).toEqual([['e0', 'e1', 'e2'], ['e3'], ['e4'], ['e5']]);
    const e5 = out.find((version) => version.members.some((member) => member.eventId === 'e5'));
    // The count is the decision's: distinct identities in [t − W, t] at e5 (e0..e5), at e3 (e0..e3).
    expect(e5?.hotKeys).toEqual([{ kind: 'ip', value: `ip:public:${nat}`, distinctIdentities: 6 }]);
    const e3 = out.find((version) => version.members.some((member) => member.eventId === 'e3'));
    expect(e3?.hotKeys).toEqual([{ kind: 'ip', value: `ip:public:${nat}`, distinctIdentities: 4 }]);
    expect(engine.hotKeys()).toEqual([]); // forgotten with the settled state
  });

  it('reports hot keys while their state is held', () => {
    const { engine } = engineWith({ hotKeyDistinctIdentities: 2 });
    for (const event of users(4)) engine.ingest(event);
    engine.ingest(ev('later', 20)); // moves the watermark past the four events
    expect(engine.hotKeys()).toEqual([
      expect.objectContaining({ key: { kind: 'ip', value: `ip:public:${nat}` }, distinctIdentities: 4 }),
    ]);
  });

  it('lets the key cool down once the identities leave the window', () => {
    const late = [ev('x', 200, { ips: [actor(nat)], ids: [person('a')] }), ev('y', 201, { ips: [actor(nat)], ids: [person('b')] })];
    const out = runAll([...users(6), ...late], { hotKeyDistinctIdentities: 3 });
    expect(groups(out)).toContainEqual(['x', 'y']);
  });
});

describe('lone events', () => {
  it('makes a lone event an incident whose id derives from its eventId', () => {
    const out = runAll([ev('qradar:offense:1', 0)]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      incidentId: incidentIdFor('qradar:offense:1'),
      version: 1,
      status: 'settled',
      members: [expect.objectContaining({ eventId: 'qradar:offense:1' })],
      links: [],
      absorbed: [],
      mergedInto: null,
      late: false,
    });
  });
});
