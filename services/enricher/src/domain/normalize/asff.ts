import { z } from 'zod';
import { guarddutyCategory, kebab, tacticOf } from '../categories';
import { type EntityCollector, collectEntities } from '../entities';
import { type NormalizeError, type Result, err, ok, payloadError } from '../result';
import type { IdentityKind, MitreTechnique, NormalizeContext, NormalizedEvent, Role } from '../security-event';
import { ASFF_LABELS, asffSeverity } from '../severity';
import { parseIsoMillis } from '../time';
import { assemble, instanceIdOfArn, isoMillis, optionalString, rawTextOf } from './common';
import { addActionEntities, roleOfResource, serviceSchema, unflattenGuardDutyProductFields } from './guardduty-service';

const SOURCE = 'securityhub.finding';

const resourceSchema = z.object({
  Type: z.string().min(1),
  Id: z.string().min(1),
  Details: z.object({
    AwsEc2Instance: z.object({
      IpV4Addresses: z.array(z.string()).nullish(),
      IpV6Addresses: z.array(z.string()).nullish(),
    }).nullish(),
    AwsIamAccessKey: z.object({
      UserName: optionalString,
      PrincipalName: optionalString,
      PrincipalType: optionalString,
    }).nullish(),
    AwsIamUser: z.object({ UserName: optionalString }).nullish(),
  }).nullish(),
});

const findingSchema = z.object({
  Id: z.string().min(1),
  ProductArn: z.string().min(1),
  ProductName: optionalString,
  GeneratorId: optionalString,
  AwsAccountId: z.string().min(1),
  Types: z.array(z.string()).nullish(),
  FirstObservedAt: isoMillis.nullish(),
  CreatedAt: isoMillis,
  UpdatedAt: isoMillis,
  Severity: z.object({
    Label: z.enum(ASFF_LABELS).nullish(),
    Normalized: z.int().min(0).max(100).nullish(),
  }),
  Title: z.string(),
  Description: optionalString,
  ProductFields: z.record(z.string(), z.string()).nullish(),
  Network: z.object({
    Direction: z.enum(['IN', 'OUT']).nullish(),
    SourceIpV4: optionalString,
    SourceIpV6: optionalString,
    SourceDomain: optionalString,
    DestinationIpV4: optionalString,
    DestinationIpV6: optionalString,
    DestinationDomain: optionalString,
  }).nullish(),
  Resources: z.array(resourceSchema).min(1),
});
type AsffFinding = z.infer<typeof findingSchema>;

const GUARDDUTY_FINDING_ARN = /^arn:aws[a-z-]*:guardduty:[^:]*:\d{12}:detector\/[^/]+\/finding\/([^/\s]+)$/;

/** True when Security Hub got this finding from GuardDuty. */
export function isFromGuardDuty(finding: Pick<AsffFinding, 'ProductArn' | 'ProductName' | 'ProductFields'>): boolean {
  return /:product\/aws\/guardduty$/.test(finding.ProductArn) ||
    finding.ProductName === 'GuardDuty' ||
    finding.ProductFields?.['aws/securityhub/ProductName'] === 'GuardDuty';
}

/**
 * The bare GuardDuty finding id of an ASFF finding: the last segment of the GuardDuty finding ARN
 * that is its Id (or that `aws/securityhub/FindingId` ends with).
 */
export function guardDutyIdOf(finding: Pick<AsffFinding, 'Id' | 'ProductFields'>): string | null {
  const fromId = GUARDDUTY_FINDING_ARN.exec(finding.Id)?.[1];
  if (fromId !== undefined) return fromId;
  const securityHubId = finding.ProductFields?.['aws/securityhub/FindingId'] ?? '';
  const embedded = securityHubId.indexOf('arn:aws', 1);
  return embedded < 0 ? null : (GUARDDUTY_FINDING_ARN.exec(securityHubId.slice(embedded))?.[1] ?? null);
}

/**
 * `category` from ASFF Types (`namespace/category/classifier`). A GuardDuty finding type in the
 * classifier (`UnauthorizedAccess:EC2-SSHBruteForce`) gives the same category a native GuardDuty
 * finding gets; otherwise a TTPs type gives its tactic, and anything else `namespace/category`.
 * `mitre[]` holds the tactics the TTPs types name.
 */
function categoryOf(types: readonly string[], fromGuardDuty: boolean): { category: string; mitre: MitreTechnique[] } {
  const mitre: MitreTechnique[] = [];
  for (const type of types) {
    const [namespace = '', tactic = ''] = type.split('/');
    const tacticEntry = namespace === 'TTPs' ? tacticOf(kebab(tactic)) : null;
    if (tacticEntry !== null && !mitre.some((m) => m.tactic === tacticEntry.tactic)) mitre.push(tacticEntry);
  }
  const first = types[0] ?? '';
  const parts = first.split('/');
  const classifier = parts[2] ?? '';
  if (fromGuardDuty && classifier.includes(':')) return { category: guarddutyCategory(classifier), mitre };
  if (parts[0] === 'TTPs' && parts[1] !== undefined && tacticOf(kebab(parts[1])) !== null) {
    return { category: kebab(parts[1]), mitre };
  }
  const category = parts.slice(0, 2).map(kebab).filter((p) => p !== '').join('/');
  return { category: category || 'unknown', mitre };
}

function addResources(entities: EntityCollector, resources: AsffFinding['Resources'], role: Role): void {
  for (const resource of resources) {
    if (resource.Type === 'AwsAccount') {
      entities.account(/(\d{12})/.exec(resource.Id)?.[1]);
      continue;
    }
    if (resource.Id.startsWith('arn:')) entities.cloudResource(resource.Id);
    entities.cloudResource(instanceIdOfArn(resource.Id) ?? (/^i-[0-9a-z]+$/i.test(resource.Id) ? resource.Id : null));
    const ec2 = resource.Details?.AwsEc2Instance;
    for (const ip of ec2?.IpV4Addresses ?? []) entities.ip(ip, role, 'Resources.Details.AwsEc2Instance.IpV4Addresses');
    for (const ip of ec2?.IpV6Addresses ?? []) entities.ip(ip, role, 'Resources.Details.AwsEc2Instance.IpV6Addresses');
    const key = resource.Details?.AwsIamAccessKey;
    const keyUser = key?.UserName ?? key?.PrincipalName;
    if (keyUser) {
      const kind: IdentityKind = key?.PrincipalType === 'AssumedRole' ? 'iam_role_session'
        : key?.PrincipalType === 'Root' ? 'root' : 'iam_user';
      entities.identity(keyUser, kind, role);
    }
    entities.identity(resource.Details?.AwsIamUser?.UserName, 'iam_user', role);
  }
}

/**
 * ASFF finding (Security Hub) -> SecurityEvent.
 * - eventId `securityhub:<Id>`, except findings GuardDuty generated: `guardduty:<bare id>`, the
 *   same event a native GuardDuty finding gets (source `guardduty`, rawKind `securityhub_finding`).
 * - observedAt = FirstObservedAt (else CreatedAt); sourceUpdatedAt = UpdatedAt.
 * - Network: the source address initiated the connection (actor), the destination received it
 *   (target). Network.Direction (IN/OUT) says which side the resources are on: IN -> targets, OUT
 *   -> actors. GuardDuty findings take the resource role from ProductFields resourceRole instead,
 *   and their action's IPs from the flattened service block.
 */
export function normalizeAsffFinding(
  payload: unknown,
  context: NormalizeContext,
  rawText?: string,
): Result<NormalizedEvent, NormalizeError> {
  const parsed = findingSchema.safeParse(payload);
  if (!parsed.success) return err(payloadError(SOURCE, parsed.error));
  const f = parsed.data;
  const severity = asffSeverity(f.Severity.Label ?? undefined, f.Severity.Normalized ?? undefined);
  if (severity === null) {
    return err({
      kind: 'invalid-payload', source: SOURCE, message: `invalid ${SOURCE} payload: Severity has neither Label nor Normalized`,
      issues: [{ path: 'Severity', message: 'Label or Normalized is required' }],
    });
  }
  const entities = collectEntities(context);
  const fromGuardDuty = isFromGuardDuty(f);
  const guardDutyId = fromGuardDuty ? guardDutyIdOf(f) : null;
  if (fromGuardDuty && guardDutyId === null) {
    entities.note({ kind: 'missing-context', what: 'guardduty finding id (kept the Security Hub id)' });
  }

  entities.account(f.AwsAccountId);
  entities.ip(f.Network?.SourceIpV4, 'actor', 'Network.SourceIpV4');
  entities.ip(f.Network?.SourceIpV6, 'actor', 'Network.SourceIpV6');
  entities.ip(f.Network?.DestinationIpV4, 'target', 'Network.DestinationIpV4');
  entities.ip(f.Network?.DestinationIpV6, 'target', 'Network.DestinationIpV6');
  entities.host(f.Network?.SourceDomain, 'actor');
  entities.host(f.Network?.DestinationDomain, 'target');

  let resourceRole: Role = f.Network?.Direction === 'OUT' ? 'actor' : 'target';
  let observedAt = f.FirstObservedAt ?? f.CreatedAt;
  const severityReasons: string[] = [];
  let userAgent: string | null = null;
  if (fromGuardDuty && f.ProductFields) {
    const service = serviceSchema.safeParse(unflattenGuardDutyProductFields(f.ProductFields));
    if (service.success) {
      resourceRole = roleOfResource(service.data.resourceRole);
      const actionType = addActionEntities(entities, service.data.action, 'ProductFields.action');
      severityReasons.push(`action ${actionType}`);
      userAgent = service.data.action?.awsApiCallAction?.userAgent ?? null;
      const firstSeen = service.data.eventFirstSeen ? parseIsoMillis(service.data.eventFirstSeen) : null;
      if (f.FirstObservedAt === undefined || f.FirstObservedAt === null) observedAt = firstSeen ?? observedAt;
    } else {
      entities.note({ kind: 'missing-context', what: 'guardduty service ProductFields (unreadable)' });
    }
  }
  addResources(entities, f.Resources, resourceRole);

  const { category, mitre } = categoryOf(f.Types ?? [], fromGuardDuty);
  const sourceId = guardDutyId ?? f.Id;
  return ok(assemble({
    source: guardDutyId === null ? 'securityhub' : 'guardduty',
    rawKind: 'securityhub_finding',
    sourceId,
    eventId: guardDutyId === null ? `securityhub:${f.Id}` : `guardduty:${guardDutyId}`,
    observedAt,
    sourceUpdatedAt: f.UpdatedAt,
    title: f.Title,
    description: f.Description ?? null,
    category,
    severity,
    extraSeverityReasons: severityReasons,
    mitre,
    raw: rawTextOf(payload, rawText),
    rawEvents: null,
    userAgent,
  }, entities, context.ingestedAt));
}
