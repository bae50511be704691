import { describe, expect, it } from 'vitest';
import { guardDutyIdOf, hostOfLogSourceName, isFromGuardDuty, normalizeAsffFinding, normalizeQradarOffense } from '../src/domain/normalize/index';
import { context, entry, expectError, expectOk, fixture, v2Entities, v2Identity } from './helpers';

const ctx = context({ entries: [entry({ canonical: 'jdoe@corp.example', samAccountName: 'jdoe', domain: 'CORP', iamUsers: ['jdoe'] })] });

const inspector = (): Record<string, unknown> => ({
  SchemaVersion: '2018-10-08', Id: 'arn:aws:inspector2:eu-west-1:111122223333:finding/abc', ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/inspector',
  GeneratorId: 'AWSInspector', AwsAccountId: '111122223333', Types: ['Software and Configuration Checks/Vulnerabilities/CVE'],
  CreatedAt: '2024-01-02T03:04:05Z', UpdatedAt: '2024-01-03T03:04:05Z', Severity: { Label: 'HIGH', Normalized: 70 },
  Title: 'CVE-2024-0001 - openssl', Description: 'x',
  Network: { Direction: 'OUT', SourceIpV4: '10.0.0.5', DestinationIpV4: '198.51.100.20', DestinationDomain: 'evil.example' },
  Resources: [
    { Type: 'AwsEc2Instance', Id: 'arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0', Details: { AwsEc2Instance: { IpV4Addresses: ['10.0.0.5'], IpV6Addresses: ['2001:db8::5'] } } },
    { Type: 'AwsIamAccessKey', Id: 'AKIAEXAMPLE', Details: { AwsIamAccessKey: { UserName: 'jdoe', PrincipalType: 'IAMUser' } } },
    { Type: 'AwsAccount', Id: 'AWS::::Account:111122223333' },
  ],
});

describe('ASFF (non-GuardDuty)', () => {
  it('keeps the Security Hub id and maps Network and Resources', () => {
    const n = expectOk(normalizeAsffFinding(inspector(), ctx));
    expect(n.event).toMatchObject({
      eventId: 'securityhub:arn:aws:inspector2:eu-west-1:111122223333:finding/abc', source: 'securityhub', rawKind: 'securityhub_finding',
      observedAt: Date.parse('2024-01-02T03:04:05Z'), sourceSeverity: 70, category: 'software-and-configuration-checks/vulnerabilities', mitre: [],
    });
    expect(n.event.entities).toEqual(v2Entities({
      ips: [
        { address: '10.0.0.5', role: 'actor', scope: 'private', namespace: 'default' },
        { address: '198.51.100.20', role: 'target', scope: 'public', namespace: null },
        { address: '2001:db8::5', role: 'actor', scope: 'public', namespace: null }, // Direction OUT: resources are actors
      ],
      identities: [{ canonical: 'jdoe@corp.example', raw: 'jdoe', kind: 'iam_user', role: 'actor', resolved: true, privileged: false }],
      hosts: [{ name: 'evil.example', role: 'target' }],
      cloudResources: ['arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0', 'i-0123456789abcdef0'],
      accounts: ['111122223333'],
    }));
  });

  it.each([
    [{ Label: 'CRITICAL', Normalized: 95 }, 95], [{ Label: 'CRITICAL' }, 95], [{ Label: 'HIGH', Normalized: 30 }, 80],
    [{ Label: 'MEDIUM' }, 55], [{ Label: 'LOW', Normalized: 1 }, 1], [{ Label: 'LOW' }, 30], [{ Label: 'INFORMATIONAL', Normalized: 0 }, 0],
    [{ Normalized: 42 }, 42],
  ])('Severity %j -> %d', (severity, expected) => {
    expect(expectOk(normalizeAsffFinding({ ...inspector(), Severity: severity }, ctx)).event.sourceSeverity).toBe(expected);
  });

  it('TTPs types give the tactic and MITRE entries', () => {
    const n = expectOk(normalizeAsffFinding({ ...inspector(), Types: ['TTPs/Defense Evasion/Something', 'TTPs/Command and Control/Other'] }, ctx));
    expect(n.event.category).toBe('defense-evasion');
    expect(n.event.mitre).toEqual([
      { tactic: 'TA0005', technique: null, name: 'Defense Evasion' }, { tactic: 'TA0011', technique: null, name: 'Command and Control' },
    ]);
  });

  it.each([
    ['no Severity label or value', { Severity: {} }, 'Severity'],
    ['unknown label', { Severity: { Label: 'SEVERE' } }, 'Severity.Label'],
    ['Normalized as a string', { Severity: { Normalized: '40' } }, 'Severity.Normalized'],
    ['missing Id', { Id: undefined }, 'Id'],
    ['no Resources', { Resources: [] }, 'Resources'],
    ['UpdatedAt garbage', { UpdatedAt: 'soon' }, 'UpdatedAt'],
  ])('%s -> invalid-payload at %s', (_name, change, path) => {
    const error = expectError(normalizeAsffFinding({ ...inspector(), ...change }, ctx));
    expect(error.kind).toBe('invalid-payload');
    expect(error.issues.map((i) => i.path)).toContain(path);
  });
});

describe('ASFF from GuardDuty', () => {
  const reference = fixture('asff_guardduty_sshbruteforce_awsdocs.json') as Record<string, unknown>;

  it('recognizes GuardDuty by ProductArn alone', () => {
    expect(isFromGuardDuty({ ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty', ProductName: null, ProductFields: null })).toBe(true);
    expect(isFromGuardDuty({ ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/inspector', ProductName: null, ProductFields: null })).toBe(false);
  });

  it('derives the bare id from the Id ARN or from aws/securityhub/FindingId', () => {
    expect(guardDutyIdOf({ Id: String(reference['Id']), ProductFields: null })).toBe('46ba0ac2845071e23ccdeb2ae03bfdea');
    expect(guardDutyIdOf({ Id: 'opaque', ProductFields: reference['ProductFields'] as Record<string, string> })).toBe('46ba0ac2845071e23ccdeb2ae03bfdea');
  });

  it('first-generation ProductFields (no aws/guardduty/service/ prefix) give the same entities', () => {
    const fields = reference['ProductFields'] as Record<string, string>;
    const oldFields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.replace('aws/guardduty/service/', ''), v]));
    const now = expectOk(normalizeAsffFinding(reference, ctx));
    const old = expectOk(normalizeAsffFinding({ ...reference, ProductFields: oldFields }, ctx));
    expect(old.event.eventId).toBe(now.event.eventId);
    expect(old.event.entities).toEqual(now.event.entities);
  });

  it('resourceRole ACTOR makes the instance addresses actors', () => {
    const fields = { ...(reference['ProductFields'] as Record<string, string>), 'aws/guardduty/service/resourceRole': 'ACTOR' };
    const n = expectOk(normalizeAsffFinding({ ...reference, ProductFields: fields }, ctx));
    expect(n.event.entities.ips.map((ip) => `${ip.address} ${ip.role}`)).toEqual([
      '199.241.229.197 actor', '172.31.43.6 target', '18.234.130.16 actor', '172.31.43.6 actor',
    ]);
  });

  it('without a derivable GuardDuty id, keeps the Security Hub id and says so', () => {
    const n = expectOk(normalizeAsffFinding({ ...reference, Id: 'custom-id', ProductFields: {} }, ctx));
    expect(n.event.eventId).toBe('securityhub:custom-id');
    expect(n.hygiene).toContainEqual({ kind: 'missing-context', what: 'guardduty finding id (kept the Security Hub id)' });
  });
});

const offense = (changes: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 42, description: 'Brute force\n', start_time: 1700000000000, last_updated_time: 1700000600000, severity: 7, magnitude: 5,
  categories: ['User Login Failure'], offense_type: 0, offense_source: '203.0.113.50',
  log_sources: [
    { name: 'WinDC @ dc01.corp.example', type_name: 'WindowsAuthServer', type_id: 12 },
    { name: 'Custom Rule Engine-8 :: qradar', type_name: 'EventCRE', type_id: 18 },
  ],
  ...changes,
});

describe('QRadar offense', () => {
  it.each([
    [{ offense_type: 0, offense_source: '203.0.113.50' }, { ips: ['203.0.113.50 actor'] }],
    [{ offense_type: 1, offense_source: '10.1.1.1' }, { ips: ['10.1.1.1 target'] }],
    [{ offense_type: 10, offense_source: '2001:DB8::9' }, { ips: ['2001:db8::9 actor'] }],
    [{ offense_type: 11, offense_source: 'fd00::9' }, { ips: ['fd00::9 target'] }],
    [{ offense_type: 3, offense_source: 'CORP\\JDoe' }, { identities: ['ad:CORP\\JDoe=>jdoe@corp.example'] }],
    [{ offense_type: 3, offense_source: 'jdoe@corp.example' }, { identities: ['email:jdoe@corp.example=>jdoe@corp.example'] }],
    [{ offense_type: 3, offense_source: 'mallory' }, { identities: ['ad:mallory=>mallory?'] }],
    [{ offense_type: 7, offense_source: 'WS-042.corp.example' }, { hosts: ['ws-042.corp.example actor', 'dc01.corp.example target'] }],
    [{ offense_type: 2, offense_source: 'Some event name' }, { ips: [], identities: [] }],
  ])('offense_source per offense_type %j', (changes, expected) => {
    const n = expectOk(normalizeQradarOffense({ payload: offense(changes), addresses: { source: [], localDestination: [] } }, ctx));
    const got = {
      ips: n.event.entities.ips.map((ip) => `${ip.address} ${ip.role}`),
      identities: n.event.entities.identities.map((i) => `${i.kind}:${i.raw}=>${i.canonical}${i.resolved ? '' : '?'}`),
      hosts: n.event.entities.hosts.map((h) => `${h.name} ${h.role}`),
    };
    expect(got).toMatchObject(expected);
  });

  it('maps severity x10, falling back to magnitude', () => {
    expect(expectOk(normalizeQradarOffense({ payload: offense() }, ctx)).event.sourceSeverity).toBe(70);
    expect(expectOk(normalizeQradarOffense({ payload: offense({ severity: null }) }, ctx)).event.sourceSeverity).toBe(50);
  });

  it('Ariel user names are actor identities; NAT addresses are kept', () => {
    const n = expectOk(normalizeQradarOffense({
      payload: offense(), addresses: { source: ['10.1.1.1'], localDestination: ['10.2.2.2'] },
      events: [{ sourceip: '10.1.1.1', destinationip: '10.2.2.2', username: 'jdoe', postNatSourceIP: '198.51.100.1', logsourcename_logsourceid: 'Linux @ web01' }],
    }, ctx));
    expect(n.event.entities.identities).toEqual([v2Identity({ canonical: 'jdoe@corp.example', raw: 'jdoe', kind: 'ad', role: 'actor', resolved: true, privileged: false })]);
    expect(n.event.entities.ips.map((ip) => `${ip.address} ${ip.role}`)).toEqual(['10.1.1.1 actor', '10.2.2.2 target', '203.0.113.50 actor', '198.51.100.1 actor']);
    expect(n.event.entities.hosts).toEqual([{ name: 'dc01.corp.example', role: 'target' }, { name: 'web01', role: 'target' }]);
  });

  it.each([
    ['WindowsAuthServer @ 192.168.1.3', null], ['WinDC @ dc01.corp.example', 'dc01.corp.example'], ['fw-edge-1', 'fw-edge-1'],
    ['Firewall Cluster East', null], ['Custom Rule Engine-8 :: ip-162-21-12-77', null],
  ])('hostOfLogSourceName(%j) = %j', (name, host) => {
    expect(hostOfLogSourceName(name)).toBe(host);
  });

  it.each([
    ['id missing', { id: undefined }, 'payload.id'],
    ['id a string', { id: '42' }, 'payload.id'],
    ['start_time ISO instead of epoch ms', { start_time: '2024-01-01T00:00:00Z' }, 'payload.start_time'],
    ['severity over 10', { severity: 11 }, 'payload.severity'],
    ['categories not a list', { categories: 'User Login Failure' }, 'payload.categories'],
  ])('%s -> invalid-payload at %s', (_name, changes, path) => {
    const error = expectError(normalizeQradarOffense({ payload: offense(changes) }, ctx));
    expect(error.kind).toBe('invalid-payload');
    expect(error.issues.map((i) => i.path)).toContain(path);
  });

  it('rejects Ariel rows with wrong types', () => {
    const error = expectError(normalizeQradarOffense({ payload: offense(), events: [{ sourceip: 3232235521 }] }, ctx));
    expect(error.issues.map((i) => i.path)).toEqual(['events.0.sourceip']);
  });
});
