/**
 * Every file of /work/shared/reference-payloads (copied to fixtures/reference, see ORIGIN.md), with
 * the exact event each one must become.
 */
import { describe, expect, it } from 'vitest';
import { cloudTrailRecordsOf, normalizeAsffFinding, normalizeCloudTrailRecord, normalizeQradarOffense, normalizeRawRecord } from '../src/domain/normalize/index';
import type { Entities, NormalizedEvent } from '../src/domain/security-event';
import { INGESTED_AT, context, entry, expectError, expectOk, fixture, fixtureText } from './helpers';

const ctx = context({
  namespaces: {
    defaultNamespace: 'corp',
    ranges: [
      { cidr: '172.31.0.0/16', namespace: 'aws-vpc-a0c2d7c7' },
      { cidr: '192.168.0.0/16', namespace: 'onprem-hq' },
      { cidr: '10.8.0.0/16', namespace: 'vpn' },
    ],
  },
  entries: [
    entry({ canonical: 'bert-jan@corp.example', samAccountName: 'bjan', iamUsers: ['bert-jan'], privileged: true, department: 'Cloud' }),
    entry({ canonical: 'yarden@corp.example', samAccountName: 'yarden', domain: 'CORP' }),
  ],
});

const ms = (iso: string): number => Date.parse(iso);
const none: Entities = { ips: [], identities: [], hosts: [], cloudResources: [], accounts: [], nonEvidenceIps: [], nonEvidenceIdentities: [] };
// SecurityEvent v2 fields: evidence keys carry nonEvidence false; identities carry the directory's
// privileged / department (null unless an expectation says otherwise, i.e. unresolved).
const withV2 = (entities: Partial<Entities>): Partial<Entities> => ({
  ...entities,
  ...(entities.ips === undefined ? {} : { ips: entities.ips.map((ip) => ({ nonEvidence: false, nonEvidenceReason: null, ...ip })) }),
  ...(entities.identities === undefined ? {} : { identities: entities.identities.map((id) => ({ privileged: null, department: null, nonEvidence: false, nonEvidenceReason: null, ...id })) }),
});

interface Expected {
  eventId: string;
  source: string;
  observedAt: number;
  sourceUpdatedAt?: number;
  sourceSeverity: number;
  category: string;
  title?: string;
  entities: Partial<Entities>;
  hygiene?: unknown[];
  errorCode?: string | null;
  userAgent?: string | null;
}

function check(normalized: NormalizedEvent, expected: Expected): void {
  const { event } = normalized;
  expect(event.eventId).toBe(expected.eventId);
  expect(event.source).toBe(expected.source);
  expect(event.observedAt).toBe(expected.observedAt);
  expect(event.sourceUpdatedAt).toBe(expected.sourceUpdatedAt ?? expected.observedAt);
  expect(event.ingestedAt).toBe(INGESTED_AT);
  expect(event.sourceSeverity).toBe(expected.sourceSeverity);
  expect(event.category).toBe(expected.category);
  if (expected.title !== undefined) expect(event.title).toBe(expected.title);
  expect(event.entities).toEqual({ ...none, ...withV2(expected.entities) });
  expect(normalized.hygiene).toEqual(expected.hygiene ?? []);
  expect(normalized.errorCode).toBe(expected.errorCode ?? null);
  expect(event.errorCode).toBe(expected.errorCode ?? null);
  if (expected.userAgent !== undefined) expect(event.userAgent).toBe(expected.userAgent);
  expect(event.enrichment).toEqual({ assets: [], vulns: [], intel: [], missing: [] });
}

describe('aws/asff_guardduty_sshbruteforce_awsdocs.json', () => {
  const payload = fixture('asff_guardduty_sshbruteforce_awsdocs.json');
  const normalized = expectOk(normalizeAsffFinding(payload, ctx, fixtureText('asff_guardduty_sshbruteforce_awsdocs.json')));

  it('becomes the GuardDuty event with the bare finding id', () => {
    check(normalized, {
      eventId: 'guardduty:46ba0ac2845071e23ccdeb2ae03bfdea',
      source: 'guardduty',
      observedAt: ms('2020-08-22T09:15:57Z'),
      sourceUpdatedAt: ms('2020-09-30T12:14:00.206Z'),
      sourceSeverity: 40,
      category: 'unauthorized-access',
      title: '199.241.229.197 is performing SSH brute force attacks against i-0c10c2c7863d1a356.',
      entities: {
        ips: [
          { address: '199.241.229.197', role: 'actor', scope: 'public', namespace: null },
          { address: '172.31.43.6', role: 'target', scope: 'private', namespace: 'aws-vpc-a0c2d7c7' },
          { address: '18.234.130.16', role: 'target', scope: 'public', namespace: null },
        ],
        cloudResources: ['arn:aws:ec2:us-east-1:193043430472:instance/i-0c10c2c7863d1a356', 'i-0c10c2c7863d1a356'],
        accounts: ['193043430472'],
      },
    });
    expect(normalized.event.rawKind).toBe('securityhub_finding');
    expect(normalized.event.sourceId).toBe('46ba0ac2845071e23ccdeb2ae03bfdea');
    expect(normalized.event.mitre).toEqual([{ tactic: 'TA0001', technique: null, name: 'Initial Access' }]);
  });

  it('keeps the payload text unchanged as raw', () => {
    expect(normalized.event.raw).toBe(fixtureText('asff_guardduty_sshbruteforce_awsdocs.json'));
  });
});

const invictus = cloudTrailRecordsOf(fixture('cloudtrail_invictus_aws_dataset_excerpt.json'));
const stratusLogin = cloudTrailRecordsOf(fixture('cloudtrail_stratus_console-login-without-mfa.json'));
const stratusSteal = cloudTrailRecordsOf(fixture('cloudtrail_stratus_ec2-steal-instance-credentials_excerpt.json'));

const bertJan = { canonical: 'bert-jan@corp.example', raw: 'bert-jan', kind: 'iam_user', role: 'actor', resolved: true, privileged: true, department: 'Cloud' } as const;
const attackerIp = { address: '192.168.10.20', role: 'actor', scope: 'private', namespace: 'onprem-hq' } as const;
const stealRole = 'stratus-red-team-ec2-steal-credentials-role';
const christopheIp = { address: '18.236.253.47', role: 'actor', scope: 'public', namespace: null } as const;

const cloudTrailCases: [string, unknown, Expected][] = [
  ['invictus #0 ConsoleLogin without MFA', invictus[0], {
    eventId: 'cloudtrail:70e5932e-9022-4b38-837e-ca10dad94eb7', source: 'cloudtrail', observedAt: ms('2023-07-10T12:23:15Z'),
    sourceSeverity: 50, category: 'authentication', title: 'signin:ConsoleLogin',
    entities: {
      ips: [attackerIp],
      identities: [{ canonical: 'stratus-red-team-nmfalu-gfjyeaypjt', raw: 'stratus-red-team-nmfalu-gfjyeaypjt', kind: 'iam_user', role: 'actor', resolved: false }],
      accounts: ['123837392027'],
    },
  }],
  ['invictus #1 ConsoleLogin with MFA', invictus[1], {
    eventId: 'cloudtrail:8feee4c2-5e27-4857-8475-bfa7e7b6d791', source: 'cloudtrail', observedAt: ms('2023-07-10T12:27:45Z'),
    sourceSeverity: 10, category: 'authentication',
    entities: { ips: [{ address: '10.8.8.10', role: 'actor', scope: 'private', namespace: 'vpn' }], identities: [bertJan], accounts: ['123837392027'] },
  }],
  ['invictus #2 CreateAccessKey for another user', invictus[2], {
    eventId: 'cloudtrail:64b7de64-bf53-47ae-b7e3-d30cb1b5136e', source: 'cloudtrail', observedAt: ms('2023-07-10T12:24:29Z'),
    sourceSeverity: 60, category: 'persistence', title: 'iam:CreateAccessKey',
    entities: {
      ips: [attackerIp],
      identities: [bertJan, { canonical: 'stratus-red-team-backdoor-u-user', raw: 'stratus-red-team-backdoor-u-user', kind: 'iam_user', role: 'target', resolved: false }],
      accounts: ['123837392027'],
    },
  }],
  ['invictus #3 StopLogging that failed', invictus[3], {
    eventId: 'cloudtrail:f6e10706-705c-47f2-94d4-112a9527ab8b', source: 'cloudtrail', observedAt: ms('2023-07-10T12:01:27Z'),
    sourceSeverity: 70, category: 'defense-evasion', title: 'cloudtrail:StopLogging failed (TrailNotFoundException)',
    errorCode: 'TrailNotFoundException',
    entities: { ips: [attackerIp], identities: [bertJan], accounts: ['123837392027'] },
  }],
  ['invictus #4 GetCallerIdentity with stolen instance role', invictus[4], {
    eventId: 'cloudtrail:bf68f8c0-590b-4740-ac89-aad0ed5dfe4f', source: 'cloudtrail', observedAt: ms('2023-07-10T11:57:22Z'),
    sourceSeverity: 20, category: 'discovery',
    entities: {
      ips: [attackerIp],
      identities: [{ canonical: `${stealRole}/i-0dbc91f429e48eeed`, raw: `${stealRole}/i-0dbc91f429e48eeed`, kind: 'iam_role_session', role: 'actor', resolved: false }],
      cloudResources: ['i-0dbc91f429e48eeed'],
      accounts: ['123837392027'],
    },
  }],
  ['invictus #5 GetPasswordData denied', invictus[5], {
    eventId: 'cloudtrail:fbd91225-39aa-4c00-822c-9f0b96e7758f', source: 'cloudtrail', observedAt: ms('2023-07-10T11:54:48Z'),
    sourceSeverity: 60, category: 'credential-access', title: 'ec2:GetPasswordData failed (Client.UnauthorizedOperation)',
    errorCode: 'Client.UnauthorizedOperation',
    entities: {
      ips: [attackerIp],
      identities: [{
        canonical: 'stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1688990082523310002',
        raw: 'stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1688990082523310002',
        kind: 'iam_role_session', role: 'actor', resolved: false,
      }],
      cloudResources: ['i-durz4ux740gjqvcm'],
      accounts: ['123837392027'],
    },
  }],
  ['stratus ConsoleLogin without MFA from a multicast address', stratusLogin[0], {
    eventId: 'cloudtrail:865d9377-9c6b-4fd7-8aad-725e95f6a140', source: 'cloudtrail', observedAt: ms('2024-08-02T08:53:24Z'),
    sourceSeverity: 50, category: 'authentication',
    entities: {
      identities: [{ canonical: 'stratus-red-team-nmfalu-jfzdtsvchl', raw: 'stratus-red-team-nmfalu-jfzdtsvchl', kind: 'iam_user', role: 'actor', resolved: false }],
      accounts: ['562283505220'],
      // Kept out of ips, but visible to other stages with the reason.
      nonEvidenceIps: [{ address: '225.1.0.16', role: 'actor', scope: 'private', namespace: null, nonEvidence: true, nonEvidenceReason: 'multicast' }],
    },
    // `225.01.00.16` is read as 225.1.0.16: multicast, never evidence.
    hygiene: [{ kind: 'non-evidence-ip', value: '225.1.0.16', reason: 'multicast', field: 'sourceIPAddress' }],
    userAgent: 'stratus-red-team_fccf7123-0651-41f5-b06c-460da5ee1c94',
  }],
  ...(['b379479b-05c9-4c3c-af4b-cbd43acf29e1', '394cf343-b9cf-48ce-8a94-e188656ae8ba'] as const).map((id, i): [string, unknown, Expected] => [
    `stratus stolen instance credentials #${i}`, stratusSteal[i], {
      eventId: `cloudtrail:${id}`, source: 'cloudtrail',
      observedAt: ms(i === 0 ? '2024-08-02T08:23:55Z' : '2024-08-02T08:23:56Z'), sourceSeverity: 20, category: 'discovery',
      entities: {
        ips: [christopheIp],
        identities: [{
          canonical: `${stealRole}/i-786a3a8b5c0d92ef4`, raw: `${stealRole}/i-786a3A8B5C0d92eF4`,
          kind: 'iam_role_session', role: 'actor', resolved: false,
        }],
        cloudResources: ['i-786a3A8B5C0d92eF4'],
        accounts: ['017622104382'],
      },
    }]),
  ['stratus SendCommand by an IAM user', stratusSteal[2], {
    eventId: 'cloudtrail:2a5178c8-b4c7-44ba-b066-1ecc79b7087c', source: 'cloudtrail', observedAt: ms('2024-08-02T08:23:24Z'),
    sourceSeverity: 50, category: 'execution', title: 'ssm:SendCommand',
    entities: {
      ips: [christopheIp],
      identities: [{ canonical: 'christophe', raw: 'christophe', kind: 'iam_user', role: 'actor', resolved: false }],
      cloudResources: ['i-786a3A8B5C0d92eF4'],
      accounts: ['017622104382'],
    },
  }],
];

describe('aws/cloudtrail_*.json', () => {
  it('splits every file into its records', () => {
    expect([invictus.length, stratusLogin.length, stratusSteal.length]).toEqual([6, 1, 3]);
  });

  it.each(cloudTrailCases)('%s', (_name, record, expected) => {
    check(expectOk(normalizeCloudTrailRecord(record, ctx)), expected);
  });

  it('reports the directory facts of resolved identities', () => {
    expect(expectOk(normalizeCloudTrailRecord(invictus[1], ctx)).identityFacts).toEqual([
      { canonical: 'bert-jan@corp.example', privileged: true, department: 'Cloud' },
    ]);
  });
});

interface Offense { id: number; source_address_ids: number[]; local_destination_address_ids: number[] }
const offenses = fixture('xsoar_offenses_list_response.json') as Offense[];
const addressBook = fixture('xsoar_source_and_local_destination_addresses.json') as {
  source_addresses_response: { id: number; source_ip: string }[];
  local_destination_addresses_response: { id: number; local_destination_ip: string }[];
};
const ariel = fixture('xsoar_ariel_search_lifecycle.json') as { search_results_get_response: { events: unknown[] } };

/** What qradar-ingest does: resolve address ids through the two address endpoints (unknown ids drop out). */
function resolveAddresses(offense: Offense): { source: string[]; localDestination: string[] } {
  const sources = new Map(addressBook.source_addresses_response.map((a) => [a.id, a.source_ip]));
  const locals = new Map(addressBook.local_destination_addresses_response.map((a) => [a.id, a.local_destination_ip]));
  return {
    source: offense.source_address_ids.flatMap((id) => sources.get(id) ?? []),
    localDestination: offense.local_destination_address_ids.flatMap((id) => locals.get(id) ?? []),
  };
}

const hq = (address: string, role: 'actor' | 'target') => ({ address, role, scope: 'private', namespace: 'onprem-hq', nonEvidence: false, nonEvidenceReason: null }) as const;

describe('qradar/xsoar_offenses_list_response.json + xsoar_source_and_local_destination_addresses.json', () => {
  it('offense 16: offense_source is a source IP (offense_type 0)', () => {
    const [offense] = offenses;
    expect(resolveAddresses(offense as Offense)).toEqual({ source: [], localDestination: ['192.168.0.1'] });
    const normalized = expectOk(normalizeQradarOffense({ payload: offense, addresses: resolveAddresses(offense as Offense) }, ctx));
    check(normalized, {
      eventId: 'qradar:offense:16', source: 'qradar', observedAt: 1613399051536, sourceSeverity: 20,
      category: 'session-closed', title: 'Session Closed',
      entities: {
        ips: [hq('192.168.0.1', 'target'), { address: '39.116.161.122', role: 'actor', scope: 'public', namespace: null }],
      },
    });
    expect(normalized.event.rawEvents).toBeNull();
  });

  it('offense 15: offense_source is a user name (offense_type 3)', () => {
    const offense = offenses[1] as Offense;
    expect(resolveAddresses(offense)).toEqual({ source: ['192.168.0.1'], localDestination: ['192.168.0.1'] });
    check(expectOk(normalizeQradarOffense({ payload: offense, addresses: resolveAddresses(offense) }, ctx)), {
      eventId: 'qradar:offense:15', source: 'qradar', observedAt: 1613395296537, sourceUpdatedAt: 1613395306948,
      sourceSeverity: 30, category: 'general-authentication-failed', title: 'Multiple Login Failures for the Same User',
      entities: {
        ips: [hq('192.168.0.1', 'actor'), hq('192.168.0.1', 'target')],
        identities: [{ canonical: 'yarden@corp.example', raw: 'yarden', kind: 'ad', role: 'actor', resolved: true, privileged: false }],
      },
    });
  });

  it('without resolved addresses, the lookups are listed as missing', () => {
    const normalized = expectOk(normalizeQradarOffense({ payload: offenses[1], addresses: null }, ctx));
    expect(normalized.event.entities.ips).toEqual([]);
    expect(normalized.event.enrichment.missing).toEqual(['qradar-addresses']);
    expect(normalized.hygiene).toEqual([{ kind: 'missing-context', what: 'qradar-addresses' }]);
  });
});

describe('qradar/xsoar_ariel_search_lifecycle.json', () => {
  it('the Ariel rows add their IPs; garbage and zero IPv6 columns stay out', () => {
    const events = ariel.search_results_get_response.events;
    const offense = offenses[1] as Offense;
    const normalized = expectOk(normalizeQradarOffense({ payload: offense, addresses: resolveAddresses(offense), events }, ctx));
    expect(normalized.event.entities.ips).toEqual([hq('192.168.0.1', 'actor'), hq('192.168.0.1', 'target'), hq('192.168.0.2', 'target')]);
    // "WindowsAuthServer @ 192.168.0.1": an IP-named log source is not a host name.
    expect(normalized.event.entities.hosts).toEqual([]);
    expect(normalized.hygiene).toEqual([
      { kind: 'invalid-ip', value: 'ab12:1:4:1:106b:2121:xz15:361a', field: 'events.0.sourcev6' },
      { kind: 'non-evidence-ip', value: '0.0.0.0', reason: 'unspecified', field: 'events.0.preNatSourceIP' },
      { kind: 'invalid-ip', value: 'ab13:1:1:1:126b:2121:qz55:361b', field: 'events.0.destinationv6' },
      { kind: 'invalid-ip', value: 'fb12:1:4:1:106b:2121:xz15:361a', field: 'events.1.sourcev6' },
      { kind: 'non-evidence-ip', value: '::', reason: 'unspecified', field: 'events.1.destinationv6' },
    ]);
    expect(JSON.parse(normalized.event.rawEvents ?? 'null')).toEqual(events);
  });

  it('the search create/status responses are not offenses', () => {
    const error = expectError(normalizeQradarOffense({ payload: (fixture('xsoar_ariel_search_lifecycle.json') as Record<string, unknown>)['search_status_get_response'] }, ctx));
    expect(error.kind).toBe('invalid-payload');
    expect(error.issues.map((i) => i.path)).toEqual(['payload.id', 'payload.start_time']);
  });
});

describe.each(['xsoar_offense_notes.json', 'xsoar_closing_reasons_response.json'])('qradar/%s', (name) => {
  it('is not an offense: a clear invalid-payload error', () => {
    const error = expectError(normalizeQradarOffense({ payload: fixture(name) }, ctx));
    expect(error.kind).toBe('invalid-payload');
    expect(error.source).toBe('qradar.offense');
    expect(error.message).toMatch(/^invalid qradar.offense payload: payload/);
  });
});

describe('normalizeRawRecord (the raw topic records)', () => {
  it('routes an ASFF finding and keeps its text as raw', () => {
    const text = fixtureText('asff_guardduty_sshbruteforce_awsdocs.json');
    const normalized = expectOk(normalizeRawRecord({ kind: 'securityhub_finding', payload: text }, ctx));
    expect(normalized.event.eventId).toBe('guardduty:46ba0ac2845071e23ccdeb2ae03bfdea');
    expect(normalized.event.raw).toBe(text);
  });

  it('routes a QRadar offense with its Ariel rows text', () => {
    const eventsText = JSON.stringify(ariel.search_results_get_response.events);
    const normalized = expectOk(normalizeRawRecord({
      kind: 'qradar_offense', payload: JSON.stringify(offenses[0]), addresses: { source: ['10.1.1.1'], localDestination: [] }, events: eventsText,
    }, ctx));
    expect(normalized.event.eventId).toBe('qradar:offense:16');
    expect(normalized.event.rawEvents).toBe(eventsText);
    expect(normalized.event.entities.ips[0]).toEqual({ address: '10.1.1.1', role: 'actor', scope: 'private', namespace: 'corp', nonEvidence: false, nonEvidenceReason: null });
  });

  it.each([
    [{ kind: 'cloudtrail_event', payload: '{"eventID": ' }, 'invalid-json'],
    [{ kind: 'qradar_offense', payload: JSON.stringify(offenses[0]), events: '{"not": "rows"}' }, 'invalid-payload'],
    [{ kind: 'qradar_offense', payload: JSON.stringify(offenses[0]), events: '[' }, 'invalid-json'],
    [{ kind: 'unknown', payload: '{}' }, 'unsupported'],
    [{ kind: 'cloudtrail_event', payload: fixtureText('cloudtrail_invictus_aws_dataset_excerpt.json') }, 'unsupported'],
  ] as const)('%j -> %s', (record, kind) => {
    expect(expectError(normalizeRawRecord(record, ctx)).kind).toBe(kind);
  });
});
