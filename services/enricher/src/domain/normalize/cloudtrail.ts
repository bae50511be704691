import { z } from 'zod';
import { type EntityCollector, type ServicePrincipalReason, collectEntities } from '../entities';
import { parseIp } from '../ip';
import { type NormalizeError, type Result, err, ok, payloadError, simpleError } from '../result';
import type { IdentityKind, NormalizeContext, NormalizedEvent } from '../security-event';
import { INSTANCE_ID, assemble, isoMillis, lenientString, optionalString, rawTextOf } from './common';
import { SENSITIVE_APIS, cloudTrailSeverity } from './cloudtrail-severity';

const SOURCE = 'cloudtrail.event';

const sessionIssuerSchema = z.object({
  type: optionalString,
  arn: optionalString,
  accountId: optionalString,
  userName: optionalString,
}).nullish();

const userIdentitySchema = z.object({
  type: optionalString,
  principalId: optionalString,
  arn: optionalString,
  accountId: optionalString,
  userName: optionalString,
  invokedBy: optionalString,
  sessionContext: z.object({
    sessionIssuer: sessionIssuerSchema,
    attributes: z.object({ mfaAuthenticated: optionalString }).nullish(),
  }).nullish(),
  onBehalfOf: z.object({ userId: optionalString }).nullish(),
});

const recordSchema = z.object({
  eventID: z.string().min(1),
  eventTime: isoMillis,
  eventSource: z.string().min(1),
  eventName: z.string().min(1),
  sourceIPAddress: optionalString,
  userIdentity: userIdentitySchema,
  errorCode: optionalString,
  errorMessage: optionalString,
  userAgent: lenientString,
  requestParameters: z.record(z.string(), z.unknown()).nullish(),
  responseElements: z.record(z.string(), z.unknown()).nullish(),
  additionalEventData: z.record(z.string(), z.unknown()).nullish(),
  recipientAccountId: optionalString,
  resources: z.array(z.object({ ARN: optionalString, accountId: optionalString })).nullish(),
});
type CloudTrailRecord = z.infer<typeof recordSchema>;

/** The records of a CloudTrail file: `{"Records": [...]}`, a bare array, or one record. */
export function cloudTrailRecordsOf(payload: unknown): unknown[] {
  if (Array.isArray(payload)) return payload;
  if (typeof payload === 'object' && payload !== null && 'Records' in payload && Array.isArray(payload.Records)) {
    return payload.Records as unknown[];
  }
  return [payload];
}

/** Unwraps an EventBridge envelope (`detail-type: AWS API Call via CloudTrail`, `AWS Console Sign In ...`). */
function unwrapEventBridge(payload: unknown): unknown {
  if (typeof payload === 'object' && payload !== null && 'detail' in payload && 'detail-type' in payload) {
    return payload.detail;
  }
  return payload;
}

/** CloudTrail hides names it must not reveal (failed logins for unknown users). */
const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/** AWS service endpoints and internal callers: `ec2.amazonaws.com`, `AWS Internal`. */
export function isAwsServiceName(value: string): boolean {
  const v = value.trim().toLowerCase();
  return v === 'aws internal' || /(^|\.)amazonaws\.com(\.cn)?$/.test(v) || /\.aws\.internal$/.test(v);
}

/** `arn:aws:sts::123:assumed-role/Role/session` -> `Role/session`. */
function roleSessionOf(arn: string): { role: string; session: string } | null {
  const match = /:assumed-role\/(?:.*\/)?([^/]+)\/([^/]+)$/.exec(arn);
  return match?.[1] !== undefined && match[2] !== undefined ? { role: match[1], session: match[2] } : null;
}

const isServiceLinkedRole = (issuerArn: string | null | undefined, roleName: string): boolean =>
  /:role\/aws-service-role\//.test(issuerArn ?? '') || /^AWSServiceRoleFor/.test(roleName);

const nameKind = (name: string): IdentityKind => (/^[^@\s]+@[^@\s]+$/.test(name) ? 'email' : 'unknown');

/**
 * The identity behind `userIdentity`, by type. Calls made by an AWS service (type AWSService, an
 * `invokedBy`, a service-linked role session) go to hygiene as service principals.
 */
function addUserIdentity(entities: EntityCollector, record: CloudTrailRecord): boolean {
  const id = record.userIdentity;
  const type = id.type?.trim() ?? '';
  const userName = id.userName?.trim() === HIDDEN ? '' : (id.userName?.trim() ?? '');
  let service: { reason: ServicePrincipalReason; by: string } | undefined;
  if (id.invokedBy) service = { reason: type === 'AWSService' ? 'aws-service' : 'invoked-by-aws-service', by: id.invokedBy };
  entities.account(id.accountId);
  entities.account(id.sessionContext?.sessionIssuer?.accountId);
  switch (type) {
    case 'Root':
      entities.identity(id.arn ?? (id.accountId ? `arn:aws:iam::${id.accountId}:root` : null), 'root', 'actor', service);
      break;
    case 'IAMUser':
      entities.identity(userName || id.arn?.split('/').pop(), 'iam_user', 'actor', service);
      break;
    case 'AssumedRole': {
      const session = id.arn ? roleSessionOf(id.arn) : null;
      if (session === null) break;
      const issuerArn = id.sessionContext?.sessionIssuer?.arn;
      if (service === undefined && isServiceLinkedRole(issuerArn, session.role)) {
        service = { reason: 'service-linked-role', by: session.role };
      }
      entities.identity(`${session.role}/${session.session}`, 'iam_role_session', 'actor', service);
      // Instance-profile sessions are named after the instance: stolen instance credentials show up
      // as this role session used from elsewhere.
      if (INSTANCE_ID.test(session.session)) entities.cloudResource(session.session);
      break;
    }
    case 'FederatedUser': {
      const name = /:federated-user\/(.+)$/.exec(id.arn ?? '')?.[1];
      const issuer = id.sessionContext?.sessionIssuer?.userName ?? 'federated-user';
      if (name !== undefined) entities.identity(`${issuer}/${name}`, 'iam_role_session', 'actor', service);
      break;
    }
    case 'AWSService':
      entities.identity(id.invokedBy ?? id.principalId, 'unknown', 'actor', service ?? { reason: 'aws-service', by: id.invokedBy ?? '' });
      return true;
    case 'IdentityCenterUser':
      entities.identity(userName || id.onBehalfOf?.userId, userName ? nameKind(userName) : 'unknown', 'actor', service);
      break;
    case 'AWSAccount':
      // Another account's principal: only the account is known.
      break;
    default:
      // Unknown, SAMLUser, WebIdentityUser and future types: the user name when there is one.
      entities.identity(userName, nameKind(userName), 'actor', service);
  }
  return service !== undefined;
}

/** Instance ids and ARNs the call was about. */
function addTargets(entities: EntityCollector, record: CloudTrailRecord): void {
  const params = record.requestParameters ?? {};
  const instanceId = params['instanceId'];
  if (typeof instanceId === 'string' && /^i-[0-9a-z]+$/i.test(instanceId)) entities.cloudResource(instanceId);
  const instanceIds = params['instanceIds'];
  if (Array.isArray(instanceIds)) {
    for (const value of instanceIds) if (typeof value === 'string' && /^i-[0-9a-z]+$/i.test(value)) entities.cloudResource(value);
  }
  const instancesSet = params['instancesSet'] as { items?: unknown } | undefined;
  if (typeof instancesSet === 'object' && instancesSet !== null && Array.isArray(instancesSet.items)) {
    for (const item of instancesSet.items as unknown[]) {
      const value = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['instanceId'] : undefined;
      if (typeof value === 'string') entities.cloudResource(value);
    }
  }
  for (const resource of record.resources ?? []) {
    entities.cloudResource(resource.ARN);
    entities.account(resource.accountId);
  }
  // IAM calls on another user (CreateAccessKey, AttachUserPolicy ...): that user is the target.
  const targetUser = params['userName'];
  if (record.eventSource === 'iam.amazonaws.com' && typeof targetUser === 'string') {
    entities.identity(targetUser, 'iam_user', 'target');
  }
}

function addSourceAddress(entities: EntityCollector, value: string | null | undefined, serviceCall: boolean): void {
  if (!value) return;
  const field = 'sourceIPAddress';
  if (parseIp(value) === null) {
    const trimmed = value.trim();
    if (trimmed.toLowerCase() === 'aws internal') entities.note({ kind: 'not-an-ip', value, reason: 'aws-internal', field });
    else if (isAwsServiceName(trimmed)) entities.note({ kind: 'not-an-ip', value, reason: 'service-host-name', field });
    else if (/^[a-z0-9.-]+$/i.test(trimmed)) entities.note({ kind: 'not-an-ip', value, reason: 'host-name', field });
    else entities.ip(value, 'actor', field); // records an invalid-ip note
    return;
  }
  if (serviceCall) {
    entities.nonEvidenceIp(value, 'actor', field, 'aws-service-call');
    return;
  }
  entities.ip(value, 'actor', field);
}

const CATEGORY_OF_LOGIN = 'authentication';

/**
 * CloudTrail record (one record of a `{"Records": [...]}` file, or an EventBridge event around
 * one) -> SecurityEvent.
 * - eventId `cloudtrail:<eventID>`; observedAt = sourceUpdatedAt = eventTime.
 * - userIdentity is the actor (per type, see addUserIdentity); sourceIPAddress is an actor IP
 *   unless it is `AWS Internal` or a host name, or the call was made by an AWS service.
 * - severity by the documented heuristic; errorCode kept in title, description and errorCode.
 */
export function normalizeCloudTrailRecord(
  payload: unknown,
  context: NormalizeContext,
  rawText?: string,
): Result<NormalizedEvent, NormalizeError> {
  const candidate = unwrapEventBridge(payload);
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return err(simpleError('invalid-payload', SOURCE, 'a CloudTrail record must be a JSON object'));
  }
  if ('Records' in candidate) {
    return err(simpleError('unsupported', SOURCE, 'a CloudTrail file holds several records: split it with cloudTrailRecordsOf first'));
  }
  const parsed = recordSchema.safeParse(candidate);
  if (!parsed.success) return err(payloadError(SOURCE, parsed.error));
  const record = parsed.data;
  const entities = collectEntities(context);

  const serviceCall = addUserIdentity(entities, record);
  entities.account(record.recipientAccountId);
  addSourceAddress(entities, record.sourceIPAddress, serviceCall);
  addTargets(entities, record);

  const consoleLoginValue = record.eventName === 'ConsoleLogin' ? record.responseElements?.['ConsoleLogin'] : undefined;
  const consoleLogin = consoleLoginValue === undefined ? null : consoleLoginValue === 'Success' ? 'success' : 'failure';
  const mfa = record.additionalEventData?.['MFAUsed'];
  const errorCode = record.errorCode?.trim() || null;
  const severity = cloudTrailSeverity({
    eventName: record.eventName,
    consoleLogin,
    mfaUsed: mfa === 'Yes' ? true : mfa === 'No' ? false : null,
    root: record.userIdentity.type === 'Root',
    errorCode,
    servicePrincipal: serviceCall,
  });
  const service = record.eventSource.replace(/\.amazonaws\.com$/, '');
  const title = `${service}:${record.eventName}${consoleLogin === 'failure' ? ' failed' : ''}${errorCode ? ` failed (${errorCode})` : ''}`;
  return ok(assemble({
    source: 'cloudtrail',
    rawKind: 'cloudtrail_event',
    sourceId: record.eventID,
    eventId: `cloudtrail:${record.eventID}`,
    observedAt: record.eventTime,
    sourceUpdatedAt: record.eventTime,
    title,
    description: errorCode ? `${errorCode}: ${record.errorMessage ?? ''}`.trim() : null,
    category: consoleLogin !== null ? CATEGORY_OF_LOGIN : (SENSITIVE_APIS.get(record.eventName)?.category ?? 'cloud-api-call'),
    severity,
    extraSeverityReasons: severity.reasons,
    mitre: [],
    raw: rawTextOf(payload, rawText),
    rawEvents: null,
    errorCode,
    userAgent: record.userAgent ?? null,
  }, entities, context.ingestedAt));
}
