import { describe, expect, it } from 'vitest';
import { applyUpdate, labelForNormalized, validateBatchUpdate } from './batch-update';

const id = { Id: 'f-1', ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty' };

describe('validateBatchUpdate', () => {
  it('accepts 1..100 identifiers and refuses 0 or 101', () => {
    expect(validateBatchUpdate({ FindingIdentifiers: [id] }).identifiers).toEqual([id]);
    expect(validateBatchUpdate({ FindingIdentifiers: Array.from({ length: 100 }, () => id) }).identifiers).toHaveLength(100);
    expect(() => validateBatchUpdate({ FindingIdentifiers: [] })).toThrow(expect.objectContaining({ code: 'InvalidInputException', status: 400 }));
    expect(() => validateBatchUpdate({ FindingIdentifiers: Array.from({ length: 101 }, () => id) })).toThrow(/between 1 and 100/);
    expect(() => validateBatchUpdate({})).toThrow(expect.objectContaining({ code: 'InvalidInputException' }));
    expect(() => validateBatchUpdate({ FindingIdentifiers: [{ Id: 'x' }] })).toThrow(/ProductArn/);
  });

  it('requires both Note.Text and Note.UpdatedBy, Text at most 512 characters', () => {
    expect(() => validateBatchUpdate({ FindingIdentifiers: [id], Note: { Text: 'x' } })).toThrow(/UpdatedBy/);
    expect(() => validateBatchUpdate({ FindingIdentifiers: [id], Note: { UpdatedBy: 'seam' } })).toThrow(/Text/);
    expect(() => validateBatchUpdate({ FindingIdentifiers: [id], Note: { Text: '  ', UpdatedBy: 'seam' } })).toThrow(/Text/);
    expect(() => validateBatchUpdate({ FindingIdentifiers: [id], Note: { Text: 'x'.repeat(513), UpdatedBy: 'seam' } })).toThrow(/512/);
    expect(validateBatchUpdate({ FindingIdentifiers: [id], Note: { Text: 'x'.repeat(512), UpdatedBy: 'seam' } }).request.Note?.Text).toHaveLength(512);
  });

  it('refuses values outside the enums and ranges', () => {
    expect(() => validateBatchUpdate({ FindingIdentifiers: [id], Workflow: { Status: 'CLOSED' } })).toThrow(/Workflow/);
    expect(() => validateBatchUpdate({ FindingIdentifiers: [id], Severity: { Label: 'SEVERE' } })).toThrow(/Severity/);
    expect(() => validateBatchUpdate({ FindingIdentifiers: [id], Confidence: 101 })).toThrow(/Confidence/);
    expect(() => validateBatchUpdate({ FindingIdentifiers: [id], VerificationState: 'MAYBE' })).toThrow(/VerificationState/);
    expect(() => validateBatchUpdate({ FindingIdentifiers: [id], Unknown: 1 })).toThrow(expect.objectContaining({ code: 'InvalidInputException' }));
  });
});

describe('applyUpdate', () => {
  const finding = { Id: 'f-1', UpdatedAt: '2020-09-30T12:14:00.206Z', Severity: { Product: 2, Label: 'MEDIUM', Normalized: 40 }, Workflow: { Status: 'NEW' } };

  it('sets Note with UpdatedAt, workflow, severity with the matching Normalized; UpdatedAt untouched', () => {
    const { finding: next, changes } = applyUpdate(finding, { FindingIdentifiers: [], Note: { Text: 't', UpdatedBy: 'u' }, Workflow: { Status: 'RESOLVED' }, Severity: { Label: 'CRITICAL' } }, '2025-01-01T00:00:00.000Z', false);
    expect(next).toMatchObject({ Note: { Text: 't', UpdatedBy: 'u', UpdatedAt: '2025-01-01T00:00:00.000Z' }, Workflow: { Status: 'RESOLVED' }, Severity: { Product: 2, Label: 'CRITICAL', Normalized: 90 }, UpdatedAt: finding.UpdatedAt });
    expect(changes.map((c) => c.field)).toEqual(['Note', 'Workflow', 'Severity']);
    expect(finding.Workflow.Status).toBe('NEW');
  });

  it('derives the label from Normalized, merges UserDefinedFields, bumps UpdatedAt on request', () => {
    const { finding: next } = applyUpdate({ ...finding, UserDefinedFields: { a: '1' } }, { FindingIdentifiers: [], Severity: { Normalized: 75 }, UserDefinedFields: { b: '2' } }, '2025-01-01T00:00:00.000Z', true);
    expect(next).toMatchObject({ Severity: { Label: 'HIGH', Normalized: 75 }, UserDefinedFields: { a: '1', b: '2' }, UpdatedAt: '2025-01-01T00:00:00.000Z' });
    expect([0, 1, 39, 40, 69, 70, 89, 90, 100].map(labelForNormalized)).toEqual(['INFORMATIONAL', 'LOW', 'LOW', 'MEDIUM', 'MEDIUM', 'HIGH', 'HIGH', 'CRITICAL', 'CRITICAL']);
  });
});
