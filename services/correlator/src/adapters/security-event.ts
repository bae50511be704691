import type { Incident, SecurityEvent } from '@seam/schemas';
import type { CorrelationEvent, EventIdentity, EventIp, IncidentVersion, SourceKind } from '../domain/index';
import { compareStrings } from '../domain/index';

/**
 * Edge mapping between the topic records (`@seam/schemas`) and the correlator's own narrow types.
 * Avro enum symbols use `_` where DESIGN uses `-` (schemas/src/design-names.ts).
 */

export type MappingResult =
  | { readonly ok: true; readonly event: CorrelationEvent }
  | { readonly ok: false; readonly reason: string };

const IDENTITY_KINDS: Record<SecurityEvent['entities']['identities'][number]['kind'], EventIdentity['kind']> = {
  ad: 'ad',
  iam_user: 'iam-user',
  iam_role_session: 'iam-role-session',
  email: 'email',
  root: 'root',
  unknown: 'unknown',
};

type IpEntity = SecurityEvent['entities']['ips'][number];
type IdentityEntity = SecurityEvent['entities']['identities'][number];

const toIp = (ip: IpEntity, nonEvidence: boolean): EventIp => ({
  address: ip.address,
  role: ip.role,
  scope: ip.scope,
  namespace: ip.namespace ?? '',
  ...(nonEvidence ? { nonEvidence: true } : {}),
});

const toIdentity = (identity: IdentityEntity, nonEvidence: boolean): EventIdentity => ({
  canonical: identity.canonical,
  kind: IDENTITY_KINDS[identity.kind],
  ...(nonEvidence ? { servicePrincipal: true } : {}),
});

/**
 * Longest event id the correlator accepts. The real sources' ids are at most ~530 characters (a
 * Security Hub finding id is up to 512, plus the `securityhub:` prefix). The id is copied into Redis
 * keys, index entries and every incident record that lists it, and the root's id is the incident id,
 * which no record budget can cut, so an absurd one (hundreds of KB) would make the incident
 * unproducible: it is refused at the edge instead (the kit sends the record to the DLQ).
 */
export const MAX_EVENT_ID_CHARS = 1024;
/** Longest canonical identity used as a join key: an IAM ARN is at most 2,048 characters. */
export const MAX_IDENTITY_CHARS = 2048;

/**
 * `enriched` SecurityEvent → CorrelationEvent. An unknown source cannot be correlated; an id or an
 * identity over the bounds above, or an id with a NUL character, is refused with the reason (never
 * silently cut or rewritten: the result could collide with another event's id).
 */
export const toCorrelationEvent = (record: SecurityEvent): MappingResult => {
  if (record.source === 'unknown') return { ok: false, reason: 'source is unknown' };
  if (record.eventId.length > MAX_EVENT_ID_CHARS) {
    return { ok: false, reason: `eventId is ${record.eventId.length} characters (at most ${MAX_EVENT_ID_CHARS})` };
  }
  // The Redis state ends an id with NUL inside an IP key's index entries (redis-scripts.ts,
  // OCCURRENCE); no real source id contains one.
  if (record.eventId.includes('\u0000')) return { ok: false, reason: 'eventId contains a NUL character' };
  const identities = [...record.entities.identities, ...(record.entities.nonEvidenceIdentities ?? [])];
  const long = identities.find((identity) => identity.canonical.length > MAX_IDENTITY_CHARS);
  if (long !== undefined) {
    return { ok: false, reason: `an identity is ${long.canonical.length} characters (at most ${MAX_IDENTITY_CHARS})` };
  }
  const source: SourceKind = record.source;
  const tactics = [...new Set(record.mitre.flatMap((technique) => (technique.tactic === null ? [] : [technique.tactic])))].sort(
    compareStrings,
  );
  return {
    ok: true,
    event: {
      eventId: record.eventId,
      source,
      observedAt: record.observedAt,
      title: record.title,
      sourceSeverity: record.sourceSeverity,
      tactics,
      // v2: the enricher's non-evidence addresses (`entities.nonEvidenceIps`, and any evidence entry
      // flagged `nonEvidence`) become the domain's flagged addresses: kept on the event, never a key.
      ips: [
        ...record.entities.ips.map((ip) => toIp(ip, ip.nonEvidence === true)),
        ...(record.entities.nonEvidenceIps ?? []).map((ip) => toIp(ip, true)),
      ],
      // Identity roles do not matter for linking (DESIGN §3); the domain's key hygiene rejects
      // service principals and service-linked roles by their canonical name, and (v2) whatever the
      // enricher flagged `nonEvidence` or listed in `entities.nonEvidenceIdentities`.
      identities: [
        ...record.entities.identities.map((identity) => toIdentity(identity, identity.nonEvidence === true)),
        ...(record.entities.nonEvidenceIdentities ?? []).map((identity) => toIdentity(identity, true)),
      ],
    },
  };
};

/**
 * IncidentVersion → `correlated` Incident record. `distinctIdentities` of a hot key is the largest
 * count of the hot decisions on the members. The domain keeps no detection times for hot keys, nor
 * arrival times of late events: `detectedAt` is the incident's lastSeen, `arrivedAt` the
 * `updatedAt` of the version.
 */
export const toIncidentRecord = (version: IncidentVersion, updatedAt: number): Incident => ({
  incidentId: version.incidentId,
  version: version.version,
  status: version.status,
  firstSeen: version.firstSeen,
  lastSeen: version.lastSeen,
  updatedAt,
  members: version.members.map((member) => ({ ...member })),
  keys: version.keys.map((key) => ({ kind: key.kind, value: key.value })),
  links: version.links.map((link) => ({ ...link })),
  hybrid: version.hybrid,
  sources: Object.fromEntries(Object.entries(version.sources).map(([source, count]) => [source, count ?? 0])),
  tactics: [...version.tactics],
  absorbed: [...version.absorbed],
  mergedInto: version.mergedInto,
  hotKeys: version.hotKeys.map((key) => ({ kind: key.kind, value: key.value, distinctIdentities: key.distinctIdentities, detectedAt: version.lastSeen })),
  late: version.late
    ? version.members.map((member) => ({ eventId: member.eventId, observedAt: member.observedAt, arrivedAt: updatedAt }))
    : [],
  membersOmitted: 0,
  linksOmitted: 0,
  keysOmitted: 0,
  absorbedOmitted: 0,
  hotKeysOmitted: 0,
  tacticsOmitted: 0,
});
