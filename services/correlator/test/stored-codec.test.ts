import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvent, decodeOccurrence, encodeEvent, encodeOccurrence, type StoredOccurrence } from '../src/adapters/stored-codec';
import { SOURCE_KINDS, type CorrelationEvent, type EventIdentity, type EventIp } from '../src/domain/index';

const text = fc.string({ unit: 'binary', maxLength: 24 });
const ip: fc.Arbitrary<EventIp> = fc
  .record({ address: text, role: fc.constantFrom('actor' as const, 'target' as const), scope: fc.constantFrom('public' as const, 'private' as const), namespace: text })
  .chain((base) => fc.option(fc.boolean(), { nil: undefined }).map((nonEvidence): EventIp => (nonEvidence === undefined ? base : { ...base, nonEvidence })));
const identity: fc.Arbitrary<EventIdentity> = fc
  .record({ canonical: text, kind: fc.constantFrom('ad' as const, 'iam-user' as const, 'iam-role-session' as const, 'email' as const, 'root' as const, 'unknown' as const) })
  .chain((base) => fc.option(fc.boolean(), { nil: undefined }).map((sp): EventIdentity => (sp === undefined ? base : { ...base, servicePrincipal: sp })));
const event: fc.Arbitrary<CorrelationEvent> = fc.record({
  eventId: text,
  source: fc.constantFrom(...SOURCE_KINDS),
  observedAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  title: fc.string({ unit: 'binary', maxLength: 200 }),
  sourceSeverity: fc.integer({ min: 0, max: 100 }),
  tactics: fc.array(text, { maxLength: 4 }),
  ips: fc.array(ip, { maxLength: 4 }),
  identities: fc.array(identity, { maxLength: 4 }),
});

describe('stored encodings of the Redis state', () => {
  it('an event round-trips exactly, optional flags absent or false alike, and re-encodes to the same text', () => {
    fc.assert(
      fc.property(event, (original) => {
        const stored = encodeEvent(original);
        const decoded = decodeEvent(original.eventId, stored);
        // fast-check's records have a null prototype: compare with a plain copy (no key is undefined)
        expect(decoded).toStrictEqual(JSON.parse(JSON.stringify(original)));
        expect(encodeEvent(decoded)).toBe(stored);
      }),
    );
  });

  it('an occurrence round-trips, identities with newlines or a leading [ included; identity keys keep no identities', () => {
    const occurrence: fc.Arbitrary<StoredOccurrence> = fc.record({
      kind: fc.constantFrom('ip' as const, 'identity' as const),
      actor: fc.boolean(),
      target: fc.boolean(),
      identities: fc.array(fc.oneof(text, fc.constantFrom('[x', 'a\nb', '', '[]', '\n')), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(occurrence, (original) => {
        const decoded = decodeOccurrence(encodeOccurrence(original));
        const plain = JSON.parse(JSON.stringify(original)) as StoredOccurrence;
        expect(decoded).toStrictEqual(plain.kind === 'ip' ? plain : { ...plain, identities: [] });
      }),
    );
  });

  it('an IP occurrence of a typical event fits a listpack value (<= 64 bytes); a short event is far below its JSON', () => {
    expect(encodeOccurrence({ kind: 'ip', actor: true, target: false, identities: ['id:alice@example.com'] })).toBe('i10id:alice@example.com');
    expect(encodeOccurrence({ kind: 'identity', actor: true, target: true, identities: ['id:x'] })).toBe('d11');
    // edge cases found by the property: one empty identity is not "no identities"
    for (const identities of [[''], ['[a'], ['a\nb', 'c'], []]) {
      expect(decodeOccurrence(encodeOccurrence({ kind: 'ip', actor: false, target: true, identities })).identities).toEqual(identities);
    }
    const sample: CorrelationEvent = {
      eventId: 'cloudtrail:1',
      source: 'cloudtrail',
      observedAt: 1_767_225_600_000,
      title: 'ConsoleLogin',
      sourceSeverity: 40,
      tactics: ['TA0001'],
      ips: [{ address: '203.0.113.7', role: 'actor', scope: 'public', namespace: '' }],
      identities: [{ canonical: 'alice', kind: 'ad' }],
    };
    expect(encodeEvent(sample).length).toBeLessThan(JSON.stringify(sample).length * 0.5);
  });

  it('unreadable stored text is a clear error, not a wrong event', () => {
    expect(() => decodeEvent('x', '{"eventId":"x"}')).toThrow(/stored event x is not readable/);
    expect(() => decodeOccurrence('{"kind":"ip"}')).toThrow(/stored occurrence is not readable/);
  });
});
