import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, decodeDlqMessage, dlqHeaders } from '../src/records/dlq';
import { schemas } from '../src/catalogue';

describe('DLQ headers', () => {
  const meta = {
    errorClass: 'ValidationError', errorReason: 'riskScore: too big', sourceTopic: 'verdicts',
    sourcePartition: 4, sourceOffset: 981_223, stage: 'actuator', failedAt: 1_722_588_804_000,
  };

  it('uses the seam.* names', () => {
    expect(Object.values(DLQ_HEADERS).sort()).toEqual([
      'seam.error.class', 'seam.error.reason', 'seam.failed.at', 'seam.source.offset',
      'seam.source.partition', 'seam.source.topic', 'seam.stage',
    ]);
  });

  it('round-trips metadata through headers, keeping the original bytes and other headers', () => {
    const value = Buffer.from([0, 0, 0, 0, 1, 2, 3]);
    const headers = { ...dlqHeaders(meta), traceparent: Buffer.from('00-abc-def-01') };
    const record = decodeDlqMessage({ key: Buffer.from('inc-1'), value, headers });
    expect(record).toMatchObject(meta);
    expect(record.value).toEqual(value);
    expect(record.headers).toEqual({ traceparent: '00-abc-def-01' });
    expect(schemas.DlqRecord.type.isValid(record)).toBe(true);
  });

  it('refuses a message without Seam headers', () => {
    expect(() => decodeDlqMessage({ key: null, value: Buffer.from('x'), headers: {} })).toThrow();
    const bad = { ...dlqHeaders(meta), [DLQ_HEADERS.sourceOffset]: '-1' };
    expect(() => decodeDlqMessage({ key: null, value: null, headers: bad })).toThrow();
  });
});
