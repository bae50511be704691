import type { CorrelationConfig } from './config';
import type { CorrelationEvent, EventIdentity, EventIp } from './event';
import { matchesAny, nonRoutableReason, parseCidr, parseIp, type Cidr, type NonRoutableReason } from './net';

/**
 * Key hygiene: which of an event's IPs and identities are join keys. Pure; the policy is compiled
 * once from the configuration.
 */
export type KeyKind = 'ip' | 'identity';

export interface KeyRef {
  readonly kind: KeyKind;
  /** The full key, e.g. `ip:public:203.0.113.7`, `ip:vpc-1:10.0.0.5`, `id:jdoe@example.com`. */
  readonly value: string;
}

/** One join key on one event, with the roles it plays there (an identity is always both). */
export interface KeyOccurrence extends KeyRef {
  readonly actor: boolean;
  readonly target: boolean;
}

export type RejectReason =
  | NonRoutableReason
  | 'aws-internal'
  | 'aws-service-host'
  | 'not-an-ip'
  | 'scanner'
  | 'flagged-non-evidence'
  | 'service-principal'
  | 'service-linked-role'
  | 'configured-non-evidence'
  | 'empty';

export interface RejectedKey {
  readonly kind: KeyKind;
  readonly raw: string;
  readonly reason: RejectReason;
}

export interface EventKeys {
  /** Evidence keys by key value, sorted by value. */
  readonly keys: ReadonlyMap<string, KeyOccurrence>;
  /** Canonical evidence identities on the event (what hot-key detection counts), sorted. */
  readonly identities: readonly string[];
  readonly rejected: readonly RejectedKey[];
}

export interface KeyPolicy {
  readonly scanners: readonly Cidr[];
  readonly nonEvidenceIdentities: ReadonlySet<string>;
}

export const compileKeyPolicy = (config: CorrelationConfig): KeyPolicy => ({
  scanners: config.scannerAllowList.map((entry) => {
    const cidr = parseCidr(entry);
    if (cidr === undefined) throw new Error(`scannerAllowList: not an address or CIDR: ${entry}`);
    return cidr;
  }),
  nonEvidenceIdentities: new Set(config.nonEvidenceIdentities.map((id) => id.trim().toLowerCase())),
});

/** Namespaced IP key: public addresses are global, private ones only mean something in their network. */
export const ipKey = (ip: Pick<EventIp, 'address' | 'scope' | 'namespace'>): string =>
  ip.scope === 'public'
    ? `ip:public:${ip.address.trim().toLowerCase()}`
    : `ip:${ip.namespace.trim() === '' ? 'default' : ip.namespace.trim()}:${ip.address.trim().toLowerCase()}`;

export const identityKey = (canonical: string): string => `id:${canonical.trim().toLowerCase()}`;

const AWS_SERVICE_HOST = /(^|\.)amazonaws\.com(\.cn)?$|\.aws\.internal$|\.amazon\.com$/i;
const SERVICE_LINKED_ROLE = /(^|[/:])AWSServiceRoleFor|aws-service-role\//i;

const ipRejectReason = (ip: EventIp, policy: KeyPolicy): RejectReason | undefined => {
  const address = ip.address.trim();
  if (address === '') return 'empty';
  if (ip.nonEvidence === true) return 'flagged-non-evidence';
  if (address.toLowerCase() === 'aws internal') return 'aws-internal';
  const parsed = parseIp(address);
  if (parsed === undefined) return AWS_SERVICE_HOST.test(address) ? 'aws-service-host' : 'not-an-ip';
  const special = nonRoutableReason(parsed);
  if (special !== undefined) return special;
  if (matchesAny(policy.scanners, parsed)) return 'scanner';
  return undefined;
};

const identityRejectReason = (identity: EventIdentity, policy: KeyPolicy): RejectReason | undefined => {
  const canonical = identity.canonical.trim();
  if (canonical === '') return 'empty';
  if (identity.servicePrincipal === true) return 'service-principal';
  if (SERVICE_LINKED_ROLE.test(canonical)) return 'service-linked-role';
  if (AWS_SERVICE_HOST.test(canonical) || canonical.toLowerCase() === 'aws internal') return 'service-principal';
  if (policy.nonEvidenceIdentities.has(canonical.toLowerCase())) return 'configured-non-evidence';
  return undefined;
};

export const extractKeys = (event: CorrelationEvent, policy: KeyPolicy): EventKeys => {
  const keys = new Map<string, KeyOccurrence>();
  const rejected: RejectedKey[] = [];
  for (const ip of event.ips) {
    const reason = ipRejectReason(ip, policy);
    if (reason !== undefined) {
      rejected.push({ kind: 'ip', raw: ip.address, reason });
      continue;
    }
    const value = ipKey(ip);
    const previous = keys.get(value);
    keys.set(value, {
      kind: 'ip',
      value,
      actor: (previous?.actor ?? false) || ip.role === 'actor',
      target: (previous?.target ?? false) || ip.role === 'target',
    });
  }
  const identities = new Set<string>();
  for (const identity of event.identities) {
    const reason = identityRejectReason(identity, policy);
    if (reason !== undefined) {
      rejected.push({ kind: 'identity', raw: identity.canonical, reason });
      continue;
    }
    const value = identityKey(identity.canonical);
    identities.add(value);
    keys.set(value, { kind: 'identity', value, actor: true, target: true });
  }
  const sorted = new Map([...keys.entries()].sort(([a], [b]) => compareStrings(a, b)));
  return { keys: sorted, identities: [...identities].sort(compareStrings), rejected };
};

/** Code-unit order: locale-independent, identical in Lua and every runtime. */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
