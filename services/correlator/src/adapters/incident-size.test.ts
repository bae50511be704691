import fc from 'fast-check';
import { incidentSchema, schemas, type Incident } from '@seam/schemas';
import { describe, expect, it } from 'vitest';
import { busyRoleVersion } from '../../test/fixtures';
import { cutMemberTitle, fitIncidentRecord, incidentSizeBound, MEMBER_TITLE_MAX_BYTES } from './incident-size';
import { toIncidentRecord } from './security-event';

const avroBytes = (record: Incident): number => schemas.Incident.type.toBuffer(record).length;

/** Text with multi-byte characters too (UTF-8 is what the bound must count). */
const textArb = fc.string({ unit: fc.constantFrom('a', 'Z', '7', ':', 'é', '漢', '😀', ' '), maxLength: 120 });

const incidentArb: fc.Arbitrary<Incident> = fc
  .record({
    ids: fc.uniqueArray(textArb.filter((t) => t.length > 0), { minLength: 1, maxLength: 60 }),
    // Now and then a title over MEMBER_TITLE_MAX_BYTES (free text: an offense description).
    titles: fc.array(fc.oneof({ arbitrary: textArb, weight: 4 }, { arbitrary: fc.string({ unit: fc.constantFrom('a', 'é', '😀'), minLength: 300, maxLength: 1_500 }), weight: 1 }), { minLength: 1, maxLength: 5 }),
    keyValues: fc.uniqueArray(textArb.filter((t) => t.length > 0), { maxLength: 40 }),
    linkSeeds: fc.array(fc.tuple(fc.nat(), fc.nat(), textArb.filter((t) => t.length > 0)), { maxLength: 80 }),
    tactics: fc.array(textArb, { maxLength: 4 }),
    absorbed: fc.array(textArb, { maxLength: 40 }),
    hotKeyValues: fc.uniqueArray(textArb.filter((t) => t.length > 0), { maxLength: 30 }),
    late: fc.boolean(),
  })
  .map(({ ids, titles, keyValues, linkSeeds, tactics, absorbed, hotKeyValues, late }) =>
    incidentSchema.parse({
      incidentId: 'inc-0123456789abcdef',
      version: 3,
      status: 'open',
      firstSeen: 1,
      lastSeen: 2,
      updatedAt: 3,
      members: ids.map((eventId, i) => ({ eventId, source: 'cloudtrail', observedAt: 1_700_000_000_000 + i, title: titles[i % titles.length] ?? '', sourceSeverity: 50 })),
      keys: keyValues.map((value, i) => ({ kind: i % 2 === 0 ? 'ip' : 'identity', value })),
      links: linkSeeds.map(([a, b, value]) => ({ from: ids[a % ids.length] ?? '', to: ids[b % ids.length] ?? '', via: 'identity', value })),
      hybrid: false,
      sources: { cloudtrail: ids.length },
      tactics,
      absorbed,
      mergedInto: null,
      hotKeys: hotKeyValues.map((value, i) => ({ kind: 'ip', value, distinctIdentities: 4 + i, detectedAt: 1_700_000_000_000 + i })),
      late: late ? ids.map((eventId) => ({ eventId, observedAt: 1, arrivedAt: 2 })) : [],
    }),
  );

describe('incident record size', () => {
  it('the bound is never below the Avro encoding', () => {
    fc.assert(
      fc.property(incidentArb, (record) => {
        expect(incidentSizeBound(record)).toBeGreaterThanOrEqual(avroBytes(record));
      }),
    );
  });

  it('counts UTF-8 bytes, not UTF-16 units: a title of 2,000 emoji is 8,000 bytes', () => {
    const record = incidentSchema.parse({
      incidentId: 'inc-1', version: 1, status: 'open', firstSeen: 1, lastSeen: 1, updatedAt: 1,
      members: [{ eventId: 'qradar:offense:1', source: 'qradar', observedAt: 1, title: '😀'.repeat(2_000), sourceSeverity: 1 }],
      keys: [], links: [], hybrid: false, sources: { qradar: 1 }, tactics: [], absorbed: [], mergedInto: null, hotKeys: [], late: [],
    });
    expect(avroBytes(record)).toBeGreaterThan(8_000);
    expect(incidentSizeBound(record)).toBeGreaterThanOrEqual(avroBytes(record));
    expect(incidentSizeBound(record)).toBeLessThan(avroBytes(record) + 200);
  });

  it('a record within the budget is returned as it is', () => {
    fc.assert(
      fc.property(incidentArb, (record) => {
        const fitted = fitIncidentRecord(record, incidentSizeBound(record));
        expect(fitted).toEqual({ record, fits: true, titlesCut: 0 });
        expect(fitted.record).toBe(record);
      }),
    );
  });

  it('over the budget: fits, lists the earliest and latest members, only links between listed members, a prefix of the keys, and counts what it left out', () => {
    fc.assert(
      fc.property(incidentArb, fc.double({ min: 0.05, max: 0.95, noNaN: true }), (whole, share) => {
        const budget = Math.floor(incidentSizeBound(whole) * share);
        const { record: cut, fits, titlesCut } = fitIncidentRecord(whole, budget);
        // Long titles are cut first: the members below are the whole record's with those titles cut.
        const record = { ...whole, members: whole.members.map((member) => ({ ...member, title: cutMemberTitle(member.title) })) };
        const original = new Map(whole.members.map((member) => [member.eventId, member.title]));
        expect(titlesCut).toBe(cut.members.filter((member) => member.title !== original.get(member.eventId)).length);
        for (const member of cut.members) expect(Buffer.byteLength(member.title, 'utf8')).toBeLessThanOrEqual(MEMBER_TITLE_MAX_BYTES + 40);
        expect(incidentSchema.parse(cut)).toEqual(cut);
        if (fits) {
          expect(incidentSizeBound(cut)).toBeLessThanOrEqual(budget);
          expect(avroBytes(cut)).toBeLessThanOrEqual(budget);
        }
        expect(cut.members.length).toBeGreaterThanOrEqual(1);
        expect(cut.members[0]).toEqual(record.members[0]);
        // Listed members: a head and a tail of the canonical order.
        const head = cut.members.findIndex((member, i) => member.eventId !== record.members[i]?.eventId);
        if (head >= 0) expect(cut.members.slice(head)).toEqual(record.members.slice(record.members.length - (cut.members.length - head)));
        const listed = new Set(cut.members.map((member) => member.eventId));
        expect(cut.links).toEqual(record.links.filter((link) => listed.has(link.from) && listed.has(link.to)));
        expect(cut.keys).toEqual(record.keys.slice(0, cut.keys.length));
        expect(cut.absorbed).toEqual(record.absorbed.slice(0, cut.absorbed.length));
        expect(cut.late).toEqual(record.late.filter((late) => listed.has(late.eventId)));
        expect(cut.hotKeys).toEqual(record.hotKeys.slice(0, cut.hotKeys.length));
        expect(cut.tactics).toEqual(record.tactics.slice(0, cut.tactics.length));
        expect([cut.membersOmitted, cut.linksOmitted, cut.keysOmitted, cut.absorbedOmitted, cut.hotKeysOmitted, cut.tacticsOmitted]).toEqual([
          record.members.length - cut.members.length,
          record.links.length - cut.links.length,
          record.keys.length - cut.keys.length,
          record.absorbed.length - cut.absorbed.length,
          record.hotKeys.length - cut.hotKeys.length,
          record.tactics.length - cut.tactics.length,
        ]);
        expect(cut.sources).toEqual(record.sources);
      }),
    );
  });

  it('an identity active all day: 5,000 members are ~1.2 MB of Avro, cut to the budget with the counts', () => {
    const whole = toIncidentRecord(busyRoleVersion(5_000), 0);
    expect(avroBytes(whole)).toBeGreaterThan(1_048_576);
    const { record, fits } = fitIncidentRecord(whole, 900_000);
    expect(fits).toBe(true);
    expect(avroBytes(record)).toBeLessThanOrEqual(900_000);
    expect(record.membersOmitted).toBeGreaterThan(0);
    expect(record.members.length + record.membersOmitted).toBe(5_000);
    expect(record.sources).toEqual({ cloudtrail: 5_000 });
    expect(record.members.at(-1)?.eventId).toBe('cloudtrail:0123456789abcdef0123456789abcdef-4999');
  });

  it('50,000 distinct hot keys (a botnet behind many NAT egresses): the hot keys are cut to their share and the record fits', () => {
    // Before Incident v3 the hot keys were never cut: this record stayed over the budget, its
    // produce failed, and the kit sent the batch's input to the DLQ with every version riding on it.
    const whole = toIncidentRecord(busyRoleVersion(200), 0);
    const hotKeys = Array.from({ length: 50_000 }, (_, i) => ({ kind: 'ip' as const, value: `198.51.${Math.floor(i / 250)}.${i % 250}`, distinctIdentities: 9, detectedAt: 1_700_000_000_000 + i }));
    const big = { ...whole, hotKeys };
    expect(avroBytes(big)).toBeGreaterThan(900_000);
    const { record, fits } = fitIncidentRecord(big, 900_000);
    expect(fits).toBe(true);
    expect(avroBytes(record)).toBeLessThanOrEqual(900_000);
    expect(record.hotKeys).toEqual(hotKeys.slice(0, record.hotKeys.length));
    expect(record.hotKeys.length).toBeGreaterThan(1_000);
    expect(record.hotKeys.length + record.hotKeysOmitted).toBe(50_000);
    // The hot keys take at most their share: the 200 members are all still listed.
    expect([record.members.length, record.membersOmitted]).toEqual([200, 0]);
  });

  it('a title is cut at a code point, within the limit, and says how many bytes it left out', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'é', '漢', '😀'), maxLength: 3_000 }), (title) => {
        const cut = cutMemberTitle(title);
        const bytes = Buffer.byteLength(title, 'utf8');
        if (bytes <= MEMBER_TITLE_MAX_BYTES) {
          expect(cut).toBe(title);
          return;
        }
        const marker = / \[title cut: (\d+) more bytes\]$/.exec(cut);
        expect(marker).not.toBeNull();
        const kept = cut.slice(0, marker?.index);
        expect(title.startsWith(kept)).toBe(true);
        expect(kept).not.toMatch(/[\uD800-\uDBFF]$/);
        expect(Buffer.byteLength(kept, 'utf8')).toBeLessThanOrEqual(MEMBER_TITLE_MAX_BYTES);
        expect(Buffer.byteLength(kept, 'utf8')).toBeGreaterThan(MEMBER_TITLE_MAX_BYTES - 4);
        expect(Number(marker?.[1])).toBe(bytes - Buffer.byteLength(kept, 'utf8'));
      }),
    );
  });

  it('one member with a title near 1 MB: the title is cut and the record fits (it used to stay over the limit and stop the stage)', () => {
    const version = busyRoleVersion(1);
    const whole = toIncidentRecord(version, 0);
    const huge = { ...whole, members: whole.members.map((member) => ({ ...member, title: 'x'.repeat(950_000) })) };
    const { record, fits, titlesCut } = fitIncidentRecord(huge, 900_000);
    expect(fits).toBe(true);
    expect(titlesCut).toBe(1);
    expect(avroBytes(record)).toBeLessThan(2_000);
    expect(record.members[0]?.title).toBe(`${'x'.repeat(MEMBER_TITLE_MAX_BYTES)} [title cut: ${950_000 - MEMBER_TITLE_MAX_BYTES} more bytes]`);
    expect(record.membersOmitted).toBe(0);
  });

  it('a long title does not crowd out the other members: 3,000 members and one 800 KB title all fit once the title is cut', () => {
    const whole = toIncidentRecord(busyRoleVersion(3_000), 0);
    const members = whole.members.map((member, i) => (i === 1 ? { ...member, title: '漢'.repeat(270_000) } : member));
    const { record, fits, titlesCut } = fitIncidentRecord({ ...whole, members }, 900_000);
    expect([fits, titlesCut, record.membersOmitted, record.members.length]).toEqual([true, 1, 0, 3_000]);
    expect(record.members.filter((member, i) => member !== members[i]).map((member) => member.eventId)).toEqual([members[1]?.eventId]);
  });
});
