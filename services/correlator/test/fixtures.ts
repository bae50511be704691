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

/**
 * A deployment role active all day: one identity, an event every 30 s, so one incident of `members`
 * members; its last (settled) version. ~235 B of Avro per member (a very large incident).
 */
export const busyRoleVersion = (members: number): IncidentVersion => {
  const events = Array.from({ length: members }, (_, i): CorrelationEvent => ({
    eventId: `cloudtrail:0123456789abcdef0123456789abcdef-${i}`,
    source: 'cloudtrail',
    observedAt: T0 + i * 30_000,
    title: 'AssumeRole by arn:aws:iam::123456789012:role/deploy-pipeline',
    sourceSeverity: 30,
    tactics: ['TA0004'],
    ips: [],
    identities: [{ canonical: 'deploy-pipeline', kind: 'iam-role-session' }],
  }));
  // Ingested first and drained once: a tick per event would rebuild the growing incident each time.
  const { engine } = engineWith({ debounceMs: 0 });
  for (const event of events) engine.ingest(event);
  engine.flush();
  const last = engine.drain().at(-1);
  if (last === undefined) throw new Error('no version');
  return last;
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
