import { z } from 'zod';
import { guarddutyCategory, tacticOf } from '../categories';
import { type EntityCollector, collectEntities } from '../entities';
import { type NormalizeError, type Result, err, ok, payloadError, simpleError } from '../result';
import type { IdentityKind, NormalizeContext, NormalizedEvent, Role } from '../security-event';
import { guarddutySeverity } from '../severity';
import { parseIsoMillis } from '../time';
import { assemble, camelKeys, isoMillis, optionalString, rawTextOf } from './common';
import { addActionEntities, roleOfResource, serviceSchema } from './guardduty-service';

const SOURCE = 'guardduty.finding';

const accessKeyDetailsSchema = z.object({
  accessKeyId: optionalString,
  principalId: optionalString,
  userName: optionalString,
  userType: optionalString,
}).nullish();

const networkInterfaceSchema = z.object({
  privateIpAddress: optionalString,
  privateIpAddresses: z.array(z.object({ privateIpAddress: optionalString, privateDnsName: optionalString })).nullish(),
  publicIp: optionalString,
  ipv6Addresses: z.array(z.string()).nullish(),
  privateDnsName: optionalString,
  publicDnsName: optionalString,
});

const resourceSchema = z.object({
  resourceType: optionalString,
  accessKeyDetails: accessKeyDetailsSchema,
  instanceDetails: z.object({
    instanceId: optionalString,
    networkInterfaces: z.array(networkInterfaceSchema).nullish(),
  }).nullish(),
  eksClusterDetails: z.object({ arn: optionalString }).nullish(),
  kubernetesDetails: z.object({
    kubernetesUserDetails: z.object({ username: optionalString }).nullish(),
  }).nullish(),
  rdsDbInstanceDetails: z.object({ dbInstanceArn: optionalString }).nullish(),
  s3BucketDetails: z.array(z.object({ arn: optionalString })).nullish(),
  lambdaDetails: z.object({ functionArn: optionalString }).nullish(),
  ecsClusterDetails: z.object({ arn: optionalString }).nullish(),
});

/** A GuardDuty finding in camelCase (the EventBridge `detail` shape; PascalCase is converted first). */
const findingSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  severity: z.number().min(0).max(10),
  title: z.string(),
  description: optionalString,
  accountId: z.string().min(1),
  arn: optionalString,
  createdAt: isoMillis,
  updatedAt: isoMillis,
  resource: resourceSchema,
  service: serviceSchema,
});

/** Unwraps an EventBridge envelope (`detail-type: GuardDuty Finding`) when there is one. */
function unwrapEventBridge(payload: unknown): unknown {
  if (typeof payload === 'object' && payload !== null && 'detail' in payload && 'detail-type' in payload) {
    return payload.detail;
  }
  return payload;
}

/** GuardDuty writes PascalCase from its API and Security Hub, camelCase through EventBridge. */
function isPascalCase(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && ('Id' in payload || 'Type' in payload || 'Service' in payload);
}

/**
 * The identity of a GuardDuty access key resource. Root is written as its account ARN (as
 * CloudTrail does), an assumed role as `role/session` from the principal id, an AWS service is a
 * service principal.
 */
export function addAccessKeyIdentity(
  entities: EntityCollector,
  details: z.infer<typeof accessKeyDetailsSchema>,
  accountId: string,
  role: Role,
): void {
  if (details === null || details === undefined) return;
  const userType = details.userType?.trim() ?? '';
  const userName = details.userName?.trim() ?? '';
  const session = details.principalId?.includes(':') ? details.principalId.slice(details.principalId.indexOf(':') + 1) : '';
  switch (userType.toLowerCase()) {
    case 'root':
      entities.identity(`arn:aws:iam::${accountId}:root`, 'root', role);
      return;
    case 'iamuser':
      entities.identity(userName, 'iam_user', role);
      return;
    case 'assumedrole':
    case 'federateduser':
      entities.identity(session === '' ? userName : `${userName}/${session}`, 'iam_role_session', role);
      return;
    case 'awsservice':
      entities.identity(userName || details.principalId, 'unknown', role, { reason: 'aws-service', by: userName });
      return;
    default: {
      const kind: IdentityKind = /@/.test(userName) ? 'email' : 'unknown';
      entities.identity(userName, kind, role);
    }
  }
}

/** Kubernetes user names: IAM ARNs map onto IAM kinds, e-mails onto email, the rest stay unknown. */
function kubernetesIdentityKind(username: string): IdentityKind {
  if (/:user\//.test(username)) return 'iam_user';
  if (/:(assumed-role|role)\//.test(username)) return 'iam_role_session';
  return /@/.test(username) ? 'email' : 'unknown';
}

/**
 * GuardDuty finding (PascalCase API shape or camelCase EventBridge detail, bare or in its
 * EventBridge envelope) -> SecurityEvent. Both shapes give the same event apart from `raw`.
 * - eventId `guardduty:<id>`; observedAt = service.eventFirstSeen (else createdAt);
 *   sourceUpdatedAt = updatedAt.
 * - service.resourceRole decides whether the resource's addresses, DNS names and access-key
 *   identity are actors or targets; the action block gives the remote side (see guardduty-service).
 */
export function normalizeGuardDutyFinding(
  payload: unknown,
  context: NormalizeContext,
  rawText?: string,
): Result<NormalizedEvent, NormalizeError> {
  const finding = unwrapEventBridge(payload);
  if (typeof finding !== 'object' || finding === null || Array.isArray(finding)) {
    return err(simpleError('invalid-payload', SOURCE, 'a GuardDuty finding must be a JSON object'));
  }
  const parsed = findingSchema.safeParse(isPascalCase(finding) ? camelKeys(finding) : finding);
  if (!parsed.success) return err(payloadError(SOURCE, parsed.error));
  const f = parsed.data;
  const entities = collectEntities(context);
  const resourceRole = roleOfResource(f.service.resourceRole);

  entities.account(f.accountId);
  const actionType = addActionEntities(entities, f.service.action, 'service.action');
  addResourceEntities(entities, f.resource, f.accountId, resourceRole);

  const observedAt = (f.service.eventFirstSeen ? parseIsoMillis(f.service.eventFirstSeen) : null) ?? f.createdAt;
  const category = guarddutyCategory(f.type);
  const tactic = tacticOf(category);
  return ok(assemble({
    source: 'guardduty',
    rawKind: 'guardduty_finding',
    sourceId: f.id,
    eventId: `guardduty:${f.id}`,
    observedAt,
    sourceUpdatedAt: f.updatedAt,
    title: f.title,
    description: f.description ?? null,
    category,
    severity: guarddutySeverity(f.severity),
    extraSeverityReasons: [`type ${f.type}`, `action ${actionType}`],
    mitre: tactic === null ? [] : [tactic],
    raw: rawTextOf(payload, rawText),
    rawEvents: null,
    userAgent: f.service.action?.awsApiCallAction?.userAgent ?? null,
  }, entities, context.ingestedAt));
}

function addResourceEntities(
  entities: EntityCollector,
  resource: z.infer<typeof resourceSchema>,
  accountId: string,
  role: Role,
): void {
  addAccessKeyIdentity(entities, resource.accessKeyDetails, accountId, role);
  const instance = resource.instanceDetails;
  entities.cloudResource(instance?.instanceId);
  for (const nic of instance?.networkInterfaces ?? []) {
    entities.ip(nic.privateIpAddress, role, 'resource.instanceDetails.networkInterfaces.privateIpAddress');
    for (const extra of nic.privateIpAddresses ?? []) {
      entities.ip(extra.privateIpAddress, role, 'resource.instanceDetails.networkInterfaces.privateIpAddresses');
      entities.host(extra.privateDnsName, role);
    }
    entities.ip(nic.publicIp, role, 'resource.instanceDetails.networkInterfaces.publicIp');
    for (const ip of nic.ipv6Addresses ?? []) entities.ip(ip, role, 'resource.instanceDetails.networkInterfaces.ipv6Addresses');
    entities.host(nic.privateDnsName, role);
    entities.host(nic.publicDnsName, role);
  }
  const k8sUser = resource.kubernetesDetails?.kubernetesUserDetails?.username;
  if (k8sUser) entities.identity(k8sUser, kubernetesIdentityKind(k8sUser), 'actor');
  entities.cloudResource(resource.eksClusterDetails?.arn);
  entities.cloudResource(resource.rdsDbInstanceDetails?.dbInstanceArn);
  for (const bucket of resource.s3BucketDetails ?? []) entities.cloudResource(bucket.arn);
  entities.cloudResource(resource.lambdaDetails?.functionArn);
  entities.cloudResource(resource.ecsClusterDetails?.arn);
}
