/**
 * The correlator's own narrow input. The enricher's SecurityEvent (schemas/) is mapped onto this in
 * an adapter; the domain never sees raw payloads or enrichment it does not join on.
 */
export const SOURCE_KINDS = ['qradar', 'securityhub', 'guardduty', 'cloudtrail'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** QRadar is the on-prem side; every other source is cloud. Used for `hybrid`. */
export const isCloudSource = (source: SourceKind): boolean => source !== 'qradar';

export type IpRole = 'actor' | 'target';
export type IpScope = 'public' | 'private';

export interface EventIp {
  /** Canonical address (lower-case, compressed IPv6) — or whatever the source put there. */
  readonly address: string;
  readonly role: IpRole;
  readonly scope: IpScope;
  /** Network namespace for private ranges (e.g. a VPC or an on-prem site). Ignored for public. */
  readonly namespace: string;
  /** Set by the enricher when the address is known not to be evidence (e.g. `invokedBy` a service). */
  readonly nonEvidence?: boolean;
}

export interface EventIdentity {
  /** Canonical identity after directory resolution (AD, UPN, IAM user, SSO session → one name). */
  readonly canonical: string;
  readonly kind: 'ad' | 'iam-user' | 'iam-role-session' | 'email' | 'root' | 'unknown';
  /** AWS service principal or service-linked role session: never evidence. */
  readonly servicePrincipal?: boolean;
}

export interface CorrelationEvent {
  /** Source-qualified and stable across replays, e.g. `qradar:offense:42`, `cloudtrail:<eventID>`. */
  readonly eventId: string;
  readonly source: SourceKind;
  /** Event time, epoch milliseconds. */
  readonly observedAt: number;
  readonly title: string;
  /** 0-100, normalized per source by the enricher. */
  readonly sourceSeverity: number;
  readonly tactics: readonly string[];
  readonly ips: readonly EventIp[];
  readonly identities: readonly EventIdentity[];
}
