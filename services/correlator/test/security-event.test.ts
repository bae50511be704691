import { incidentSchema, schemas, securityEventSchema, type SecurityEvent } from '@seam/schemas';
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_ID_CHARS, MAX_IDENTITY_CHARS, toCorrelationEvent, toIncidentRecord } from '../src/adapters/security-event';
import { extractKeys, compileKeyPolicy, parseCorrelationConfig } from '../src/domain/index';
import { ev, actor, groups, person, runAll, target, T0 } from './fixtures';

const securityEvent = (overrides: Partial<SecurityEvent> = {}): SecurityEvent =>
  securityEventSchema.parse({
    eventId: 'cloudtrail:abc-123',
    source: 'cloudtrail',
    rawKind: 'cloudtrail_event',
    sourceId: 'abc-123',
    observedAt: T0,
    sourceUpdatedAt: T0,
    ingestedAt: T0 + 5_000,
    title: 'ConsoleLogin',
    description: null,
    category: 'authentication',
    sourceSeverity: 40,
    mitre: [
      { tactic: 'TA0006', technique: 'T1110', name: null },
      { tactic: 'TA0001', technique: null, name: null },
      { tactic: 'TA0006', technique: 'T1078', name: null },
      { tactic: null, technique: 'T9999', name: null },
    ],
    entities: {
      ips: [
        { address: '203.0.113.7', role: 'actor', scope: 'public', namespace: null },
        { address: '10.0.0.5', role: 'target', scope: 'private', namespace: 'vpc-1' },
      ],
      identities: [
        { canonical: 'jdoe@example.com', raw: 'arn:aws:iam::1:user/jdoe', kind: 'iam_user', role: 'actor', resolved: true },
        { canonical: 'AWSServiceRoleForConfig', raw: 'x', kind: 'iam_role_session', role: 'actor', resolved: false },
        { canonical: 'someone', raw: 'someone', kind: 'unknown', role: 'target', resolved: false },
      ],
      hosts: [],
      cloudResources: [],
      accounts: [],
    },
    enrichment: { assets: [], vulns: [], intel: [], missing: [] },
    raw: '{}',
    rawEvents: null,
    ...overrides,
  });

describe('SecurityEvent → CorrelationEvent', () => {
  it('maps ids, time, severity, deduplicated sorted tactics, IPs with namespaces and identity kinds', () => {
    const result = toCorrelationEvent(securityEvent());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event).toEqual({
      eventId: 'cloudtrail:abc-123',
      source: 'cloudtrail',
      observedAt: T0,
      title: 'ConsoleLogin',
      sourceSeverity: 40,
      tactics: ['TA0001', 'TA0006'],
      ips: [
        { address: '203.0.113.7', role: 'actor', scope: 'public', namespace: '' },
        { address: '10.0.0.5', role: 'target', scope: 'private', namespace: 'vpc-1' },
      ],
      identities: [
        { canonical: 'jdoe@example.com', kind: 'iam-user' },
        { canonical: 'AWSServiceRoleForConfig', kind: 'iam-role-session' },
        { canonical: 'someone', kind: 'unknown' },
      ],
    });
    // The domain's key hygiene then applies: the service-linked role is not evidence.
    const keys = extractKeys(result.event, compileKeyPolicy(parseCorrelationConfig()));
    expect([...keys.keys.keys()]).toEqual(['id:jdoe@example.com', 'id:someone', 'ip:public:203.0.113.7', 'ip:vpc-1:10.0.0.5']);
    expect(keys.rejected).toEqual([{ kind: 'identity', raw: 'AWSServiceRoleForConfig', reason: 'service-linked-role' }]);
  });

  it('maps the v2 non-evidence fields onto flagged keys that are kept on the event and never link', () => {
    const v2 = (eventId: string, source: 'cloudtrail' | 'qradar', minute: number): SecurityEvent =>
      securityEvent({
        eventId,
        source,
        rawKind: source === 'qradar' ? 'qradar_offense' : 'cloudtrail_event',
        observedAt: T0 + minute * 60_000,
        entities: {
          ips: [{ address: '198.51.100.4', role: 'actor', scope: 'public', namespace: null, nonEvidence: true, nonEvidenceReason: 'test' }],
          identities: [],
          hosts: [],
          cloudResources: [],
          accounts: [],
          nonEvidenceIps: [{ address: '52.94.0.1', role: 'actor', scope: 'public', namespace: null, nonEvidence: true, nonEvidenceReason: 'aws-service-call' }],
          nonEvidenceIdentities: [
            { canonical: 'config.amazonaws.com-session', raw: 'x', kind: 'iam_role_session', role: 'actor', resolved: false, nonEvidence: true, nonEvidenceReason: 'aws-service' },
          ],
        },
      });
    const mapped = [v2('cloudtrail:a', 'cloudtrail', 0), v2('qradar:offense:1', 'qradar', 1)].map(toCorrelationEvent);
    const events = mapped.flatMap((result) => (result.ok ? [result.event] : []));
    expect(events).toHaveLength(2);
    const [first] = events;
    if (first === undefined) return;
    expect(first.ips).toEqual([
      { address: '198.51.100.4', role: 'actor', scope: 'public', namespace: '', nonEvidence: true },
      { address: '52.94.0.1', role: 'actor', scope: 'public', namespace: '', nonEvidence: true },
    ]);
    expect(first.identities).toEqual([{ canonical: 'config.amazonaws.com-session', kind: 'iam-role-session', servicePrincipal: true }]);
    const keys = extractKeys(first, compileKeyPolicy(parseCorrelationConfig()));
    expect([...keys.keys.keys()]).toEqual([]);
    expect(keys.rejected.map((rejected) => rejected.raw).sort()).toEqual(['198.51.100.4', '52.94.0.1', 'config.amazonaws.com-session']);
    // Both events share every one of those keys, inside the window: still two incidents.
    expect(groups(runAll(events))).toEqual([['cloudtrail:a'], ['qradar:offense:1']]);
    // Without the flags the same two events would link (the assertion above can fail).
    const unflagged = events.map((event) => ({ ...event, ips: event.ips.map(({ nonEvidence: _n, ...ip }) => ip) }));
    expect(groups(runAll(unflagged))).toEqual([['cloudtrail:a', 'qradar:offense:1']]);
  });

  it('refuses an event id or an identity over its bound, with the length in the reason, and an id with NUL', () => {
    const okId = `securityhub:${'a'.repeat(MAX_EVENT_ID_CHARS - 12)}`;
    expect(toCorrelationEvent(securityEvent({ eventId: okId })).ok).toBe(true);
    expect(toCorrelationEvent(securityEvent({ eventId: `${okId}x` }))).toEqual({
      ok: false,
      reason: `eventId is ${MAX_EVENT_ID_CHARS + 1} characters (at most ${MAX_EVENT_ID_CHARS})`,
    });
    const base = securityEvent({});
    const identity = base.entities.identities[0];
    if (identity === undefined) throw new Error('fixture has an identity');
    const withIdentity = (canonical: string, field: 'identities' | 'nonEvidenceIdentities') =>
      securityEvent({ entities: { ...base.entities, [field]: [{ ...identity, canonical }] } });
    expect(toCorrelationEvent(withIdentity('x'.repeat(MAX_IDENTITY_CHARS), 'identities')).ok).toBe(true);
    expect(toCorrelationEvent(withIdentity('x'.repeat(MAX_IDENTITY_CHARS + 1), 'identities'))).toEqual({
      ok: false,
      reason: `an identity is ${MAX_IDENTITY_CHARS + 1} characters (at most ${MAX_IDENTITY_CHARS})`,
    });
    expect(toCorrelationEvent(withIdentity('x'.repeat(MAX_IDENTITY_CHARS + 1), 'nonEvidenceIdentities')).ok).toBe(false);
    expect(toCorrelationEvent(securityEvent({ eventId: 'cloudtrail:a\u0000b' }))).toEqual({ ok: false, reason: 'eventId contains a NUL character' });
  });

  it('rejects an event whose source is unknown (it cannot be correlated)', () => {
    expect(toCorrelationEvent(securityEvent({ source: 'unknown' }))).toEqual({ ok: false, reason: 'source is unknown' });
  });
});

describe('IncidentVersion → Incident record', () => {
  it('produces records valid for the zod schema and the Avro type of `correlated`', () => {
    const versions = runAll(
      [
        ev('q1', 0, { ips: [actor('203.0.113.7')], ids: [person('jdoe')], tactics: ['TA0001'], source: 'qradar' }),
        ev('c1', 10, { ips: [actor('203.0.113.7'), target('10.0.0.9')], ids: [person('jdoe')], source: 'cloudtrail' }),
        ev('g1', 20, { ids: [person('mallory')], source: 'guardduty' }),
      ],
      { hotKeyDistinctIdentities: 1 },
    );
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) {
      const record = toIncidentRecord(version, T0 + 99);
      expect(incidentSchema.parse(record)).toEqual(record);
      expect(schemas.Incident.type.isValid(record)).toBe(true);
      expect(record.updatedAt).toBe(T0 + 99);
      expect(record.members.map((member) => member.eventId)).toEqual(version.members.map((member) => member.eventId));
    }
    const hybrid = versions.find((version) => version.members.length === 2 && version.status === 'settled');
    expect(hybrid && toIncidentRecord(hybrid, 1).sources).toEqual({ cloudtrail: 1, qradar: 1 });
    expect(hybrid?.hybrid).toBe(true);
  });

  it('carries the distinct-identity count of a hot key', () => {
    const nat = '198.51.100.77';
    const events = ['a', 'b', 'c'].map((user, i) => ev(`e${i}`, i, { ips: [actor(nat)], ids: [person(user)] }));
    const hot = runAll(events, { hotKeyDistinctIdentities: 2 }).filter((version) => version.hotKeys.length > 0);
    expect(hot.length).toBeGreaterThan(0);
    for (const version of hot) {
      expect(toIncidentRecord(version, 1).hotKeys).toEqual([{ kind: 'ip', value: `ip:public:${nat}`, distinctIdentities: 3, detectedAt: version.lastSeen }]);
    }
  });

  it('lists the members of a late incident with their arrival time', () => {
    const late = runAll([ev('a', 100), ev('b', 0)]).find((version) => version.late);
    expect(late).toBeDefined();
    if (late === undefined) return;
    expect(toIncidentRecord(late, 777).late).toEqual([{ eventId: 'b', observedAt: late.firstSeen, arrivedAt: 777 }]);
  });
});
