import { describe, expect, it } from 'vitest';
import type { AsffFinding } from './asff-fields';
import { compileFilters, pageFindings } from './get-findings';

const finding = (id: string, updatedAt: string, extra: Partial<AsffFinding> = {}): AsffFinding => ({
  Id: id,
  ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty',
  UpdatedAt: updatedAt,
  Severity: { Label: 'MEDIUM' },
  Workflow: { Status: 'NEW' },
  RecordState: 'ACTIVE',
  Resources: [{ Type: 'AwsEc2Instance', Id: 'arn:aws:ec2:us-east-1:1:instance/i-1' }],
  ...extra,
});
const now = Date.parse('2024-06-01T00:00:00Z');

describe('compileFilters', () => {
  const f = finding('a-1', '2024-05-01T10:00:00Z');

  it('joins positive comparisons on a field by OR and negative ones by AND', () => {
    expect(compileFilters({ Id: [{ Value: 'zz', Comparison: 'EQUALS' }, { Value: 'a-', Comparison: 'PREFIX' }] }, now)(f)).toBe(true);
    expect(compileFilters({ Id: [{ Value: 'a-', Comparison: 'PREFIX' }, { Value: 'a-1', Comparison: 'NOT_EQUALS' }] }, now)(f)).toBe(false);
    expect(compileFilters({ Id: [{ Value: 'b', Comparison: 'PREFIX_NOT_EQUALS' }, { Value: 'c', Comparison: 'NOT_CONTAINS' }] }, now)(f)).toBe(true);
  });

  it('is case sensitive and matches any value of multi-valued attributes', () => {
    expect(compileFilters({ SeverityLabel: [{ Value: 'medium', Comparison: 'EQUALS' }] }, now)(f)).toBe(false);
    expect(compileFilters({ ResourceType: [{ Value: 'AwsEc2', Comparison: 'PREFIX' }] }, now)(f)).toBe(true);
  });

  it('applies DateFilter Start/End inclusively and DateRange in days back from now', () => {
    expect(compileFilters({ UpdatedAt: [{ Start: '2024-05-01T10:00:00Z', End: '2024-05-01T10:00:00Z' }] }, now)(f)).toBe(true);
    expect(compileFilters({ UpdatedAt: [{ Start: '2024-05-01T10:00:01Z' }] }, now)(f)).toBe(false);
    expect(compileFilters({ UpdatedAt: [{ DateRange: { Value: 31, Unit: 'DAYS' } }] }, now)(f)).toBe(true);
    expect(compileFilters({ UpdatedAt: [{ DateRange: { Value: 30, Unit: 'DAYS' } }] }, now)(f)).toBe(false);
  });

  it('refuses unsupported fields, bad combinations and malformed filters', () => {
    expect(() => compileFilters({ NetworkSourceIpV4: [{ Cidr: '10.0.0.0/8' }] }, now)).toThrow(expect.objectContaining({ code: 'InvalidInputException' }));
    expect(() => compileFilters({ Id: [{ Value: 'a', Comparison: 'EQUALS' }, { Value: 'b', Comparison: 'NOT_EQUALS' }] }, now)).toThrow(/EQUALS/);
    expect(() => compileFilters({ Id: [{ Value: 'a', Comparison: 'LIKE' }] }, now)).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => compileFilters({ UpdatedAt: [{ Start: 'yesterday' }] }, now)).toThrow(/ISO 8601/);
  });
});

describe('pageFindings', () => {
  const all = [finding('c', '2024-05-01T10:00:00Z'), finding('a', '2024-05-01T10:00:00Z'), finding('b', '2024-05-02T10:00:00Z'), finding('d', '2024-04-01T10:00:00Z')];

  it('orders by UpdatedAt descending by default, ties by ProductArn then Id', () => {
    expect(pageFindings(all, {}, now).Findings.map((f) => f['Id'])).toEqual(['b', 'a', 'c', 'd']);
  });

  it('pages with a keyset token that is bound to its query', () => {
    const first = pageFindings(all, { MaxResults: 2, SortCriteria: [{ Field: 'UpdatedAt', SortOrder: 'asc' }] }, now);
    expect(first.Findings.map((f) => f['Id'])).toEqual(['d', 'a']);
    expect(first.NextToken).toBeDefined();
    const second = pageFindings(all, { MaxResults: 2, SortCriteria: [{ Field: 'UpdatedAt', SortOrder: 'asc' }], NextToken: first.NextToken ?? '' }, now);
    expect(second.Findings.map((f) => f['Id'])).toEqual(['c', 'b']);
    expect(second.NextToken).toBeUndefined();
    expect(() => pageFindings(all, { MaxResults: 2, NextToken: first.NextToken ?? '' }, now)).toThrow(/NextToken/);
    expect(() => pageFindings(all, { NextToken: 'garbage' }, now)).toThrow(/NextToken/);
  });

  it('returns copies', () => {
    const page = pageFindings(all, { MaxResults: 1 }, now);
    (page.Findings[0] as Record<string, unknown>)['Id'] = 'changed';
    expect(all.map((f) => f['Id'])).not.toContain('changed');
  });
});
