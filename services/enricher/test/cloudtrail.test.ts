import { describe, expect, it } from 'vitest';
import { cloudTrailRecordsOf, isAwsServiceName, normalizeCloudTrailRecord } from '../src/domain/normalize/index';
import { context, entry, expectError, expectOk, withoutRaw } from './helpers';

const ctx = context({
  entries: [entry({ canonical: 'jdoe@corp.example', samAccountName: 'jdoe', domain: 'CORP', upn: 'jdoe@corp.example', iamUsers: ['jdoe'], privileged: true })],
});

const base = (userIdentity: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventVersion: '1.08', eventID: '11111111-2222-3333-4444-555555555555', eventTime: '2024-05-01T10:00:00Z',
  eventSource: 'ec2.amazonaws.com', eventName: 'DescribeVolumes', awsRegion: 'eu-west-1', sourceIPAddress: '203.0.113.10',
  userAgent: 'aws-cli/2', requestParameters: null, responseElements: null, readOnly: true, eventType: 'AwsApiCall',
  recipientAccountId: '111122223333', userIdentity, ...extra,
});

const summary = (record: unknown) => {
  const n = expectOk(normalizeCloudTrailRecord(record, ctx));
  return {
    ips: n.event.entities.ips.map((ip) => ip.address),
    identities: n.event.entities.identities.map((i) => `${i.kind}:${i.raw}=>${i.canonical}${i.resolved ? '' : '?'}`),
    service: n.hygiene.filter((h) => h.kind === 'service-principal').map((h) => (h.kind === 'service-principal' ? `${h.reason}:${h.identity.raw}` : '')),
    notes: n.hygiene.filter((h) => h.kind !== 'service-principal').map((h) => ('reason' in h ? `${h.kind}:${String(h.reason)}` : h.kind)),
    accounts: n.event.entities.accounts,
    resources: n.event.entities.cloudResources,
    severity: n.event.sourceSeverity,
  };
};

describe('CloudTrail userIdentity types', () => {
  it.each([
    ['Root', { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' },
      { identities: ['root:arn:aws:iam::111122223333:root=>arn:aws:iam::111122223333:root?'], severity: 70 }],
    ['IAMUser resolved through the directory', { type: 'IAMUser', principalId: 'AIDA1', arn: 'arn:aws:iam::111122223333:user/JDoe', accountId: '111122223333', userName: 'JDoe' },
      { identities: ['iam_user:JDoe=>jdoe@corp.example'], severity: 10 }],
    ['AssumedRole SSO session named by e-mail', {
      type: 'AssumedRole', principalId: 'AROA1:jdoe@corp.example',
      arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jdoe@corp.example',
      accountId: '111122223333',
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef', accountId: '111122223333', userName: 'AWSReservedSSO_AdministratorAccess_0123456789abcdef' } },
    }, { identities: ['iam_role_session:AWSReservedSSO_AdministratorAccess_0123456789abcdef/jdoe@corp.example=>jdoe@corp.example'] }],
    ['AssumedRole SSO session of someone unknown keeps the e-mail as canonical', {
      type: 'AssumedRole', principalId: 'AROA1:Eve@Partner.Example',
      arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_ab12/Eve@Partner.Example', accountId: '111122223333',
    }, { identities: ['iam_role_session:AWSReservedSSO_ReadOnly_ab12/Eve@Partner.Example=>eve@partner.example?'] }],
    ['FederatedUser', {
      type: 'FederatedUser', principalId: '111122223333:bob', arn: 'arn:aws:sts::111122223333:federated-user/bob', accountId: '111122223333',
      sessionContext: { sessionIssuer: { type: 'IAMUser', userName: 'broker', arn: 'arn:aws:iam::111122223333:user/broker', accountId: '111122223333' } },
    }, { identities: ['iam_role_session:broker/bob=>broker/bob?'] }],
    ['AWSAccount (cross-account principal): only the account', { type: 'AWSAccount', principalId: 'AIDAXYZ', accountId: '444455556666' },
      { identities: [], accounts: ['444455556666', '111122223333'] }],
    ['IdentityCenterUser', { type: 'IdentityCenterUser', accountId: '111122223333', onBehalfOf: { userId: '544894e8-80c1-707f-60e3-3ba6510dfac1', identityStoreArn: 'arn:aws:identitystore::111122223333:identitystore/d-1' }, credentialId: 'c1' },
      { identities: ['unknown:544894e8-80c1-707f-60e3-3ba6510dfac1=>544894e8-80c1-707f-60e3-3ba6510dfac1?'] }],
    ['Unknown with a user name', { type: 'Unknown', principalId: '', accountId: '111122223333', userName: 'jdoe@corp.example' },
      { identities: ['email:jdoe@corp.example=>jdoe@corp.example'] }],
    ['Unknown with the name hidden', { type: 'IAMUser', accountId: '111122223333', principalId: '', userName: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
      { identities: [] }],
  ])('%s', (_name, userIdentity, expected) => {
    expect(summary(base(userIdentity))).toMatchObject(expected);
  });
});

describe('CloudTrail noise control', () => {
  it('AWSService: the service is a service principal, "AWS Internal" / host names are not IPs', () => {
    const s = summary(base({ type: 'AWSService', invokedBy: 'ec2.amazonaws.com' }, { sourceIPAddress: 'ec2.amazonaws.com', eventName: 'AssumeRole', eventSource: 'sts.amazonaws.com' }));
    expect(s).toMatchObject({ ips: [], identities: [], service: ['aws-service:ec2.amazonaws.com'], notes: ['not-an-ip:service-host-name'], severity: 10 });
  });

  it('"AWS Internal" is no IP', () => {
    expect(summary(base({ type: 'IAMUser', userName: 'jdoe', accountId: '111122223333' }, { sourceIPAddress: 'AWS Internal' }))).toMatchObject({
      ips: [], notes: ['not-an-ip:aws-internal'], identities: ['iam_user:jdoe=>jdoe@corp.example'],
    });
  });

  it('a call invokedBy an AWS service marks the user as a service principal and drops its IP', () => {
    const s = summary(base(
      { type: 'AssumedRole', principalId: 'AROA1:jdoe', arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/jdoe', accountId: '111122223333', invokedBy: 'cloudformation.amazonaws.com' },
      { eventName: 'StopLogging', sourceIPAddress: '198.51.100.4' },
    ));
    expect(s).toMatchObject({ identities: [], ips: [], service: ['invoked-by-aws-service:Deployer/jdoe'], notes: ['non-evidence-ip:aws-service-call'], severity: 10 });
  });

  it('service-linked role sessions are service principals', () => {
    const s = summary(base({
      type: 'AssumedRole', principalId: 'AROA2:AutoScaling',
      arn: 'arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling', accountId: '111122223333',
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling', userName: 'AWSServiceRoleForAutoScaling', accountId: '111122223333' } },
    }, { sourceIPAddress: 'autoscaling.amazonaws.com' }));
    expect(s).toMatchObject({ identities: [], service: ['service-linked-role:AWSServiceRoleForAutoScaling/AutoScaling'], notes: ['not-an-ip:service-host-name'] });
  });

  it.each([
    ['::ffff:198.51.100.4', ['198.51.100.4'], []],
    ['2001:DB8:0:0::4', ['2001:db8::4'], []],
    ['127.0.0.1', [], ['non-evidence-ip:loopback']],
    ['169.254.169.254', [], ['non-evidence-ip:link-local']],
    ['some-proxy.corp.example', [], ['not-an-ip:host-name']],
    ['not an address!', [], ['invalid-ip']],
  ])('sourceIPAddress %j', (sourceIPAddress, ips, notes) => {
    expect(summary(base({ type: 'IAMUser', userName: 'x', accountId: '111122223333' }, { sourceIPAddress }))).toMatchObject({ ips, notes });
  });

  it.each(['ec2.amazonaws.com', 'AWS Internal', 'lambda.amazonaws.com.cn', 'ip-10-0-0-1.eu-west-1.compute.internal.aws.internal'])('%s is an AWS service name', (name) => {
    expect(isAwsServiceName(name)).toBe(true);
  });
});

describe('CloudTrail severity heuristic', () => {
  const login = (result: string, mfa: string, type = 'IAMUser') => base(
    { type, userName: 'jdoe', accountId: '111122223333', arn: type === 'Root' ? 'arn:aws:iam::111122223333:root' : 'arn:aws:iam::111122223333:user/jdoe' },
    { eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', responseElements: { ConsoleLogin: result }, additionalEventData: { MFAUsed: mfa } },
  );
  it.each([
    ['console login without MFA', login('Success', 'No'), 50],
    ['console login with MFA', login('Success', 'Yes'), 10],
    ['console login failure', login('Failure', 'No'), 40],
    ['root console login without MFA', login('Success', 'No', 'Root'), 90],
    ['ordinary read', base({ type: 'IAMUser', userName: 'x' }), 10],
    ['denied ordinary read', base({ type: 'IAMUser', userName: 'x' }, { errorCode: 'AccessDenied' }), 20],
    ['DeleteTrail', base({ type: 'IAMUser', userName: 'x' }, { eventName: 'DeleteTrail' }), 70],
    ['AttachUserPolicy denied', base({ type: 'IAMUser', userName: 'x' }, { eventName: 'AttachUserPolicy', errorCode: 'AccessDenied' }), 70],
  ])('%s -> %d', (_name, record, expected) => {
    expect(expectOk(normalizeCloudTrailRecord(record, ctx)).event.sourceSeverity).toBe(expected);
  });

  it('a failed console login is titled so', () => {
    expect(expectOk(normalizeCloudTrailRecord(login('Failure', 'No'), ctx)).event.title).toBe('signin:ConsoleLogin failed');
  });
});

describe('CloudTrail shapes and errors', () => {
  const record = base({ type: 'IAMUser', userName: 'jdoe', accountId: '111122223333' });

  it('an EventBridge event around the record gives the same event', () => {
    const envelope = { version: '0', id: 'x', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ec2', detail: record };
    expect(withoutRaw(expectOk(normalizeCloudTrailRecord(envelope, ctx)))).toEqual(withoutRaw(expectOk(normalizeCloudTrailRecord(record, ctx))));
  });

  it('unknown fields are ignored', () => {
    expect(expectOk(normalizeCloudTrailRecord({ ...record, brandNewField: { a: 1 } }, ctx)).event.eventId).toBe('cloudtrail:11111111-2222-3333-4444-555555555555');
  });

  it('cloudTrailRecordsOf reads {"Records": [...]}, arrays and single records', () => {
    expect(cloudTrailRecordsOf({ Records: [record, record] })).toHaveLength(2);
    expect(cloudTrailRecordsOf([record])).toHaveLength(1);
    expect(cloudTrailRecordsOf(record)).toEqual([record]);
  });

  it.each([
    ['missing eventID', { eventID: undefined }, 'eventID'],
    ['eventTime not ISO', { eventTime: '10/07/2023' }, 'eventTime'],
    ['eventTime a number', { eventTime: 1688991795000 }, 'eventTime'],
    ['userIdentity missing', { userIdentity: undefined }, 'userIdentity'],
    ['userName a number', { userIdentity: { type: 'IAMUser', userName: 7 } }, 'userIdentity.userName'],
    ['sourceIPAddress a list', { sourceIPAddress: ['1.2.3.4'] }, 'sourceIPAddress'],
  ])('%s -> invalid-payload at %s', (_name, change, path) => {
    const error = expectError(normalizeCloudTrailRecord({ ...record, ...change }, ctx));
    expect(error.kind).toBe('invalid-payload');
    expect(error.source).toBe('cloudtrail.event');
    expect(error.issues.map((i) => i.path)).toContain(path);
    expect(error.message).toContain(path);
  });
});
