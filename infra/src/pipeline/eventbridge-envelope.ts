/**
 * Wraps an AWS replay line the way EventBridge delivers it to an API destination, so the replay
 * goes through aws-ingest's real intake (POST /eventbridge) and not around it. Pure.
 *
 * detail-types and sources as AWS documents them: "Security Hub Findings - Imported" from
 * aws.securityhub (detail.findings[]), "GuardDuty Finding" from aws.guardduty (detail = the
 * finding), "AWS API Call via CloudTrail" from aws.<service> (detail = the CloudTrail record;
 * ConsoleLogin arrives as "AWS Console Sign In via CloudTrail" from aws.signin).
 */
import { createHash } from 'node:crypto';
import type { ReplayLine } from './replay-input';

export interface EventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

const pick = (payload: Readonly<Record<string, unknown>>, ...keys: string[]): string | undefined => {
  for (const key of keys) {
    const value = payload[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
};

/** Deterministic event id (a UUID-shaped hash of source and record id), so a re-fed line is recognisable. */
function eventId(line: ReplayLine): string {
  const hex = createHash('sha256').update(`${line.source}\u0000${line.sourceId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const UNKNOWN_ACCOUNT = '000000000000';

export function toEventBridgeEvent(line: ReplayLine): EventBridgeEvent {
  const { payload } = line;
  const time = new Date(line.eventTime).toISOString().replace(/\.\d{3}Z$/, 'Z');
  switch (line.source) {
    case 'securityhub.finding':
      return {
        version: '0',
        id: eventId(line),
        'detail-type': 'Security Hub Findings - Imported',
        source: 'aws.securityhub',
        account: pick(payload, 'AwsAccountId') ?? UNKNOWN_ACCOUNT,
        time,
        region: pick(payload, 'Region') ?? 'us-east-1',
        resources: [pick(payload, 'ProductArn') ?? ''].filter((r) => r !== ''),
        detail: { findings: [payload] },
      };
    case 'guardduty.finding':
      return {
        version: '0',
        id: eventId(line),
        'detail-type': 'GuardDuty Finding',
        source: 'aws.guardduty',
        account: pick(payload, 'accountId', 'AccountId') ?? UNKNOWN_ACCOUNT,
        time,
        region: pick(payload, 'region', 'Region') ?? 'us-east-1',
        resources: [],
        detail: payload,
      };
    case 'cloudtrail.event': {
      const eventSource = pick(payload, 'eventSource') ?? 'unknown.amazonaws.com';
      const signIn = pick(payload, 'eventType') === 'AwsConsoleSignIn';
      const account = pick(payload, 'recipientAccountId') ?? (typeof payload['userIdentity'] === 'object' && payload['userIdentity'] !== null ? pick(payload['userIdentity'] as Record<string, unknown>, 'accountId') : undefined);
      return {
        version: '0',
        id: eventId(line),
        'detail-type': signIn ? 'AWS Console Sign In via CloudTrail' : 'AWS API Call via CloudTrail',
        source: signIn ? 'aws.signin' : `aws.${eventSource.replace(/\.amazonaws\.com$/, '')}`,
        account: account ?? UNKNOWN_ACCOUNT,
        time,
        region: pick(payload, 'awsRegion') ?? 'us-east-1',
        resources: [],
        detail: payload,
      };
    }
    case 'qradar.offense':
      throw new Error('QRadar offenses are not EventBridge events: they are fed to the QRadar API');
  }
}
