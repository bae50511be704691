import { describe, expect, it } from 'vitest';
import { asffProblem, FindingsStore } from './findings-store';

const productArn = 'arn:aws:securityhub:us-east-1::product/aws/guardduty';
const finding = (id: string) => ({
  SchemaVersion: '2018-10-08',
  Id: id,
  ProductArn: productArn,
  GeneratorId: 'gen',
  AwsAccountId: '193043430472',
  CreatedAt: '2024-05-01T09:00:00Z',
  UpdatedAt: '2024-05-01T10:00:00Z',
  Title: 't',
  Description: 'd',
  Resources: [{ Type: 'AwsEc2Instance', Id: 'i-1' }],
});
const now = new Date('2025-01-01T00:00:00Z');

describe('asffProblem', () => {
  it('accepts a minimal finding and names the first missing or malformed attribute', () => {
    expect(asffProblem(finding('a'))).toBeUndefined();
    const { Resources: _r, ...noResources } = finding('a');
    expect(asffProblem(noResources)).toBe("data should have required property 'Resources'");
    expect(asffProblem({ ...finding('a'), AwsAccountId: '12' })).toMatch(/AwsAccountId/);
    expect(asffProblem({ ...finding('a'), UpdatedAt: 'soon' })).toMatch(/UpdatedAt/);
    expect(asffProblem([])).toBe('data should be object');
  });
});

describe('FindingsStore', () => {
  it('defaults RecordState and Workflow on import', () => {
    const store = new FindingsStore();
    expect(store.import({ Findings: [finding('a')] }, now)).toEqual({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    expect(store.get(productArn, 'a')).toMatchObject({ RecordState: 'ACTIVE', Workflow: { Status: 'NEW' }, WorkflowState: 'NEW' });
  });

  it('keeps customer-updated fields when the provider re-imports the finding', () => {
    const store = new FindingsStore();
    store.import({ Findings: [finding('a')] }, now);
    store.batchUpdate({ FindingIdentifiers: [{ Id: 'a', ProductArn: productArn }], Workflow: { Status: 'NOTIFIED' }, Note: { Text: 'n', UpdatedBy: 'seam' } }, now);
    store.import({ Findings: [{ ...finding('a'), Title: 'new title', UpdatedAt: '2024-06-01T00:00:00Z' }] }, now);
    expect(store.get(productArn, 'a')).toMatchObject({ Title: 'new title', Workflow: { Status: 'NOTIFIED' }, Note: { Text: 'n' } });
    expect(store.history(productArn, 'a').map((h) => h.source)).toEqual(['BatchImportFindings', 'BatchUpdateFindings', 'BatchImportFindings']);
  });

  it('answers unknown, duplicated and injected identifiers as unprocessed', () => {
    const store = new FindingsStore();
    store.import({ Findings: [finding('a'), finding('b')] }, now);
    const out = store.batchUpdate(
      { FindingIdentifiers: ['a', 'b', 'x', 'x'].map((Id) => ({ Id, ProductArn: productArn })), Workflow: { Status: 'RESOLVED' } },
      now,
      new Map([['b', 'InternalFailure']]),
    );
    expect(out.ProcessedFindings).toEqual([{ Id: 'a', ProductArn: productArn }]);
    expect(out.UnprocessedFindings.map((u) => [u.FindingIdentifier.Id, u.ErrorCode, u.ErrorMessage])).toEqual([
      ['b', 'InternalFailure', 'Internal service failure'],
      ['x', 'DuplicatedFindingIdentifier', 'Finding Identifier is duplicated'],
    ]);
    expect(store.get(productArn, 'b')).toMatchObject({ Workflow: { Status: 'NEW' } });
  });

  it('refuses import batches outside 1..100', () => {
    const store = new FindingsStore();
    expect(() => store.import({ Findings: [] }, now)).toThrow(expect.objectContaining({ code: 'InvalidInputException' }));
    expect(() => store.import({ Findings: Array.from({ length: 101 }, (_, i) => finding(String(i))) }, now)).toThrow(/100/);
  });
});
