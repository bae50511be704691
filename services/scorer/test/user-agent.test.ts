import { describe, expect, it } from 'vitest';
import { userAgentOf } from '../src/domain/index';
import { event } from './fixtures';

describe('userAgentOf', () => {
  it('reads CloudTrail userAgent and GuardDuty API-call user agents from raw', () => {
    expect(userAgentOf(event({ source: 'cloudtrail', raw: JSON.stringify({ userAgent: 'aws-cli/2.15.0' }) }))).toBe('aws-cli/2.15.0');
    const finding = { service: { action: { awsApiCallAction: { userAgent: 'Boto3/1.34' } } } };
    expect(userAgentOf(event({ source: 'guardduty', raw: JSON.stringify(finding) }))).toBe('Boto3/1.34');
  });
  it('returns null for other sources, broken JSON and non-string values', () => {
    expect(userAgentOf(event({ source: 'qradar', raw: JSON.stringify({ userAgent: 'x' }) }))).toBeNull();
    expect(userAgentOf(event({ source: 'cloudtrail', raw: '{not json' }))).toBeNull();
    expect(userAgentOf(event({ source: 'cloudtrail', raw: JSON.stringify({ userAgent: 42 }) }))).toBeNull();
    expect(userAgentOf(event({ source: 'cloudtrail', raw: '[]' }))).toBeNull();
  });
});
