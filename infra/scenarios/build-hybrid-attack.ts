/**
 * Builds infra/scenarios/hybrid-attack.jsonl, the main job's bundled scenario, in the replay format
 * of DESIGN.md section 8: `npx tsx infra/scenarios/build-hybrid-attack.ts`.
 *
 * Every record is a reference payload from ../shared/reference-payloads (or the project's camelCase
 * GuardDuty fixture) with only times, ids, names and addresses changed, so the shapes are the real
 * APIs'. The story, on 2026-11-20 (UTC):
 *
 *   A  08:58 QRadar: VPN login failures for jdoe from 39.116.161.122 (a Tor exit in the demo feed)
 *      09:05 QRadar: VPN login success for jdoe from the same IP after the failures
 *      09:12 CloudTrail: ConsoleLogin of IAM user jdoe (= jdoe@corp.example) from the same IP, no MFA
 *      -> one hybrid incident (identity jdoe, IP 39.116.161.122)
 *   B  09:20 CloudTrail: the instance role of i-0c10c2c7863d1a356 used from 18.236.253.47 (outside AWS)
 *      09:21 CloudTrail: DescribeInstances with the same stolen session
 *      09:24 GuardDuty: InstanceCredentialExfiltration.OutsideAWS for that instance, remote 18.236.253.47
 *      09:26 QRadar: inbound connection from 18.236.253.47 (a credential-exfiltration host in the feed)
 *      -> one hybrid incident (IP 18.236.253.47)
 *   Noise and known false positives, each its own incident:
 *      01:30 QRadar: logon failures of svc-backup during the nightly AD sync (scheduled job + service account)
 *      10:02 QRadar: port scan from the authorised scanner 192.0.2.10
 *      10:15 GuardDuty (ASFF via Security Hub): SSH brute force against web-prod-01 from 199.241.229.197
 *      10:30 CloudTrail: Terraform CI DescribeInstances (benign user agent)
 *      10:40 CloudTrail: an AWS service acting for the account (`AWS Internal`, not an IP)
 *      11:00-11:25 CloudTrail: six people signing in through the corporate NAT egress 198.51.100.7
 *      -> a hot key: the NAT IP links none of them
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Json = Record<string, unknown>;
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const reference = (path: string): unknown => JSON.parse(readFileSync(here(`../../../shared/reference-payloads/${path}`), 'utf8'));
const clone = <T>(value: T): T => structuredClone(value);

const DAY = '2026-11-20';
const at = (hhmm: string) => Date.parse(`${DAY}T${hhmm}:00Z`);
const iso = (hhmm: string) => `${DAY}T${hhmm}:00Z`;
const ACCOUNT = '562283505220';

const offenseTemplate = (reference('qradar/xsoar_offenses_list_response.json') as Json[])[0] as Json;
const arielRow = ((JSON.parse(readFileSync(here('qradar-sample.jsonl'), 'utf8').split('\n')[0] ?? '{}') as Json)['events'] as Json[])[0] as Json;
const consoleLogin = (reference('aws/cloudtrail_stratus_console-login-without-mfa.json') as Json[])[0] as Json;
const stolen = reference('aws/cloudtrail_stratus_ec2-steal-instance-credentials_excerpt.json') as Json[];
const asff = reference('aws/asff_guardduty_sshbruteforce_awsdocs.json') as Json;
const guardDutyCamel = (JSON.parse(readFileSync(here('../../services/aws-ingest/test/fixtures/guardduty_eventbridge_camel.json'), 'utf8')) as Json)['detail'] as Json;

interface OffenseSpec {
  id: number;
  start: string;
  description: string;
  categories: string[];
  offenseType: number;
  offenseSource: string;
  severity: number;
  sources: string[];
  destinations: string[];
  rows: Json[];
}

function offense(spec: OffenseSpec): Json {
  const start = at(spec.start);
  // Without address ids the QRadar emulator allocates one per address, as a console would.
  const { source_address_ids: _sources, local_destination_address_ids: _destinations, ...template } = clone(offenseTemplate);
  const payload = {
    ...template,
    id: spec.id,
    description: `${spec.description}\n`,
    categories: spec.categories,
    category_count: spec.categories.length,
    offense_type: spec.offenseType,
    offense_source: spec.offenseSource,
    severity: spec.severity,
    magnitude: Math.max(1, Math.round(spec.severity * 0.8)),
    start_time: start,
    last_updated_time: start + 4 * 60_000,
    event_count: spec.rows.length,
    source_count: spec.sources.length,
    local_destination_count: spec.destinations.length,
    status: 'OPEN',
    inactive: false,
  };
  return { source: 'qradar.offense', payload, addresses: { source: spec.sources, localDestination: spec.destinations }, events: spec.rows };
}

function row(time: string, fields: Json): Json {
  const starttime = at(time);
  return { ...clone(arielRow), rulename_creEventList: [], starttime, devicetime: starttime - 1000, ...fields };
}

function cloudTrail(base: Json, fields: Json): Json {
  return { source: 'cloudtrail.event', payload: { ...clone(base), recipientAccountId: ACCOUNT, awsRegion: 'eu-west-2', ...fields } };
}

const iamUser = (userName: string, principalId: string) => ({
  type: 'IAMUser',
  principalId,
  arn: `arn:aws:iam::${ACCOUNT}:user/${userName}`,
  accountId: ACCOUNT,
  userName,
});

const vpnFailure = (time: string) =>
  row(time, {
    qidname_qid: 'VPN authentication failed',
    qiddescription_qid: 'VPN authentication failed: bad password',
    categoryname_highlevelcategory: 'Authentication',
    categoryname_category: 'User Login Failure',
    logsourcename_logsourceid: 'VPN @ 192.168.0.1',
    logsourcetypename_devicetype: 'Cisco Firepower Threat Defense',
    sourceip: '39.116.161.122',
    destinationip: '192.168.0.1',
    destinationport: 443,
    username: 'jdoe',
  });

const stolenSession = clone((stolen[0] as Json)['userIdentity'] as Json);
{
  const role = 'web-prod-instance-role';
  stolenSession['accountId'] = ACCOUNT;
  stolenSession['principalId'] = 'AROALHCCSKSM395EGX3XN:i-0c10c2c7863d1a356';
  stolenSession['arn'] = `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/i-0c10c2c7863d1a356`;
  const context = stolenSession['sessionContext'] as Json;
  const issuer = context['sessionIssuer'] as Json;
  issuer['accountId'] = ACCOUNT;
  issuer['arn'] = `arn:aws:iam::${ACCOUNT}:role/${role}`;
  issuer['userName'] = role;
}

const exfiltration = clone(guardDutyCamel);
Object.assign(exfiltration, {
  accountId: ACCOUNT,
  region: 'eu-west-2',
  id: '7eb2d1c0a4f95e8c2b3d6a1f0e9c8b7a',
  arn: `arn:aws:guardduty:eu-west-2:${ACCOUNT}:detector/d4b040365221be2b54a6264dc9a4bc64/finding/7eb2d1c0a4f95e8c2b3d6a1f0e9c8b7a`,
  type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
  severity: 8,
  createdAt: iso('09:24'),
  updatedAt: iso('09:24'),
  title: 'Credentials for instance role web-prod-instance-role used from an external IP address.',
  description: 'Credentials created exclusively for an EC2 instance through instance role web-prod-instance-role have been used from external IP address 18.236.253.47.',
  resource: {
    resourceType: 'AccessKey',
    accessKeyDetails: { accessKeyId: 'ASIAP5CT9NN8EYVU1FXV', principalId: 'AROALHCCSKSM395EGX3XN:i-0c10c2c7863d1a356', userName: 'web-prod-instance-role', userType: 'AssumedRole' },
    instanceDetails: { instanceId: 'i-0c10c2c7863d1a356', instanceType: 't2.micro' },
  },
  service: {
    serviceName: 'guardduty',
    detectorId: 'd4b040365221be2b54a6264dc9a4bc64',
    action: {
      actionType: 'AWS_API_CALL',
      awsApiCallAction: {
        api: 'DescribeInstances',
        serviceName: 'ec2.amazonaws.com',
        callerType: 'Remote IP',
        remoteIpDetails: { ipAddressV4: '18.236.253.47', organization: { asnOrg: 'AMAZON-02' }, country: { countryName: 'United States' } },
      },
    },
    archived: false,
    count: 2,
    eventFirstSeen: iso('09:20'),
    eventLastSeen: iso('09:21'),
  },
});

const bruteForce = clone(asff);
Object.assign(bruteForce, { FirstObservedAt: iso('10:15'), LastObservedAt: iso('10:19'), CreatedAt: iso('10:16'), UpdatedAt: iso('10:19') });

const natUsers = ['akim', 'bsato', 'cmoreau', 'dnovak', 'efischer', 'gpatel'];

const lines: Json[] = [
  // A: the VPN brute force and login of jdoe, then jdoe's console login from the same IP.
  offense({
    id: 101, start: '08:58', description: 'Multiple VPN Login Failures for the Same User', categories: ['User Login Failure', 'General Authentication Failed'],
    offenseType: 3, offenseSource: 'jdoe', severity: 6, sources: ['39.116.161.122'], destinations: ['192.168.0.1'],
    rows: [vpnFailure('08:58'), vpnFailure('08:59'), vpnFailure('09:00'), vpnFailure('09:01')],
  }),
  offense({
    id: 102, start: '09:05', description: 'VPN Login Success Following Repeated Failures', categories: ['User Login Success', 'Suspicious Activity'],
    offenseType: 3, offenseSource: 'jdoe', severity: 7, sources: ['39.116.161.122'], destinations: ['192.168.0.1'],
    rows: [row('09:05', { qidname_qid: 'VPN session established', categoryname_highlevelcategory: 'Authentication', categoryname_category: 'User Login Success', logsourcename_logsourceid: 'VPN @ 192.168.0.1', sourceip: '39.116.161.122', destinationip: '192.168.0.1', destinationport: 443, username: 'jdoe' })],
  }),
  cloudTrail(consoleLogin, { eventID: '2f0c7d1e-5a44-4c61-9a0e-1f3b7c9d0a11', eventTime: iso('09:12'), sourceIPAddress: '39.116.161.122', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0', userIdentity: iamUser('jdoe', 'AIDA1ERT0661IN5R239V') }),
  // B: stolen instance credentials used from outside AWS, GuardDuty's finding, and QRadar seeing the same host.
  cloudTrail(stolen[0] as Json, { eventID: '8a1d2b3c-4e5f-4a6b-8c7d-9e0f1a2b3c4d', eventTime: iso('09:20'), requestID: 'c1a2b3c4-0000-4000-8000-000000000001', userIdentity: stolenSession, sourceIPAddress: '18.236.253.47', userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0' }),
  cloudTrail(stolen[1] as Json, { eventID: '9b2e3c4d-5f60-4b7c-9d8e-0f1a2b3c4d5e', eventTime: iso('09:21'), requestID: 'c1a2b3c4-0000-4000-8000-000000000002', userIdentity: stolenSession, sourceIPAddress: '18.236.253.47', userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0' }),
  { source: 'guardduty.finding', payload: exfiltration },
  offense({
    id: 103, start: '09:26', description: 'Inbound Connection From Known Credential-Exfiltration Host', categories: ['Suspicious Activity', 'Access Permitted'],
    offenseType: 0, offenseSource: '18.236.253.47', severity: 5, sources: ['18.236.253.47'], destinations: ['192.168.5.10'],
    rows: [row('09:26', { qidname_qid: 'Firewall Permit', categoryname_highlevelcategory: 'Access', categoryname_category: 'Firewall Permit', logsourcename_logsourceid: 'Firewall @ 192.168.5.1', sourceip: '18.236.253.47', destinationip: '192.168.5.10', destinationport: 22, username: null })],
  }),
  // Known false positives and benign noise.
  offense({
    id: 100, start: '01:30', description: 'Multiple Login Failures for the Same User', categories: ['User Login Failure'],
    offenseType: 3, offenseSource: 'svc-backup', severity: 4, sources: ['192.168.3.3'], destinations: ['192.168.3.30'],
    rows: [row('01:30', { qidname_qid: 'Logon failure: unknown user name or bad password', categoryname_highlevelcategory: 'Authentication', categoryname_category: 'User Login Failure', logsourcename_logsourceid: 'WindowsAuthServer @ 192.168.3.30', sourceip: '192.168.3.3', destinationip: '192.168.3.30', username: 'svc-backup' })],
  }),
  offense({
    id: 105, start: '10:02', description: 'Port Scan Detected', categories: ['Network Sweep', 'Reconnaissance'],
    offenseType: 0, offenseSource: '192.0.2.10', severity: 5, sources: ['192.0.2.10'], destinations: ['192.168.7.20'],
    rows: [row('10:02', { qidname_qid: 'Port scan', categoryname_highlevelcategory: 'Recon', categoryname_category: 'Network Sweep', logsourcename_logsourceid: 'IDS @ 192.168.7.1', sourceip: '192.0.2.10', destinationip: '192.168.7.20', username: null })],
  }),
  { source: 'securityhub.finding', payload: bruteForce },
  cloudTrail(stolen[1] as Json, { eventID: 'a3c4d5e6-7f80-4a9b-8c0d-1e2f3a4b5c6d', eventTime: iso('10:30'), requestID: 'c1a2b3c4-0000-4000-8000-000000000003', sourceIPAddress: '52.94.133.131', userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0 aws-sdk-go-v2/1.32.0', userIdentity: iamUser('ci-deployer', 'AIDA5CIDEPLOYER00001') }),
  cloudTrail(stolen[0] as Json, { eventID: 'b4d5e6f7-8091-4b0c-9d1e-2f3a4b5c6d7e', eventTime: iso('10:40'), requestID: 'c1a2b3c4-0000-4000-8000-000000000004', sourceIPAddress: 'AWS Internal', userAgent: 'AWS Internal', userIdentity: { type: 'AWSService', invokedBy: 'config.amazonaws.com' } }),
  ...natUsers.map((user, i) =>
    cloudTrail(consoleLogin, {
      eventID: `c5e6f7a8-90a1-4c2d-8e3f-4a5b6c7d8e${String(i).padStart(2, '0')}`,
      eventTime: iso(`11:${String(i * 5).padStart(2, '0')}`),
      sourceIPAddress: '198.51.100.7',
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15',
      additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MFAUsed: 'Yes', MobileVersion: 'No' },
      userIdentity: iamUser(user, `AIDANAT${String(i).padStart(13, '0')}`),
    }),
  ),
];

const out = here('hybrid-attack.jsonl');
writeFileSync(out, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
process.stdout.write(`wrote ${lines.length} lines to ${out}\n`);
