/** The SecurityEvent v2 fields the enricher fills: non-evidence keys, identity facts, errorCode, userAgent. */
import { schemas, securityEventSchema } from '@seam/schemas';
import { describe, expect, it } from 'vitest';
import { normalizeAsffFinding, normalizeCloudTrailRecord, normalizeGuardDutyFinding, normalizeQradarOffense } from '../src/domain/normalize/index';
import { context, entry, expectOk, fixture } from './helpers';

const ctx = context({
  namespaces: { defaultNamespace: 'corp', ranges: [{ cidr: '10.0.0.0/8', namespace: 'dc-1' }] },
  entries: [
    entry({ canonical: 'jdoe@corp.example', samAccountName: 'jdoe', domain: 'CORP', iamUsers: ['jdoe'], privileged: true, department: 'Platform' }),
    entry({ canonical: 'amy@corp.example', samAccountName: 'amy', iamUsers: ['amy'] }),
  ],
});

const trail = (userIdentity: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventVersion: '1.08', eventID: 'aaaaaaaa-2222-3333-4444-555555555555', eventTime: '2024-05-01T10:00:00Z',
  eventSource: 'ec2.amazonaws.com', eventName: 'DescribeVolumes', awsRegion: 'eu-west-1', sourceIPAddress: '203.0.113.10',
  userAgent: 'aws-cli/2.15.0 Python/3.11', requestParameters: null, responseElements: null, recipientAccountId: '111122223333', userIdentity, ...extra,
});

describe('SecurityEvent v2 fields from the normalizers', () => {
  it('a resolved identity carries the directory privileged flag and department; unresolved ones null', () => {
    const event = expectOk(normalizeCloudTrailRecord(trail({ type: 'IAMUser', userName: 'jdoe', accountId: '111122223333' }, {
      eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', requestParameters: { userName: 'stranger' },
    }), ctx)).event;
    expect(event.entities.identities.map((i) => [i.canonical, i.role, i.privileged, i.department, i.nonEvidence])).toEqual([
      ['jdoe@corp.example', 'actor', true, 'Platform', false],
      ['stranger', 'target', null, null, false],
    ]);
    const amy = expectOk(normalizeCloudTrailRecord(trail({ type: 'IAMUser', userName: 'amy', accountId: '111122223333' }), ctx)).event;
    expect(amy.entities.identities[0]).toMatchObject({ canonical: 'amy@corp.example', privileged: false, department: null });
  });

  it('CloudTrail errorCode and userAgent are on the event; success has errorCode null', () => {
    const denied = expectOk(normalizeCloudTrailRecord(trail({ type: 'IAMUser', userName: 'jdoe' }, { errorCode: 'AccessDenied', errorMessage: 'no' }), ctx));
    expect(denied.event.errorCode).toBe('AccessDenied');
    expect(denied.event.errorCode).toBe(denied.errorCode);
    expect(denied.event.userAgent).toBe('aws-cli/2.15.0 Python/3.11');
    const ok = expectOk(normalizeCloudTrailRecord(trail({ type: 'IAMUser', userName: 'jdoe' }, { userAgent: '' }), ctx)).event;
    expect(ok.errorCode).toBeNull();
    expect(ok.userAgent).toBeNull();
  });

  it('a user agent that is not a string is ignored, never an error (it is only passed on)', () => {
    const event = expectOk(normalizeCloudTrailRecord(trail({ type: 'IAMUser', userName: 'jdoe' }, { userAgent: 42 }), ctx)).event;
    expect(event.userAgent).toBeNull();
  });

  it('a call invokedBy an AWS service: the identity and its IP are non-evidence keys with the reason, not entities', () => {
    const event = expectOk(normalizeCloudTrailRecord(trail(
      { type: 'AssumedRole', principalId: 'AROA1:jdoe', arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/jdoe', accountId: '111122223333', invokedBy: 'cloudformation.amazonaws.com' },
      { sourceIPAddress: '198.51.100.4' },
    ), ctx)).event;
    expect(event.entities.ips).toEqual([]);
    expect(event.entities.identities).toEqual([]);
    expect(event.entities.nonEvidenceIps).toEqual([
      { address: '198.51.100.4', role: 'actor', scope: 'public', namespace: null, nonEvidence: true, nonEvidenceReason: 'aws-service-call' },
    ]);
    expect(event.entities.nonEvidenceIdentities).toEqual([{
      canonical: 'deployer/jdoe', raw: 'Deployer/jdoe', kind: 'iam_role_session', role: 'actor', resolved: false,
      privileged: null, department: null, nonEvidence: true, nonEvidenceReason: 'invoked-by-aws-service',
    }]);
  });

  it('an AWS service caller (type AWSService) is a non-evidence identity', () => {
    const event = expectOk(normalizeCloudTrailRecord(trail({ type: 'AWSService', invokedBy: 'ec2.amazonaws.com' }, { sourceIPAddress: 'ec2.amazonaws.com' }), ctx)).event;
    expect((event.entities.nonEvidenceIdentities ?? []).map((i) => [i.raw, i.nonEvidence, i.nonEvidenceReason])).toEqual([['ec2.amazonaws.com', true, 'aws-service']]);
    expect(event.entities.nonEvidenceIps).toEqual([]); // a host name is no address
  });

  it('loopback and link-local addresses of a QRadar offense are non-evidence IPs; evidence IPs are flagged false', () => {
    const event = expectOk(normalizeQradarOffense({
      payload: { id: 7, description: 'x', start_time: 1_700_000_000_000, last_updated_time: 1_700_000_000_000, severity: 5, magnitude: 5, categories: ['Misc'], offense_type: 0, offense_source: '127.0.0.1' },
      addresses: { source: ['10.0.0.5', '169.254.169.254'], localDestination: [] },
    }, ctx)).event;
    expect(event.entities.ips).toEqual([{ address: '10.0.0.5', role: 'actor', scope: 'private', namespace: 'dc-1', nonEvidence: false, nonEvidenceReason: null }]);
    expect((event.entities.nonEvidenceIps ?? []).map((ip) => `${ip.address} ${ip.role} ${String(ip.nonEvidenceReason)}`).sort()).toEqual(['127.0.0.1 actor loopback', '169.254.169.254 actor link-local']);
  });

  it('GuardDuty AWS_API_CALL user agent, natively and through Security Hub ProductFields', () => {
    const native = {
      schemaVersion: '2.0', accountId: '193043430472', region: 'us-east-1', partition: 'aws', id: 'ua1', arn: 'arn:aws:guardduty:us-east-1:193043430472:detector/d/finding/ua1',
      type: 'Recon:IAMUser/MaliciousIPCaller', createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-01-01T00:00:00Z', severity: 5, title: 't', description: 'd',
      resource: { resourceType: 'AccessKey', accessKeyDetails: { accessKeyId: 'AKIA', principalId: 'AIDA', userName: 'jdoe', userType: 'IAMUser' } },
      service: { serviceName: 'guardduty', detectorId: 'd', resourceRole: 'TARGET', action: { actionType: 'AWS_API_CALL', awsApiCallAction: { api: 'ListBuckets', userAgent: 'Boto3/1.34', remoteIpDetails: { ipAddressV4: '198.51.100.7' } } } },
    };
    expect(expectOk(normalizeGuardDutyFinding(native, ctx)).event.userAgent).toBe('Boto3/1.34');
    const asff = fixture('asff_guardduty_sshbruteforce_awsdocs.json') as { ProductFields: Record<string, string> };
    const withUa = { ...asff, ProductFields: { ...asff.ProductFields, 'action/actionType': 'AWS_API_CALL', 'action/awsApiCallAction/userAgent': 'console.amazonaws.com' } };
    expect(expectOk(normalizeAsffFinding(withUa, ctx)).event.userAgent).toBe('console.amazonaws.com');
  });

  it('the filled event encodes and decodes with the registered Avro schema unchanged', () => {
    const event = expectOk(normalizeCloudTrailRecord(trail(
      { type: 'AssumedRole', principalId: 'AROA1:jdoe', arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/jdoe', accountId: '111122223333', invokedBy: 'cloudformation.amazonaws.com' },
      { errorCode: 'AccessDenied' },
    ), ctx)).event;
    const type = schemas.SecurityEvent.type;
    expect(securityEventSchema.parse(type.fromBuffer(type.toBuffer(event)))).toEqual(event);
  });
});
