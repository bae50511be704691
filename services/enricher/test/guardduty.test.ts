import { describe, expect, it } from 'vitest';
import { normalizeAsffFinding, normalizeGuardDutyFinding } from '../src/domain/normalize/index';
import { unflattenGuardDutyProductFields } from '../src/domain/normalize/guardduty-service';
import { context, expectError, expectOk, fixture, v2Entities, v2Identity, withoutRaw } from './helpers';

const ctx = context({ namespaces: { defaultNamespace: 'corp', ranges: [{ cidr: '172.31.0.0/16', namespace: 'aws-vpc-a0c2d7c7' }] } });

/** The SSH brute force finding of the ASFF reference, as GuardDuty's EventBridge `detail` (camelCase). */
function sshBruteForce(): Record<string, unknown> {
  return {
    schemaVersion: '2.0', accountId: '193043430472', region: 'us-east-1', partition: 'aws',
    id: '46ba0ac2845071e23ccdeb2ae03bfdea',
    arn: 'arn:aws:guardduty:us-east-1:193043430472:detector/d4b040365221be2b54a6264dc9a4bc64/finding/46ba0ac2845071e23ccdeb2ae03bfdea',
    type: 'UnauthorizedAccess:EC2/SSHBruteForce',
    resource: {
      resourceType: 'Instance',
      instanceDetails: {
        instanceId: 'i-0c10c2c7863d1a356', instanceType: 't2.micro',
        networkInterfaces: [{
          networkInterfaceId: 'eni-0123', privateIpAddress: '172.31.43.6', privateDnsName: 'ip-172-31-43-6.ec2.internal',
          privateIpAddresses: [{ privateIpAddress: '172.31.43.6', privateDnsName: 'ip-172-31-43-6.ec2.internal' }],
          publicIp: '18.234.130.16', publicDnsName: 'ec2-18-234-130-16.compute-1.amazonaws.com', ipv6Addresses: [],
          vpcId: 'vpc-a0c2d7c7', subnetId: 'subnet-4975b475', securityGroups: [{ groupId: 'sg-1', groupName: 'default' }],
        }],
        tags: [{ key: 'Name', value: 'kubectl' }],
      },
    },
    service: {
      serviceName: 'guardduty', detectorId: 'd4b040365221be2b54a6264dc9a4bc64', archived: false, count: 74,
      eventFirstSeen: '2020-08-22T09:15:57Z', eventLastSeen: '2020-09-30T11:56:49Z', resourceRole: 'TARGET',
      action: {
        actionType: 'NETWORK_CONNECTION',
        networkConnectionAction: {
          connectionDirection: 'INBOUND', protocol: 'TCP', blocked: false,
          remoteIpDetails: { ipAddressV4: '199.241.229.197', organization: { asn: '209', asnOrg: 'CENTURYLINK-US-LEGACY-QWEST' } },
          remotePortDetails: { port: 46717, portName: 'Unknown' },
          localPortDetails: { port: 22, portName: 'SSH' },
          localIpDetails: { ipAddressV4: '172.31.43.6' },
        },
      },
      additionalInfo: { value: '{}', type: 'default' },
    },
    severity: 2, createdAt: '2020-08-22T09:34:34.146Z', updatedAt: '2020-09-30T12:14:00.206Z',
    title: '199.241.229.197 is performing SSH brute force attacks against i-0c10c2c7863d1a356.',
    description: '199.241.229.197 is performing SSH brute force attacks against i-0c10c2c7863d1a356.',
  };
}

/** PascalCase as the GuardDuty GetFindings API writes it. */
function pascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascal);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), pascal(v)]));
}

const withAction = (action: Record<string, unknown>, resource?: Record<string, unknown>, resourceRole = 'TARGET'): Record<string, unknown> => {
  const base = sshBruteForce();
  return {
    ...base,
    ...(resource === undefined ? {} : { resource }),
    service: { ...(base['service'] as object), resourceRole, action },
  };
};

const accessKeyResource = (userType: string, userName: string, principalId: string): Record<string, unknown> => ({
  resourceType: 'AccessKey',
  accessKeyDetails: { accessKeyId: 'ASIAEXAMPLE', principalId, userName, userType },
});

describe('GuardDuty finding shapes', () => {
  const camel = sshBruteForce();
  const normalized = expectOk(normalizeGuardDutyFinding(camel, ctx));

  it('normalizes the EventBridge camelCase detail', () => {
    expect(normalized.event).toMatchObject({
      eventId: 'guardduty:46ba0ac2845071e23ccdeb2ae03bfdea', source: 'guardduty', rawKind: 'guardduty_finding',
      sourceId: '46ba0ac2845071e23ccdeb2ae03bfdea', observedAt: Date.parse('2020-08-22T09:15:57Z'),
      sourceUpdatedAt: Date.parse('2020-09-30T12:14:00.206Z'), sourceSeverity: 20, category: 'unauthorized-access', mitre: [],
    });
    expect(normalized.event.entities).toEqual(v2Entities({
      ips: [
        { address: '199.241.229.197', role: 'actor', scope: 'public', namespace: null },
        { address: '172.31.43.6', role: 'target', scope: 'private', namespace: 'aws-vpc-a0c2d7c7' },
        { address: '18.234.130.16', role: 'target', scope: 'public', namespace: null },
      ],
      identities: [],
      hosts: [
        { name: 'ip-172-31-43-6.ec2.internal', role: 'target' },
        { name: 'ec2-18-234-130-16.compute-1.amazonaws.com', role: 'target' },
      ],
      cloudResources: ['i-0c10c2c7863d1a356'],
      accounts: ['193043430472'],
    }));
  });

  it('PascalCase (GuardDuty API) gives the identical event', () => {
    expect(withoutRaw(expectOk(normalizeGuardDutyFinding(pascal(camel), ctx)))).toEqual(withoutRaw(normalized));
  });

  it('an EventBridge envelope gives the identical event', () => {
    const envelope = { version: '0', id: 'c8c4daa7-a20c-2f03-0070-b7393dd542ad', 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', account: '193043430472', time: '2020-09-30T12:14:00Z', region: 'us-east-1', resources: [], detail: camel };
    expect(withoutRaw(expectOk(normalizeGuardDutyFinding(envelope, ctx)))).toEqual(withoutRaw(normalized));
  });

  it('the same finding through Security Hub (ASFF) has the same eventId', () => {
    const asff = expectOk(normalizeAsffFinding(fixture('asff_guardduty_sshbruteforce_awsdocs.json'), ctx));
    expect(asff.event.eventId).toBe(normalized.event.eventId);
    expect(asff.event.source).toBe('guardduty');
    expect(asff.event.observedAt).toBe(normalized.event.observedAt);
    expect(asff.event.category).toBe(normalized.event.category);
    // The IPs agree too; the ASFF resource carries the instance ARN besides its id.
    expect(asff.event.entities.ips).toEqual(normalized.event.entities.ips);
  });

  it('ignores unknown fields', () => {
    const extra = { ...camel, somethingNew: { nested: [1, 2] }, service: { ...(camel['service'] as object), futureFlag: true } };
    expect(withoutRaw(expectOk(normalizeGuardDutyFinding(extra, ctx)))).toEqual(withoutRaw(normalized));
  });
});

describe('GuardDuty action types', () => {
  const remote = { ipAddressV4: '198.51.100.7' };
  const ipsOf = (finding: unknown) => expectOk(normalizeGuardDutyFinding(finding, ctx)).event.entities.ips.map((ip) => `${ip.address} ${ip.role}`);

  it('NETWORK_CONNECTION OUTBOUND: the instance is the actor, the remote the target', () => {
    expect(ipsOf(withAction({
      actionType: 'NETWORK_CONNECTION',
      networkConnectionAction: { connectionDirection: 'OUTBOUND', remoteIpDetails: remote, localIpDetails: { ipAddressV4: '172.31.43.6' } },
    }, undefined, 'ACTOR'))).toEqual(['198.51.100.7 target', '172.31.43.6 actor', '18.234.130.16 actor']);
  });

  it('PORT_PROBE: every prober is an actor, probed local addresses targets', () => {
    expect(ipsOf(withAction({
      actionType: 'PORT_PROBE',
      portProbeAction: {
        blocked: false,
        portProbeDetails: [
          { localPortDetails: { port: 22 }, localIpDetails: { ipAddressV4: '172.31.43.6' }, remoteIpDetails: remote },
          { localPortDetails: { port: 3389 }, remoteIpDetails: { ipAddressV4: '203.0.113.9' } },
        ],
      },
    }))).toEqual(['198.51.100.7 actor', '172.31.43.6 target', '203.0.113.9 actor', '18.234.130.16 target']);
  });

  it('DNS_REQUEST: no remote IP; the queried domain is a target host, the instance the actor', () => {
    const normalized = expectOk(normalizeGuardDutyFinding(withAction({
      actionType: 'DNS_REQUEST', dnsRequestAction: { domain: 'C2.Evil.Example.', protocol: 'UDP', blocked: false },
    }, undefined, 'ACTOR'), ctx));
    expect(normalized.event.entities.ips.map((ip) => `${ip.address} ${ip.role}`)).toEqual(['172.31.43.6 actor', '18.234.130.16 actor']);
    expect(normalized.event.entities.hosts[0]).toEqual({ name: 'c2.evil.example', role: 'target' });
  });

  it('AWS_API_CALL: caller IP and access-key principal are actors; remote account listed', () => {
    const normalized = expectOk(normalizeGuardDutyFinding(withAction({
      actionType: 'AWS_API_CALL',
      awsApiCallAction: {
        api: 'GetCallerIdentity', serviceName: 'sts.amazonaws.com', callerType: 'Remote IP',
        remoteIpDetails: { ipAddressV4: '198.51.100.7' }, remoteAccountDetails: { accountId: '999988887777', affiliated: false },
      },
    }, accessKeyResource('AssumedRole', 'stolen-role', 'AROAEXAMPLE:i-0c10c2c7863d1a356'), 'ACTOR'), ctx));
    expect(normalized.event.entities).toMatchObject({
      ips: [{ address: '198.51.100.7', role: 'actor', scope: 'public', namespace: null }],
      identities: [{ canonical: 'stolen-role/i-0c10c2c7863d1a356', raw: 'stolen-role/i-0c10c2c7863d1a356', kind: 'iam_role_session', role: 'actor', resolved: false }],
      accounts: ['193043430472', '999988887777'],
    });
  });

  it.each([
    ['IAMUser', 'jdoe', 'AIDAEXAMPLE', { canonical: 'jdoe@corp.example', raw: 'jdoe', kind: 'iam_user', resolved: true, privileged: false }],
    ['Root', 'Root', '193043430472', { canonical: 'arn:aws:iam::193043430472:root', raw: 'arn:aws:iam::193043430472:root', kind: 'root', resolved: false }],
    ['FederatedUser', 'jdoe', '193043430472:jdoe', { canonical: 'jdoe/jdoe', raw: 'jdoe/jdoe', kind: 'iam_role_session', resolved: false }],
  ])('access key user type %s', (userType, userName, principalId, identity) => {
    const withDirectory = context({ entries: [{ canonical: 'jdoe@corp.example', samAccountName: 'jdoe', domain: null, upn: null, emails: [], iamUsers: ['jdoe'], roleSessionNames: [], privileged: false, department: null }] });
    const normalized = expectOk(normalizeGuardDutyFinding(withAction({ actionType: 'AWS_API_CALL', awsApiCallAction: { remoteIpDetails: remote } },
      accessKeyResource(userType, userName, principalId), 'ACTOR'), withDirectory));
    expect(normalized.event.entities.identities).toEqual([v2Identity({ ...identity, role: 'actor' })]);
  });

  it('KUBERNETES_API_CALL: source IPs and the Kubernetes user are actors; the cluster is a resource', () => {
    const normalized = expectOk(normalizeGuardDutyFinding(withAction({
      actionType: 'KUBERNETES_API_CALL',
      kubernetesApiCallAction: { requestUri: '/api/v1/secrets', verb: 'list', sourceIps: ['198.51.100.7', '2001:DB8::7'], remoteIpDetails: remote, statusCode: 200 },
    }, {
      resourceType: 'EKSCluster',
      eksClusterDetails: { name: 'prod', arn: 'arn:aws:eks:us-east-1:193043430472:cluster/prod', vpcId: 'vpc-1' },
      kubernetesDetails: { kubernetesUserDetails: { username: 'arn:aws:sts::193043430472:assumed-role/eks-admin/jdoe', uid: 'aws-iam-authenticator:1', groups: ['system:masters'] } },
    }, 'ACTOR'), ctx));
    expect(normalized.event.entities.ips.map((ip) => `${ip.address} ${ip.role}`)).toEqual(['198.51.100.7 actor', '2001:db8::7 actor']);
    expect(normalized.event.entities.identities).toEqual([v2Identity({
      canonical: 'arn:aws:sts::193043430472:assumed-role/eks-admin/jdoe', raw: 'arn:aws:sts::193043430472:assumed-role/eks-admin/jdoe',
      kind: 'iam_role_session', role: 'actor', resolved: false,
    })]);
    expect(normalized.event.entities.cloudResources).toEqual(['arn:aws:eks:us-east-1:193043430472:cluster/prod']);
  });

  it('RDS_LOGIN_ATTEMPT: the remote IP is the actor, the database user a target identity', () => {
    const normalized = expectOk(normalizeGuardDutyFinding(withAction({
      actionType: 'RDS_LOGIN_ATTEMPT',
      rdsLoginAttemptAction: { remoteIpDetails: remote, loginAttributes: [{ user: 'postgres', application: 'psql', failedLoginAttempts: 40, successfulLoginAttempts: 1 }] },
    }, {
      resourceType: 'RDSDBInstance',
      rdsDbInstanceDetails: { dbInstanceIdentifier: 'db1', dbInstanceArn: 'arn:aws:rds:us-east-1:193043430472:db:db1', engine: 'aurora-postgresql' },
      rdsDbUserDetails: { user: 'postgres' },
    }), ctx));
    expect(normalized.event.entities.ips.map((ip) => `${ip.address} ${ip.role}`)).toEqual(['198.51.100.7 actor']);
    expect(normalized.event.entities.identities).toEqual([v2Identity({ canonical: 'postgres', raw: 'postgres', kind: 'unknown', role: 'target', resolved: false })]);
    expect(normalized.event.entities.cloudResources).toEqual(['arn:aws:rds:us-east-1:193043430472:db:db1']);
  });

  it('an unknown action type still normalizes (resource entities only)', () => {
    const normalized = expectOk(normalizeGuardDutyFinding(withAction({ actionType: 'SOMETHING_NEW' }), ctx));
    expect(normalized.severityReasons).toContain('action other');
    expect(normalized.event.entities.ips.map((ip) => ip.address)).toEqual(['172.31.43.6', '18.234.130.16']);
  });
});

describe('GuardDuty severity', () => {
  it.each([[0.1, 1], [1, 10], [2, 20], [3.9, 39], [4, 40], [5.5, 55], [6.9, 69], [7, 70], [8.9, 89], [9, 90], [10, 100]])('%d -> %d', (severity, expected) => {
    expect(expectOk(normalizeGuardDutyFinding({ ...sshBruteForce(), severity }, ctx)).event.sourceSeverity).toBe(expected);
  });
});

describe('GuardDuty errors', () => {
  it.each([
    ['missing id', (f: Record<string, unknown>) => { delete f['id']; }, 'id'],
    ['severity as a string', (f: Record<string, unknown>) => { f['severity'] = 'HIGH'; }, 'severity'],
    ['severity out of range', (f: Record<string, unknown>) => { f['severity'] = 11; }, 'severity'],
    ['bad createdAt', (f: Record<string, unknown>) => { f['createdAt'] = 'yesterday'; }, 'createdAt'],
    ['missing resource', (f: Record<string, unknown>) => { delete f['resource']; }, 'resource'],
    ['remote IP as a number', (f: Record<string, unknown>) => {
      f['service'] = { action: { actionType: 'NETWORK_CONNECTION', networkConnectionAction: { remoteIpDetails: { ipAddressV4: 42 } } } };
    }, 'service.action.networkConnectionAction.remoteIpDetails.ipAddressV4'],
  ])('%s -> invalid-payload naming %s', (_name, mutate, path) => {
    const finding = sshBruteForce();
    mutate(finding);
    const error = expectError(normalizeGuardDutyFinding(finding, ctx));
    expect(error.kind).toBe('invalid-payload');
    expect(error.issues.map((i) => i.path)).toContain(path);
  });

  it.each([null, 'text', [1, 2]])('rejects %j', (payload) => {
    expect(expectError(normalizeGuardDutyFinding(payload, ctx)).kind).toBe('invalid-payload');
  });
});

describe('unflattenGuardDutyProductFields', () => {
  it('reads both generations of ProductFields keys, arrays included', () => {
    expect(unflattenGuardDutyProductFields({
      'action/actionType': 'PORT_PROBE',
      'action/portProbeAction/portProbeDetails:0/remoteIpDetails/ipAddressV4': '198.51.100.7',
      'action/portProbeAction/portProbeDetails:1/remoteIpDetails/ipAddressV4': '203.0.113.9',
      resourceRole: 'TARGET',
      'aws/securityhub/ProductName': 'GuardDuty',
    })).toEqual({
      action: { actionType: 'PORT_PROBE', portProbeAction: { portProbeDetails: [{ remoteIpDetails: { ipAddressV4: '198.51.100.7' } }, { remoteIpDetails: { ipAddressV4: '203.0.113.9' } }] } },
      resourceRole: 'TARGET',
    });
    expect(unflattenGuardDutyProductFields({
      'aws/guardduty/service/action/actionType': 'PORT_PROBE',
      'aws/guardduty/service/action/portProbeAction/portProbeDetails.0_/remoteIpDetails/ipAddressV4': '198.51.100.7',
      'aws/guardduty/service/resourceRole': 'TARGET',
    })).toEqual({
      action: { actionType: 'PORT_PROBE', portProbeAction: { portProbeDetails: [{ remoteIpDetails: { ipAddressV4: '198.51.100.7' } }] } },
      resourceRole: 'TARGET',
    });
  });
});
