import { z } from 'zod';
import type { EntityCollector } from '../entities';
import type { Role } from '../security-event';
import { lenientString, optionalString } from './common';

/**
 * GuardDuty's `service` block (camelCase), shared by native findings and by the ASFF
 * ProductFields that Security Hub flattens it into. Only the fields Seam reads are described;
 * everything else passes through untouched in `raw`.
 */
const ipDetails = z.object({ ipAddressV4: optionalString, ipAddressV6: optionalString }).nullish();

export const GUARDDUTY_ACTION_TYPES = [
  'AWS_API_CALL', 'NETWORK_CONNECTION', 'PORT_PROBE', 'DNS_REQUEST', 'KUBERNETES_API_CALL', 'RDS_LOGIN_ATTEMPT',
] as const;
export type GuardDutyActionType = (typeof GUARDDUTY_ACTION_TYPES)[number];

export const actionSchema = z.object({
  actionType: optionalString,
  awsApiCallAction: z.object({
    api: optionalString,
    serviceName: optionalString,
    callerType: optionalString,
    errorCode: optionalString,
    userAgent: lenientString,
    remoteIpDetails: ipDetails,
    remoteAccountDetails: z.object({ accountId: optionalString }).nullish(),
    domainDetails: z.object({ domain: optionalString }).nullish(),
  }).nullish(),
  networkConnectionAction: z.object({
    connectionDirection: optionalString,
    remoteIpDetails: ipDetails,
    localIpDetails: ipDetails,
  }).nullish(),
  portProbeAction: z.object({
    portProbeDetails: z.array(z.object({ remoteIpDetails: ipDetails, localIpDetails: ipDetails })).nullish(),
  }).nullish(),
  dnsRequestAction: z.object({ domain: optionalString }).nullish(),
  kubernetesApiCallAction: z.object({
    remoteIpDetails: ipDetails,
    sourceIps: z.array(z.string()).nullish(),
  }).nullish(),
  rdsLoginAttemptAction: z.object({
    remoteIpDetails: ipDetails,
    loginAttributes: z.array(z.object({ user: optionalString })).nullish(),
  }).nullish(),
});
export type GuardDutyAction = z.infer<typeof actionSchema>;

export const serviceSchema = z.object({
  action: actionSchema.nullish(),
  resourceRole: optionalString,
  eventFirstSeen: optionalString,
  eventLastSeen: optionalString,
});
export type GuardDutyService = z.infer<typeof serviceSchema>;

/** ACTOR/TARGET as GuardDuty writes it; a finding without it is about a target resource. */
export function roleOfResource(resourceRole: string | null | undefined): Role {
  return resourceRole?.trim().toUpperCase() === 'ACTOR' ? 'actor' : 'target';
}

const other = (role: Role): Role => (role === 'actor' ? 'target' : 'actor');

function addIpDetails(
  entities: EntityCollector,
  details: z.infer<typeof ipDetails>,
  role: Role,
  field: string,
): void {
  entities.ip(details?.ipAddressV4, role, `${field}.ipAddressV4`);
  entities.ip(details?.ipAddressV6, role, `${field}.ipAddressV6`);
}

/**
 * Adds the IPs, hosts, identities and accounts of a GuardDuty action. The remote IP sits in a
 * different block per action type. NETWORK_CONNECTION: INBOUND means the remote side is the actor
 * and the local address the target, OUTBOUND the reverse. PORT_PROBE: the probers are actors.
 * DNS_REQUEST has no remote IP: the queried domain is a target host. AWS_API_CALL,
 * KUBERNETES_API_CALL and RDS_LOGIN_ATTEMPT: the caller's IP is the actor.
 */
export function addActionEntities(
  entities: EntityCollector,
  action: GuardDutyAction | null | undefined,
  field: string,
): GuardDutyActionType | 'none' | 'other' {
  if (action === null || action === undefined) return 'none';
  const type = action.actionType?.trim().toUpperCase() ?? '';
  const known = (GUARDDUTY_ACTION_TYPES as readonly string[]).includes(type) ? (type as GuardDutyActionType) : null;
  if (known === null) return type === '' ? 'none' : 'other';
  switch (known) {
    case 'AWS_API_CALL': {
      const call = action.awsApiCallAction;
      addIpDetails(entities, call?.remoteIpDetails, 'actor', `${field}.awsApiCallAction.remoteIpDetails`);
      entities.account(call?.remoteAccountDetails?.accountId);
      break;
    }
    case 'NETWORK_CONNECTION': {
      const connection = action.networkConnectionAction;
      const inbound = connection?.connectionDirection?.trim().toUpperCase() !== 'OUTBOUND';
      const remoteRole: Role = inbound ? 'actor' : 'target';
      addIpDetails(entities, connection?.remoteIpDetails, remoteRole, `${field}.networkConnectionAction.remoteIpDetails`);
      addIpDetails(entities, connection?.localIpDetails, other(remoteRole), `${field}.networkConnectionAction.localIpDetails`);
      break;
    }
    case 'PORT_PROBE':
      for (const [i, probe] of (action.portProbeAction?.portProbeDetails ?? []).entries()) {
        addIpDetails(entities, probe.remoteIpDetails, 'actor', `${field}.portProbeAction.portProbeDetails.${i}.remoteIpDetails`);
        addIpDetails(entities, probe.localIpDetails, 'target', `${field}.portProbeAction.portProbeDetails.${i}.localIpDetails`);
      }
      break;
    case 'DNS_REQUEST':
      entities.host(action.dnsRequestAction?.domain?.replace(/\.$/, ''), 'target');
      break;
    case 'KUBERNETES_API_CALL': {
      const call = action.kubernetesApiCallAction;
      addIpDetails(entities, call?.remoteIpDetails, 'actor', `${field}.kubernetesApiCallAction.remoteIpDetails`);
      for (const ip of call?.sourceIps ?? []) entities.ip(ip, 'actor', `${field}.kubernetesApiCallAction.sourceIps`);
      break;
    }
    case 'RDS_LOGIN_ATTEMPT': {
      const attempt = action.rdsLoginAttemptAction;
      addIpDetails(entities, attempt?.remoteIpDetails, 'actor', `${field}.rdsLoginAttemptAction.remoteIpDetails`);
      // The database user being logged into; DB users are not directory identities.
      for (const login of attempt?.loginAttributes ?? []) entities.identity(login.user, 'unknown', 'target');
      break;
    }
  }
  return known;
}

/**
 * Security Hub flattens the GuardDuty service block into ProductFields keys, in two generations:
 * `action/networkConnectionAction/remoteIpDetails/ipAddressV4` with arrays as `portProbeDetails:0`,
 * and `aws/guardduty/service/action/...` with arrays as `portProbeDetails.0_`. This rebuilds the
 * nested camelCase object from either.
 */
export function unflattenGuardDutyProductFields(fields: Readonly<Record<string, string>>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const PREFIX = 'aws/guardduty/service/';
  for (const [rawKey, value] of Object.entries(fields)) {
    let key: string;
    if (rawKey.startsWith(PREFIX)) key = rawKey.slice(PREFIX.length);
    else if (rawKey.startsWith('aws/')) continue; // aws/securityhub/..., other products' namespaces
    else key = rawKey;
    const path: (string | number)[] = [];
    for (const segment of key.split('/')) {
      const indexed = /^(.+?)(?::(\d+)|\.(\d+)_)$/.exec(segment);
      if (indexed?.[1] !== undefined) path.push(indexed[1], Number(indexed[2] ?? indexed[3]));
      else path.push(segment);
    }
    let node: Record<string | number, unknown> | unknown[] = root;
    path.forEach((part, i) => {
      const last = i === path.length - 1;
      const container = node as Record<string | number, unknown>;
      if (last) {
        container[part] = value;
        return;
      }
      const next = path[i + 1];
      let child = container[part];
      if (typeof child !== 'object' || child === null) {
        child = typeof next === 'number' ? [] : {};
        container[part] = child;
      }
      node = child as Record<string | number, unknown>;
    });
  }
  return compactArrays(root) as Record<string, unknown>;
}

/** Drops the holes a flattened index sequence can leave (`portProbeDetails.1_` without `.0_`). */
function compactArrays(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(compactArrays);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactArrays(v)]));
}
