import {
  CorrelationEngine,
  type CorrelationConfigInput,
  type CorrelationEvent,
  type EventIdentity,
  type EventIp,
  type IncidentVersion,
  type SourceKind,
} from '../src/domain/index';

export const MINUTE = 60_000;
export const T0 = Date.UTC(2025, 0, 15, 9, 0, 0);

export class ManualClock {
  constructor(public current = 1_000_000) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export const actor = (address: string, namespace = 'corp'): EventIp => ({
  address,
  role: 'actor',
  scope: isPrivate(address) ? 'private' : 'public',
  namespace,
});
export const target = (address: string, namespace = 'corp'): EventIp => ({ ...actor(address, namespace), role: 'target' });
export const person = (canonical: string, kind: EventIdentity['kind'] = 'ad'): EventIdentity => ({ canonical, kind });

const isPrivate = (address: string): boolean => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address);

export const ev = (
  eventId: string,
  atMinutes: number,
  parts: { ips?: EventIp[]; ids?: EventIdentity[]; source?: SourceKind; severity?: number; tactics?: string[]; title?: string } = {},
): CorrelationEvent => ({
  eventId,
  source: parts.source ?? 'qradar',
  observedAt: T0 + atMinutes * MINUTE,
  title: parts.title ?? `event ${eventId}`,
  sourceSeverity: parts.severity ?? 50,
  tactics: parts.tactics ?? [],
  ips: parts.ips ?? [],
  identities: parts.ids ?? [],
});

export const engineWith = (config: CorrelationConfigInput = {}, clock = new ManualClock()) => ({
  engine: new CorrelationEngine(config, clock),
  clock,
});

/** Feed all events, flush, and return every emitted version in order. */
export const runAll = (events: readonly CorrelationEvent[], config: CorrelationConfigInput = {}): IncidentVersion[] => {
  const { engine } = engineWith(config);
  const out: IncidentVersion[] = [];
  for (const event of events) {
    engine.ingest(event);
    out.push(...engine.tick());
  }
  engine.flush();
  out.push(...engine.drain());
  return out;
};

/** What a compacted reader of the `correlated` topic ends with: last version per id, merged-away dropped. */
export const compacted = (versions: readonly IncidentVersion[]): Map<string, IncidentVersion> => {
  const last = new Map<string, IncidentVersion>();
  for (const version of versions) last.set(version.incidentId, version);
  for (const [id, version] of last) if (version.mergedInto !== null) last.delete(id);
  return last;
};

/** incidentId → sorted member ids, from the compacted view. */
export const partitionOf = (versions: readonly IncidentVersion[]): Map<string, string[]> =>
  new Map(
    [...compacted(versions)].map(([id, version]) => [id, version.members.map((member) => member.eventId).sort()]),
  );

/** Sets of member ids, ignoring ids: for rule tests. */
export const groups = (versions: readonly IncidentVersion[]): string[][] =>
  [...partitionOf(versions).values()].sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
