import { resolveIdentity } from './identity/directory';
import { classifyIp, parseIp } from './ip';
import { namespaceOf } from './namespaces';
import type {
  Entities, HygieneNote, IdentityEntity, IdentityFact, IdentityKind, IpEntity, NormalizeContext, Role,
} from './security-event';

export type ServicePrincipalReason = 'aws-service' | 'invoked-by-aws-service' | 'service-linked-role';

/**
 * Collects the entities of one event: parses and classifies IPs, resolves identities, drops what
 * is not evidence into hygiene notes, and de-duplicates (first appearance wins the order).
 */
export interface EntityCollector {
  ip(value: string | null | undefined, role: Role, field: string): void;
  /** A valid address that is not evidence for a reason the IP rules cannot see (a call an AWS service made). */
  nonEvidenceIp(value: string, role: Role, field: string, reason: string): void;
  identity(
    raw: string | null | undefined,
    kind: IdentityKind,
    role: Role,
    servicePrincipal?: { reason: ServicePrincipalReason; by: string },
  ): void;
  host(name: string | null | undefined, role: Role): void;
  cloudResource(value: string | null | undefined): void;
  account(value: string | null | undefined): void;
  note(note: HygieneNote): void;
  result(): { entities: Entities; hygiene: HygieneNote[]; identityFacts: IdentityFact[] };
}

const present = (value: string | null | undefined): value is string =>
  typeof value === 'string' && value.trim() !== '';

export function collectEntities(context: NormalizeContext): EntityCollector {
  const ips: IpEntity[] = [];
  const identities: IdentityEntity[] = [];
  const nonEvidenceIps: IpEntity[] = [];
  const nonEvidenceIdentities: IdentityEntity[] = [];
  const hosts: { name: string; role: Role }[] = [];
  const cloudResources: string[] = [];
  const accounts: string[] = [];
  const hygiene: HygieneNote[] = [];
  const facts: IdentityFact[] = [];
  const seen = new Set<string>();
  const once = (key: string): boolean => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };

  return {
    ip(value, role, field) {
      if (!present(value)) return;
      const parsed = parseIp(value);
      if (parsed === null) {
        if (once(`bad-ip|${value}`)) hygiene.push({ kind: 'invalid-ip', value, field });
        return;
      }
      const ipClass = classifyIp(parsed);
      if (!ipClass.evidence) {
        if (once(`non-evidence|${parsed.canonical}`)) {
          hygiene.push({ kind: 'non-evidence-ip', value: parsed.canonical, reason: ipClass.reason, field });
        }
        // Loopback, link-local, multicast ... are no one's network: scope private, no namespace.
        if (once(`non-evidence-ip|${parsed.canonical}|${role}`)) {
          nonEvidenceIps.push({ address: parsed.canonical, role, scope: 'private', namespace: null, nonEvidence: true, nonEvidenceReason: ipClass.reason });
        }
        return;
      }
      if (!once(`ip|${parsed.canonical}|${role}`)) return;
      ips.push({
        address: parsed.canonical,
        role,
        scope: ipClass.scope,
        namespace: ipClass.scope === 'private' ? namespaceOf(context.namespaces, parsed) : null,
        nonEvidence: false,
        nonEvidenceReason: null,
      });
    },
    nonEvidenceIp(value, role, field, reason) {
      const parsed = parseIp(value);
      if (parsed === null) {
        this.ip(value, role, field);
        return;
      }
      if (once(`non-evidence|${parsed.canonical}`)) hygiene.push({ kind: 'non-evidence-ip', value: parsed.canonical, reason, field });
      if (!once(`non-evidence-ip|${parsed.canonical}|${role}`)) return;
      const ipClass = classifyIp(parsed);
      const scope = ipClass.evidence ? ipClass.scope : 'private';
      nonEvidenceIps.push({
        address: parsed.canonical,
        role,
        scope,
        namespace: ipClass.evidence && scope === 'private' ? namespaceOf(context.namespaces, parsed) : null,
        nonEvidence: true,
        nonEvidenceReason: reason,
      });
    },
    identity(raw, kind, role, servicePrincipal) {
      if (!present(raw)) return;
      const value = raw.trim();
      const resolution = resolveIdentity(context.directory, value, kind);
      const entity: IdentityEntity = {
        canonical: resolution.canonical,
        raw: value,
        kind,
        role,
        resolved: resolution.resolved,
        privileged: resolution.resolved ? resolution.entry.privileged : null,
        department: resolution.resolved ? resolution.entry.department : null,
        nonEvidence: false,
        nonEvidenceReason: null,
      };
      if (servicePrincipal !== undefined) {
        if (once(`service|${kind}|${value}`)) {
          hygiene.push({ kind: 'service-principal', identity: entity, reason: servicePrincipal.reason, by: servicePrincipal.by });
          nonEvidenceIdentities.push({ ...entity, nonEvidence: true, nonEvidenceReason: servicePrincipal.reason });
        }
        return;
      }
      if (!resolution.resolved && resolution.ambiguousWith.length > 0 && once(`ambiguous|${value}`)) {
        hygiene.push({ kind: 'ambiguous-identity', raw: value, candidates: resolution.ambiguousWith });
      }
      if (!once(`identity|${kind}|${value.toLowerCase()}|${role}`)) return;
      identities.push(entity);
      if (resolution.resolved && once(`fact|${resolution.canonical}`)) {
        facts.push({
          canonical: resolution.canonical,
          privileged: resolution.entry.privileged,
          department: resolution.entry.department,
        });
      }
    },
    host(name, role) {
      if (!present(name)) return;
      const value = name.trim().toLowerCase();
      if (once(`host|${value}|${role}`)) hosts.push({ name: value, role });
    },
    cloudResource(value) {
      if (present(value) && once(`resource|${value.trim()}`)) cloudResources.push(value.trim());
    },
    account(value) {
      if (present(value) && once(`account|${value.trim()}`)) accounts.push(value.trim());
    },
    note(note) {
      hygiene.push(note);
    },
    result() {
      return { entities: { ips, identities, hosts, cloudResources, accounts, nonEvidenceIps, nonEvidenceIdentities }, hygiene, identityFacts: facts };
    },
  };
}
