import { findingRawSchema } from '@seam/schemas';
import { describe, expect, it } from 'vitest';
import { asffCurrentGeneration, asffReference, cloudTrailReferenceRecords, fixture, toPascal, type Json } from '../../test/fixtures';
import { advanceWatermark, asffFindingSchema, cloudTrailRecordSchema, eventBridgeToRaw, isAfterWatermark, parseGuardDuty } from './aws-shapes';

const envelope = (detailType: string, detail: unknown): Json => ({
  version: '0',
  id: 'e1',
  'detail-type': detailType,
  source: 'aws.test',
  account: '123456789012',
  time: '2024-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

describe('ASFF', () => {
  it('accepts the reference finding and both ProductFields generations', () => {
    expect(asffFindingSchema.safeParse(asffReference()).success).toBe(true);
    expect(asffFindingSchema.safeParse(asffCurrentGeneration()).success).toBe(true);
    expect(asffFindingSchema.safeParse({ ...asffReference(), ProductFields: undefined }).success).toBe(true);
  });

  it('refuses a finding without Id or with a bad UpdatedAt', () => {
    const { Id: _id, ...noId } = asffReference();
    expect(asffFindingSchema.safeParse(noId).success).toBe(false);
    expect(asffFindingSchema.safeParse({ ...asffReference(), UpdatedAt: 'yesterday' }).success).toBe(false);
  });
});

describe('GuardDuty', () => {
  const camel = fixture<Json>('guardduty_eventbridge_camel.json')['detail'];
  it('accepts camelCase (EventBridge) and PascalCase (API) with the same core', () => {
    const a = parseGuardDuty(camel);
    const b = parseGuardDuty(toPascal(camel));
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) {
      expect(b.core).toEqual(a.core);
      expect(a.core.id).toBe('46ba0ac2845071e23ccdeb2ae03bfdea');
    }
  });
  it('explains what is missing', () => {
    const r = parseGuardDuty({ id: 'x' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/accountId/);
  });
});

describe('CloudTrail', () => {
  it('accepts every reference record', () => {
    for (const { records } of cloudTrailReferenceRecords()) for (const r of records) expect(cloudTrailRecordSchema.safeParse(r).success).toBe(true);
  });
});

describe('eventBridgeToRaw', () => {
  it('GuardDuty Finding: one guardduty_finding keyed by the bare id, payload = detail', () => {
    const event = fixture<Json>('guardduty_eventbridge_camel.json');
    const r = eventBridgeToRaw(event, 1000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.records).toHaveLength(1);
    const rec = findingRawSchema.parse(r.records[0]);
    expect(rec).toMatchObject({ sourceId: '46ba0ac2845071e23ccdeb2ae03bfdea', kind: 'guardduty_finding', arrival: 'eventbridge', receivedAt: 1000, sourceUpdatedAt: Date.parse('2020-09-30T12:14:00.206Z') });
    expect(JSON.parse(rec.payload)).toEqual(event['detail']);
  });

  it('Security Hub Findings - Imported: one record per finding keyed by ASFF Id', () => {
    const findings = [asffReference(), asffCurrentGeneration()];
    const r = eventBridgeToRaw(envelope('Security Hub Findings - Imported', { findings }), 1);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.records.map((x) => x.sourceId)).toEqual(findings.map((f) => f['Id']));
    expect(r.records.map((x) => JSON.parse(x.payload) as unknown)).toEqual(findings);
    expect(r.records.every((x) => x.kind === 'securityhub_finding')).toBe(true);
  });

  it('CloudTrail via EventBridge: keyed by eventID', () => {
    const record = cloudTrailReferenceRecords()[2]?.records[0];
    const r = eventBridgeToRaw(envelope('AWS API Call via CloudTrail', record), 1);
    expect(r.ok && r.records[0]?.sourceId).toBe(record?.['eventID']);
  });

  it('gives a reason for invalid events', () => {
    const cases: [unknown, RegExp][] = [
      [{}, /detail-type/],
      [envelope('EC2 Instance State-change Notification', {}), /unsupported detail-type/],
      [envelope('Security Hub Findings - Imported', { findings: [{ Id: 'x' }] }), /findings\[0\].*ProductArn/],
      [envelope('AWS API Call via CloudTrail', { eventName: 'x' }), /eventID/],
      [envelope('GuardDuty Finding', { id: 'x' }), /not a GuardDuty finding/],
    ];
    for (const [body, reason] of cases) {
      const r = eventBridgeToRaw(body, 1);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
  });
});

describe('watermark', () => {
  it('keeps findings after the watermark or unseen at it', () => {
    const seen = new Set(['a']);
    expect(isAfterWatermark(10, 'a', 10, seen)).toBe(false);
    expect(isAfterWatermark(10, 'b', 10, seen)).toBe(true);
    expect(isAfterWatermark(9, 'c', 10, seen)).toBe(false);
    expect(isAfterWatermark(11, 'a', 10, seen)).toBe(true);
    expect(isAfterWatermark(1, 'a', null, seen)).toBe(true);
  });
  it('advances to the highest time and the ids at it', () => {
    const next = advanceWatermark({ watermarkMs: 10, seen: new Set(['a']) }, [
      { id: 'b', updatedAtMs: 10 },
      { id: 'c', updatedAtMs: 12 },
      { id: 'd', updatedAtMs: 12 },
      { id: 'e', updatedAtMs: 11 },
    ]);
    expect(next.watermarkMs).toBe(12);
    expect([...next.seen].sort()).toEqual(['c', 'd']);
    const same = advanceWatermark({ watermarkMs: 10, seen: new Set(['a']) }, [{ id: 'b', updatedAtMs: 10 }]);
    expect([...same.seen].sort()).toEqual(['a', 'b']);
  });
});
