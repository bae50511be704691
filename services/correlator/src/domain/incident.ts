import type { CorrelationConfig } from './config';
import { isCloudSource, type CorrelationEvent, type SourceKind } from './event';
import { compareStrings, type EventKeys, type KeyKind, type KeyRef } from './keys';
import { rolesLink, windowFor } from './linking';
import { compareEvents } from './order';
import { DeterministicUnionFind } from './union-find';

/** What one version of an incident says (DESIGN §2 Incident, plus hot keys and the late flag). */
export interface IncidentMember {
  readonly eventId: string;
  readonly source: SourceKind;
  readonly observedAt: number;
  readonly title: string;
  readonly sourceSeverity: number;
}

export interface IncidentLink {
  readonly from: string;
  readonly to: string;
  readonly via: KeyKind;
  readonly value: string;
}

export type IncidentStatus = 'open' | 'settled';

export interface IncidentContent {
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly members: readonly IncidentMember[];
  /** Evidence keys on the members (a key hot for every member carrying it is only in hotKeys). */
  readonly keys: readonly KeyRef[];
  /** A spanning tree of the committed links, chosen canonically (see README). */
  readonly links: readonly IncidentLink[];
  /** On-prem (QRadar) and at least one cloud source are both present. */
  readonly hybrid: boolean;
  readonly sources: Readonly<Partial<Record<SourceKind, number>>>;
  readonly tactics: readonly string[];
  /**
   * Keys on members that were hot (too many distinct identities in the window) and did not link,
   * with the largest distinct-identity count of their hot decisions on the members.
   */
  readonly hotKeys: readonly HotKeyRef[];
  /** The event arrived beyond the grace: a lone incident that never links. */
  readonly late: boolean;
}

export interface IncidentVersion extends IncidentContent {
  readonly incidentId: string;
  readonly version: number;
  readonly status: IncidentStatus;
  /** Incident ids merged into this one (transitively), as far as they were ever emitted. */
  readonly absorbed: readonly string[];
  /** Set only on the last version of an incident that was merged into another. */
  readonly mergedInto: string | null;
}

export interface HotKeyRef extends KeyRef {
  /** Distinct evidence identities that made the key hot (max over the members' decisions). */
  readonly distinctIdentities: number;
}

/** Hotness of one IP key on one event: undecided until the watermark passes the event. */
export type IpKeyState = 'pending' | 'eligible' | 'hot';

export interface MemberState {
  readonly event: CorrelationEvent;
  readonly keys: EventKeys;
  readonly ipState: ReadonlyMap<string, IpKeyState>;
  /** For keys decided hot: the distinct identities counted by the decision. */
  readonly hotCounts?: ReadonlyMap<string, number>;
}

/** Whether a key on a member may carry links now: identities always, IPs once decided not hot. */
export const keyLinksNow = (member: MemberState, key: string, kind: KeyKind): boolean =>
  kind === 'identity' || member.ipState.get(key) === 'eligible';

export const buildIncidentContent = (
  unsorted: readonly MemberState[],
  config: CorrelationConfig,
  late = false,
): IncidentContent => {
  const members = [...unsorted].sort((a, b) => compareEvents(a.event, b.event));
  const first = members[0];
  const last = members[members.length - 1];
  if (first === undefined || last === undefined) throw new Error('an incident has at least one member');

  const keys = new Map<string, KeyRef>();
  const hotKeys = new Map<string, HotKeyRef>();
  const sources: Partial<Record<SourceKind, number>> = {};
  const tactics = new Set<string>();
  for (const member of members) {
    sources[member.event.source] = (sources[member.event.source] ?? 0) + 1;
    for (const tactic of member.event.tactics) tactics.add(tactic);
    for (const [value, occurrence] of member.keys.keys) {
      const ref = { kind: occurrence.kind, value };
      if (member.ipState.get(value) === 'hot') {
        const count = member.hotCounts?.get(value) ?? 0;
        hotKeys.set(value, { ...ref, distinctIdentities: Math.max(count, hotKeys.get(value)?.distinctIdentities ?? 0) });
      }
      else keys.set(value, ref);
    }
  }
  const present = Object.keys(sources) as SourceKind[];
  return {
    firstSeen: first.event.observedAt,
    lastSeen: last.event.observedAt,
    members: members.map(({ event }) => ({
      eventId: event.eventId,
      source: event.source,
      observedAt: event.observedAt,
      title: event.title,
      sourceSeverity: event.sourceSeverity,
    })),
    keys: sortRefs(keys),
    links: canonicalLinks(members, config),
    hybrid: present.includes('qradar') && present.some(isCloudSource),
    sources: Object.fromEntries(present.sort(compareStrings).map((source) => [source, sources[source] ?? 0])),
    tactics: [...tactics].sort(compareStrings),
    hotKeys: sortRefs(hotKeys),
    late,
  };
};

const sortRefs = <R extends KeyRef>(refs: ReadonlyMap<string, R>): R[] =>
  [...refs.values()].sort((a, b) => compareStrings(a.value, b.value));

/**
 * Kruskal over the committed links in a canonical order (members by (observedAt, eventId), keys
 * by value, nearest earlier partner first): a spanning tree that depends only on the member set.
 */
const canonicalLinks = (members: readonly MemberState[], config: CorrelationConfig): IncidentLink[] => {
  const position = new Map(members.map((member, index) => [member.event.eventId, index]));
  const local = new DeterministicUnionFind((a, b) => (position.get(a) ?? 0) < (position.get(b) ?? 0));
  const seenByKey = new Map<string, MemberState[]>();
  const links: IncidentLink[] = [];
  for (const member of members) {
    local.add(member.event.eventId);
    for (const [value, occurrence] of member.keys.keys) {
      if (!keyLinksNow(member, value, occurrence.kind)) continue;
      const earlier = seenByKey.get(value) ?? [];
      const window = windowFor(config, occurrence.kind);
      for (let index = earlier.length - 1; index >= 0; index -= 1) {
        const partner = earlier[index];
        if (partner === undefined || member.event.observedAt - partner.event.observedAt > window) break;
        const partnerOccurrence = partner.keys.keys.get(value);
        if (partnerOccurrence === undefined || !rolesLink(occurrence, partnerOccurrence)) continue;
        if (local.union(partner.event.eventId, member.event.eventId) !== undefined) {
          links.push({ from: partner.event.eventId, to: member.event.eventId, via: occurrence.kind, value });
        }
      }
      earlier.push(member);
      seenByKey.set(value, earlier);
    }
  }
  return links;
};

/** The parts of a version whose change is material (DESIGN §3 Emission). */
export const materialFingerprint = (content: IncidentContent, absorbed: readonly string[], status: IncidentStatus): string =>
  JSON.stringify({
    status,
    sources: Object.keys(content.sources).sort(compareStrings),
    keys: content.keys.map((key) => key.value),
    hotKeys: content.hotKeys.map((key) => key.value),
    tactics: content.tactics,
    maxSeverity: Math.max(...content.members.map((member) => member.sourceSeverity)),
    absorbed,
  });
