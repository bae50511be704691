import { Writable } from 'node:stream';
import { createLogger, type RedisClient } from '@seam/kit';
import { describe, expect, it } from 'vitest';
import { decodeStoredValue, encodeStoredValue, keySlot, LocalEventStore, mgetBySlot, RedisEventStore } from '../src/adapters/event-store';
import { RedisGuard } from '../src/adapters/redis-cache';
import { compactEvent, eventOfRecord, parseEventRecord, type EventRecord } from '../src/domain/event-record';
import { scoreBaseline } from '../src/domain/index';
import { actorIdentity, actorIp, asset, defaultModel, event, factorNamed, incidentOf, STAMP, T0, targetIp } from './fixtures';

/** The compact member-event record: round trip, size cap, corrupted values, the store's read side. */

const rich = () => event({
  source: 'cloudtrail',
  sourceSeverity: 55,
  title: 'ConsoleLogin without MFA',
  mitre: [{ tactic: 'TA0001', technique: 'T1078', name: 'Valid Accounts' }, { tactic: 'Credential Access', technique: null, name: null }],
  entities: {
    ips: [actorIp('203.0.113.7'), targetIp('10.1.2.3')],
    identities: [{ ...actorIdentity('alice@corp.example'), privileged: true, department: 'Finance' }],
    hosts: [{ name: 'db-01.corp.example', role: 'target' }],
    cloudResources: ['arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc1234def567890'],
    accounts: ['123456789012'],
  },
  enrichment: {
    assets: [asset('10.1.2.3', 5, { internetFacing: true, supportGroup: 'DBA', owner: 'dba-lead@corp.example' })],
    vulns: [{ cve: 'CVE-2024-1234', cvss: 9.8, exploitAvailable: true, host: '10.1.2.3' }],
    intel: [{ indicator: '203.0.113.7', verdict: 'malicious', score: 90, source: 'feed', tags: ['c2'] }],
    missing: ['qradar-addresses'],
  },
  userAgent: 'aws-cli/2.15.0',
  errorCode: 'AccessDenied',
  raw: JSON.stringify({ huge: 'x'.repeat(50_000) }),
});

describe('compact event record', () => {
  it('round-trips through its JSON and scores exactly like the full event', () => {
    const full = rich();
    const compacted = compactEvent(full);
    expect(compacted).not.toBeNull();
    if (compacted === null) return;
    expect(compacted.record.truncated).toBe(false);
    expect(Buffer.byteLength(compacted.text)).toBeLessThan(4_096); // the 50 kB raw payload is not kept
    const parsed = parseEventRecord(compacted.text, full.eventId);
    expect(parsed).toEqual(compacted.record);
    const back = eventOfRecord(parsed as EventRecord);
    expect(back.userAgent).toBe('aws-cli/2.15.0');
    expect(back.errorCode).toBe('AccessDenied');
    expect(back.entities.identities[0]).toMatchObject({ privileged: true, department: 'Finance', resolved: true });
    const incident = incidentOf([full]);
    const fromFull = scoreBaseline({ incident, events: [full] }, defaultModel, STAMP);
    const fromRecord = scoreBaseline({ incident, events: [back] }, defaultModel, STAMP);
    expect(fromRecord.factors).toEqual(fromFull.factors);
    expect(fromRecord.riskScore).toBe(fromFull.riskScore);
    expect(fromRecord.recommendedActions).toEqual(fromFull.recommendedActions);
    for (const name of ['asset-criticality', 'exploitable-vulnerability', 'threat-intel', 'privileged-identity', 'internet-exposure', 'tactic-diversity']) {
      expect(factorNamed(fromRecord, name), name).toBeDefined();
    }
    // Without the record the same incident scores lower and names the member as unavailable.
    const summaryOnly = scoreBaseline({ incident, events: [] }, defaultModel, STAMP);
    expect(summaryOnly.riskScore).toBeLessThan(fromRecord.riskScore);
    expect(factorNamed(summaryOnly, 'incomplete-context')?.detail).toContain(full.eventId);
  });

  it('takes the user agent from raw for v1 events (no userAgent field)', () => {
    const v1 = event({ source: 'cloudtrail', raw: JSON.stringify({ userAgent: 'Boto3/1.34' }) });
    expect(compactEvent(v1)?.record.userAgent).toBe('Boto3/1.34');
  });

  it('stays under the size cap, keeping the most relevant entries, and says it was cut', () => {
    const assets = Array.from({ length: 300 }, (_, i) => asset(`10.9.${Math.floor(i / 250)}.${i % 250}`, i === 217 ? 5 : 1 + (i % 3), { owner: 'o'.repeat(200) }));
    const big = event({
      title: 'T'.repeat(5_000),
      entities: { ips: assets.map((a) => targetIp(a.key)) },
      enrichment: {
        assets,
        intel: [
          ...Array.from({ length: 100 }, (_, i) => ({ indicator: `198.51.100.${i}`, verdict: 'benign' as const, score: 1, source: 'feed', tags: [] })),
          { indicator: '203.0.113.9', verdict: 'malicious' as const, score: 80, source: 'feed', tags: [] },
        ],
      },
    });
    const compacted = compactEvent(big, 8_192);
    expect(compacted).not.toBeNull();
    if (compacted === null) return;
    expect(Buffer.byteLength(compacted.text)).toBeLessThanOrEqual(8_192);
    expect(compacted.record.truncated).toBe(true);
    expect(compacted.record.title).toHaveLength(256);
    expect(compacted.record.assets[0]?.key).toBe('10.9.0.217');
    expect(compacted.record.intel[0]).toMatchObject({ indicator: '203.0.113.9', verdict: 'malicious' });
    expect(parseEventRecord(compacted.text, big.eventId)).toEqual(compacted.record);
    expect(compactEvent(event({ eventId: `qradar:offense:${'9'.repeat(2_000)}` }))).toBeNull();
  });

  it('a corrupted or foreign value is missing, never an exception', () => {
    const good = compactEvent(rich());
    if (good === null) throw new Error('no record');
    const id = good.record.eventId;
    expect(parseEventRecord(good.text, id)).not.toBeNull();
    for (const bad of [
      '', 'not json', 'null', '[]', '{"f":1}', good.text.slice(0, good.text.length - 10),
      good.text.replace('"criticality":5', '"criticality":9'),
      good.text.replace('"f":1', '"f":2'),
      JSON.stringify({ ...good.record, ips: 'x' }),
    ]) {
      expect(parseEventRecord(bad, id), bad.slice(0, 40)).toBeNull();
    }
    expect(parseEventRecord(good.text, 'cloudtrail:someone-else')).toBeNull();
    expect(decodeStoredValue(encodeStoredValue(good), id)).toEqual(good.record);
    expect(decodeStoredValue(good.text, id)).toBeNull();
    expect(decodeStoredValue('1|2', id)).toBeNull();
    expect(decodeStoredValue(`1|2|${'\u0000'.repeat(10)}`, id)).toBeNull();
  });
});

const silentLog = () => createLogger({ service: 'scorer-test', level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** Enough of an ioredis client for the store's read path: MGET over a map, recording the calls. */
function fakeRedis(values: Map<string, string>, isCluster: boolean) {
  const calls: string[][] = [];
  const client = {
    isCluster,
    on: () => client,
    mget: (...keys: string[]) => {
      calls.push(keys);
      if (isCluster && new Set(keys.map(keySlot)).size > 1) return Promise.reject(new Error('CROSSSLOT'));
      return Promise.resolve(keys.map((key) => values.get(key) ?? null));
    },
  };
  return { redis: client as unknown as RedisClient, calls };
}

describe('event store', () => {
  it('computes Redis Cluster hash slots (CRC16/XMODEM, hash tags)', () => {
    expect(keySlot('foo')).toBe(12_182);
    expect(keySlot('123456789')).toBe(0x31c3);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('a{}b')).toBe(keySlot('a{}b'));
    expect(keySlot('{}x')).not.toBe(keySlot(''));
  });

  it('loads valid records only, corrupted values count as missing; one MGET standalone, one per slot on a cluster', async () => {
    const a = compactEvent(rich());
    const b = compactEvent(event({ source: 'qradar', sourceSeverity: 80 }));
    if (a === null || b === null) throw new Error('no record');
    for (const isCluster of [false, true]) {
      const values = new Map<string, string>();
      const { redis, calls } = fakeRedis(values, isCluster);
      const store = new RedisEventStore(new RedisGuard(redis, silentLog(), 1_000, 1_000), 'seam-test:', 60_000);
      values.set(store.key(a.record.eventId), encodeStoredValue(a));
      values.set(store.key(b.record.eventId), encodeStoredValue(b).replace('"sourceSeverity":80', '"sourceSeverity":"x"'));
      values.set(store.key('qradar:offense:garbage'), '\u0000\u0001 not a record');
      const found = await store.load([a.record.eventId, b.record.eventId, 'qradar:offense:garbage', 'cloudtrail:absent', a.record.eventId]);
      expect([...found.keys()]).toEqual([a.record.eventId]);
      expect(found.get(a.record.eventId)).toEqual(a.record);
      if (isCluster) {
        for (const keys of calls) expect(new Set(keys.map(keySlot)).size).toBe(1);
        expect(calls.flat()).toHaveLength(4);
      } else {
        expect(calls).toHaveLength(1);
      }
    }
  });

  it('mgetBySlot keeps the order of the keys', async () => {
    const values = new Map(Array.from({ length: 50 }, (_, i) => [`k${i}`, `v${i}`] as const));
    const { redis } = fakeRedis(values, true);
    const keys = [...values.keys(), 'missing'];
    expect(await mgetBySlot(redis, keys)).toEqual([...values.values(), null]);
  });

  it('the in-process store keeps the newest version of an event and forgets expired ones', async () => {
    let now = T0;
    const store = new LocalEventStore(1_000, 10, () => now);
    const older = compactEvent(event({ eventId: 'qradar:offense:7', sourceUpdatedAt: T0, title: 'first' }));
    const newer = compactEvent(event({ eventId: 'qradar:offense:7', sourceUpdatedAt: T0 + 5, title: 'second' }));
    if (older === null || newer === null) throw new Error('no record');
    await store.put(newer);
    await store.put(older); // a late redelivery of the older version
    expect((await store.load(['qradar:offense:7'])).get('qradar:offense:7')?.title).toBe('second');
    now += 1_001;
    expect((await store.load(['qradar:offense:7'])).size).toBe(0);
  });
});
