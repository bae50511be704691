import { parseCorrelationConfig, settleHorizonMs, type CorrelationConfig, type CorrelationConfigInput } from './config';
import { Debouncer } from './debounce';
import type { CorrelationEvent, EventIdentity, EventIp } from './event';
import { hotCount } from './hot';
import {
  buildIncidentContent,
  materialFingerprint,
  type IncidentContent,
  type IncidentVersion,
  type IpKeyState,
  type MemberState,
} from './incident';
import { incidentIdFor } from './incident-id';
import { KeyIndex } from './key-index';
import { compareStrings, compileKeyPolicy, extractKeys, type EventKeys, type KeyPolicy, type KeyRef } from './keys';
import { rolesLink, windowFor, withinWindow } from './linking';
import { compareEvents } from './order';
import { DeterministicUnionFind } from './union-find';

/** Processing-time clock, injected; drives only the debounce. Correlation runs on event time. */
export interface Clock {
  now(): number;
}

export type IngestOutcome =
  | { readonly status: 'accepted' | 'updated'; readonly incidentId: string }
  /** Already known with nothing new: a redelivery. */
  | { readonly status: 'duplicate'; readonly incidentId: string | undefined }
  /** observedAt is more than G behind the newest event seen: a lone, settled, never-linking incident. */
  | { readonly status: 'late'; readonly incidentId: string }
  /** A new version of a known event that arrived beyond the grace: its additions are ignored. */
  | { readonly status: 'late-update'; readonly incidentId: string | undefined }
  /** A new version of a known event with a different observedAt: rejected (event time is immutable). */
  | { readonly status: 'conflict'; readonly incidentId: string | undefined };

export interface HotKeyReport {
  readonly key: KeyRef;
  /** The largest number of distinct identities seen in one window. */
  readonly distinctIdentities: number;
  readonly firstHotAt: number;
  readonly lastHotAt: number;
}

export interface EngineStats {
  readonly events: number;
  readonly indexEntries: number;
  readonly indexKeys: number;
  readonly incidents: number;
  readonly pendingEmissions: number;
  readonly rememberedEventIds: number;
  readonly hotKeys: number;
}

interface StoredEvent extends MemberState {
  readonly eventId: string;
  readonly observedAt: number;
  event: CorrelationEvent;
  keys: EventKeys;
  readonly ipState: Map<string, IpKeyState>;
  readonly hotCounts: Map<string, number>;
}

interface Track {
  /** The union-find root (earliest member); the incident id is derived from it. */
  readonly root: string;
  readonly incidentId: string;
  version: number;
  lastEmitted: IncidentVersion | undefined;
  readonly absorbed: Set<string>;
  lastSeen: number;
  status: 'open' | 'settled';
  /** Frozen at settle time, when the members are evicted. */
  finalContent: IncidentContent | undefined;
  /** Last versions (mergedInto) of incidents merged into this one, emitted after its next version. */
  tombstones: IncidentVersion[];
}

/**
 * Reference in-memory correlator (DESIGN §3). Pure: no I/O, processing time comes from the injected
 * clock. The final partition into incidents and the incident ids are a function of the set of
 * accepted events only (see README "Determinism"); the Redis implementation mirrors this state.
 */
export class CorrelationEngine {
  readonly config: CorrelationConfig;
  private readonly policy: KeyPolicy;
  private readonly debouncer: Debouncer;
  private readonly events = new Map<string, StoredEvent>();
  private readonly index = new KeyIndex<StoredEvent>();
  private readonly components = new DeterministicUnionFind((a, b) => this.precedes(a, b));
  /** Accepted events with IP keys whose hotness is not decided yet, in event order. */
  private undecided: StoredEvent[] = [];
  private readonly tracks = new Map<string, Track>();
  /** Ids of evicted (settled) and late events, for dedup of redeliveries. */
  private readonly remembered = new Map<string, { readonly incidentId: string; readonly observedAt: number }>();
  private readonly hot = new Map<string, HotKeyReport>();
  private maxObservedAt = Number.NEGATIVE_INFINITY;
  private flushed = false;

  constructor(
    config: CorrelationConfig | CorrelationConfigInput = {},
    private readonly clock: Clock,
  ) {
    this.config = parseCorrelationConfig(config);
    this.policy = compileKeyPolicy(this.config);
    this.debouncer = new Debouncer(this.config.debounceMs, this.config.maxDebounceDelayMs);
  }

  /** Max observedAt seen minus the allowed lateness G; +∞ after `flush`. */
  get watermark(): number {
    return this.flushed ? Number.POSITIVE_INFINITY : this.maxObservedAt - this.config.graceMs;
  }

  ingest(event: CorrelationEvent): IngestOutcome {
    const now = this.clock.now();
    const known = this.events.get(event.eventId);
    if (known !== undefined) return this.update(known, event, now);
    const remembered = this.remembered.get(event.eventId);
    if (remembered !== undefined) return { status: 'duplicate', incidentId: remembered.incidentId };

    // Normalized once, so a redelivered identical payload compares equal in `update`.
    const normalized = mergeVersions(event, event);
    const keys = extractKeys(normalized, this.policy);
    if (event.observedAt < this.watermark) return this.acceptLate(normalized, keys, now);

    const stored: StoredEvent = {
      eventId: event.eventId,
      observedAt: event.observedAt,
      event: normalized,
      keys,
      ipState: new Map(),
      hotCounts: new Map(),
    };
    this.events.set(stored.eventId, stored);
    this.components.add(stored.eventId);
    this.tracks.set(stored.eventId, {
      root: stored.eventId,
      incidentId: incidentIdFor(stored.eventId),
      version: 0,
      lastEmitted: undefined,
      absorbed: new Set(),
      lastSeen: stored.observedAt,
      status: 'open',
      finalContent: undefined,
      tombstones: [],
    });
    this.debouncer.touch(stored.eventId, now);
    this.indexKeys(stored, [...keys.keys.keys()], now);
    this.maxObservedAt = Math.max(this.maxObservedAt, event.observedAt);
    this.advance(now);
    return { status: 'accepted', incidentId: this.incidentOf(stored.eventId) ?? incidentIdFor(stored.eventId) };
  }

  /** End of input (replay, shutdown of a bounded run): every decision is taken, every incident settles. */
  flush(): void {
    this.flushed = true;
    this.advance(this.clock.now());
  }

  /** Versions whose debounce has elapsed (settled versions are due at once). */
  tick(): IncidentVersion[] {
    return this.emit(this.debouncer.due(this.clock.now()));
  }

  /** Every pending version now, ignoring the debounce. */
  drain(): IncidentVersion[] {
    return this.emit(this.debouncer.all());
  }

  /** Processing time at which `tick` next has something to emit. */
  nextDueAt(): number | undefined {
    return this.debouncer.nextDueAt();
  }

  /** The incident an event currently belongs to, while its state is held. */
  incidentOf(eventId: string): string | undefined {
    if (this.components.has(eventId)) return incidentIdFor(this.components.find(eventId));
    return this.remembered.get(eventId)?.incidentId;
  }

  /** Current partition (open incidents and settled ones not yet emitted): incidentId → member ids. */
  partition(): Map<string, string[]> {
    const result = new Map<string, string[]>();
    for (const track of this.tracks.values()) {
      const members =
        track.finalContent?.members.map((member) => member.eventId) ?? [...this.components.membersOf(track.root)];
      result.set(track.incidentId, members.sort(compareStrings));
    }
    return result;
  }

  hotKeys(): HotKeyReport[] {
    return [...this.hot.values()].sort((a, b) => compareStrings(a.key.value, b.key.value));
  }

  stats(): EngineStats {
    return {
      events: this.events.size,
      indexEntries: this.index.entryCount,
      indexKeys: this.index.keyCount,
      incidents: this.tracks.size,
      pendingEmissions: this.debouncer.size,
      rememberedEventIds: this.remembered.size,
      hotKeys: this.hot.size,
    };
  }

  // ---------------------------------------------------------------------------------------------

  private precedes(a: string, b: string): boolean {
    const left = this.events.get(a);
    const right = this.events.get(b);
    if (left === undefined || right === undefined) return compareStrings(a, b) < 0;
    return compareEvents(left, right) < 0;
  }

  private acceptLate(event: CorrelationEvent, keys: EventKeys, now: number): IngestOutcome {
    const incidentId = incidentIdFor(event.eventId);
    const member: MemberState = { event, keys, ipState: new Map() };
    this.tracks.set(event.eventId, {
      root: event.eventId,
      incidentId,
      version: 0,
      lastEmitted: undefined,
      absorbed: new Set(),
      lastSeen: event.observedAt,
      status: 'settled',
      finalContent: buildIncidentContent([member], this.config, true),
      tombstones: [],
    });
    this.remembered.set(event.eventId, { incidentId, observedAt: event.observedAt });
    this.debouncer.force(event.eventId, now);
    return { status: 'late', incidentId };
  }

  /**
   * A known eventId again. Identical → duplicate. Otherwise a new version of the same event (a
   * QRadar offense that grew): keys, identities and tactics are unioned and severity maxed, so the
   * result does not depend on which version came first. Event time must not change.
   */
  private update(known: StoredEvent, event: CorrelationEvent, now: number): IngestOutcome {
    const incidentId = this.incidentOf(known.eventId);
    if (event.observedAt !== known.observedAt) return { status: 'conflict', incidentId };
    const merged = mergeVersions(known.event, event);
    if (JSON.stringify(merged) === JSON.stringify(known.event)) return { status: 'duplicate', incidentId };
    if (known.observedAt < this.watermark) return { status: 'late-update', incidentId };

    const before = known.keys;
    known.event = merged;
    known.keys = extractKeys(merged, this.policy);
    const added = [...known.keys.keys.keys()].filter((key) => !before.keys.has(key));
    this.indexKeys(known, added, now);
    this.debouncer.touch(this.components.find(known.eventId), now);
    this.advance(now);
    return { status: 'updated', incidentId: this.incidentOf(known.eventId) ?? incidentIdFor(known.eventId) };
  }

  private indexKeys(stored: StoredEvent, keys: readonly string[], now: number): void {
    let hasPendingIp = false;
    for (const key of keys) {
      const occurrence = stored.keys.keys.get(key);
      if (occurrence === undefined) continue;
      this.index.insert(key, stored);
      if (occurrence.kind === 'identity') {
        // Identity keys link at once. Linking to the nearest neighbours in time suffices: by
        // induction every pair of consecutive carriers within W is joined, hence every pair within W.
        const { previous, next } = this.index.neighbours(key, stored);
        for (const partner of [previous, next]) {
          if (partner !== undefined && withinWindow(this.config, 'identity', partner.observedAt, stored.observedAt)) {
            this.join(partner.eventId, stored.eventId, now);
          }
        }
      } else {
        stored.ipState.set(key, 'pending');
        hasPendingIp = true;
      }
    }
    if (hasPendingIp && !this.undecided.includes(stored)) {
      const at = this.undecided.findIndex((other) => compareEvents(stored, other) < 0);
      this.undecided.splice(at === -1 ? this.undecided.length : at, 0, stored);
    }
  }

  /** Moves event time forward: decide IP hotness, commit IP links, settle, forget. */
  private advance(now: number): void {
    const watermark = this.watermark;
    const lookahead = this.config.hotKeyLookaheadMs;
    while (this.undecided[0] !== undefined && this.undecided[0].observedAt + lookahead < watermark) {
      const stored = this.undecided.shift();
      if (stored !== undefined) this.decide(stored, now);
    }
    const horizon = settleHorizonMs(this.config);
    for (const track of [...this.tracks.values()]) {
      if (track.status === 'open' && track.lastSeen + horizon < watermark) this.settle(track, now);
    }
    // Against the finite watermark: after `flush` redeliveries must still be recognised.
    const dedupHorizon = this.maxObservedAt - this.config.graceMs - this.config.dedupRetentionMs;
    for (const [eventId, entry] of this.remembered) {
      if (entry.observedAt < dedupHorizon) this.remembered.delete(eventId);
    }
    for (const [key, report] of this.hot) {
      if (report.lastHotAt + horizon < watermark) this.hot.delete(key);
    }
  }

  /**
   * Hotness of an IP key at time t counts the distinct identities on the events carrying it in
   * [t − W, t + L] (L = hotKeyLookaheadMs, default 0). Every event that can be in that range has
   * arrived once the watermark passes t + L, so
   * the decision is final and the IP links committed now never have to be undone. Decisions run in
   * event order, so each event links to the already-decided earlier carriers; later ones link back.
   */
  private decide(stored: StoredEvent, now: number): void {
    const window = windowFor(this.config, 'ip');
    for (const [key, occurrence] of stored.keys.keys) {
      if (occurrence.kind !== 'ip' || stored.ipState.get(key) !== 'pending') continue;
      const candidates = this.index.range(
        key,
        stored.observedAt - window,
        stored.observedAt + this.config.hotKeyLookaheadMs,
      );
      const distinct = hotCount(candidates.map((candidate) => candidate.keys.identities));
      if (distinct > this.config.hotKeyDistinctIdentities) {
        stored.ipState.set(key, 'hot');
        stored.hotCounts.set(key, distinct);
        this.reportHot({ kind: 'ip', value: key }, distinct, stored.observedAt);
        this.debouncer.touch(this.components.find(stored.eventId), now);
        continue;
      }
      stored.ipState.set(key, 'eligible');
      for (const partner of candidates) {
        const partnerOccurrence = partner.keys.keys.get(key);
        if (partner === stored || partner.ipState.get(key) !== 'eligible' || partnerOccurrence === undefined) continue;
        if (partner.observedAt > stored.observedAt) continue; // decided later ones link back to us
        if (rolesLink(occurrence, partnerOccurrence)) this.join(partner.eventId, stored.eventId, now);
      }
    }
  }

  private reportHot(key: KeyRef, distinct: number, at: number): void {
    const previous = this.hot.get(key.value);
    this.hot.set(key.value, {
      key,
      distinctIdentities: Math.max(distinct, previous?.distinctIdentities ?? 0),
      firstHotAt: Math.min(at, previous?.firstHotAt ?? at),
      lastHotAt: Math.max(at, previous?.lastHotAt ?? at),
    });
  }

  /** Union of two components; the later root's incident is merged into the earlier one's. */
  private join(a: string, b: string, now: number): void {
    // A merged-away incident's last version carries its content as of the merge (what the Redis
    // state can rebuild from the members without keeping a copy of every emitted version).
    const before = new Map<string, IncidentContent>();
    for (const root of new Set([this.components.find(a), this.components.find(b)])) {
      const track = this.tracks.get(root);
      if (track?.lastEmitted !== undefined) before.set(root, this.contentOf(track));
    }
    const result = this.components.union(a, b);
    if (result === undefined) return;
    const winner = this.tracks.get(result.root);
    const loser = this.tracks.get(result.absorbed);
    if (winner === undefined || loser === undefined) throw new Error('correlator: incident tracks out of sync');
    winner.lastSeen = Math.max(winner.lastSeen, loser.lastSeen);
    for (const id of loser.absorbed) winner.absorbed.add(id);
    // Tombstones not yet emitted point straight at the final survivor.
    for (const tombstone of loser.tombstones) winner.tombstones.push({ ...tombstone, mergedInto: winner.incidentId });
    if (loser.lastEmitted !== undefined) {
      winner.absorbed.add(loser.incidentId);
      winner.tombstones.push({
        ...loser.lastEmitted,
        ...before.get(loser.root),
        version: loser.version + 1,
        status: 'settled',
        absorbed: [...loser.absorbed].sort(compareStrings),
        mergedInto: winner.incidentId,
      });
    }
    this.tracks.delete(loser.root);
    this.debouncer.transfer(loser.root, winner.root, now);
  }

  /** No accepted event can join any more (see README): freeze the content, evict the state. */
  private settle(track: Track, now: number): void {
    const members = [...this.components.membersOf(track.root)].flatMap((id) => this.events.get(id) ?? []);
    track.finalContent = buildIncidentContent(members, this.config);
    track.status = 'settled';
    for (const member of members) {
      for (const key of member.keys.keys.keys()) this.index.remove(key, member.eventId);
      this.events.delete(member.eventId);
      this.remembered.set(member.eventId, { incidentId: track.incidentId, observedAt: member.observedAt });
    }
    this.components.removeSet(track.root);
    this.debouncer.force(track.root, now);
  }

  private emit(roots: readonly string[]): IncidentVersion[] {
    const out: IncidentVersion[] = [];
    for (const root of roots) {
      this.debouncer.clear(root);
      const track = this.tracks.get(root);
      if (track === undefined) continue;
      const content = track.finalContent ?? this.contentOf(track);
      const absorbed = [...track.absorbed].sort(compareStrings);
      const fingerprint = materialFingerprint(content, absorbed, track.status);
      const previous = track.lastEmitted;
      const material =
        previous === undefined || fingerprint !== materialFingerprint(previous, previous.absorbed, previous.status);
      if (material) {
        track.version += 1;
        track.lastEmitted = {
          incidentId: track.incidentId,
          version: track.version,
          status: track.status,
          ...content,
          absorbed,
          mergedInto: null,
        };
        out.push(track.lastEmitted);
      }
      out.push(...track.tombstones);
      track.tombstones = [];
      if (track.status === 'settled') this.tracks.delete(root);
    }
    return out;
  }

  private contentOf(track: Track): IncidentContent {
    const members = [...this.components.membersOf(track.root)].flatMap((id) => this.events.get(id) ?? []);
    return buildIncidentContent(members, this.config);
  }
}

/** Commutative merge of two versions of the same event. */
export const mergeVersions = (a: CorrelationEvent, b: CorrelationEvent): CorrelationEvent => {
  const headline =
    a.sourceSeverity !== b.sourceSeverity
      ? a.sourceSeverity > b.sourceSeverity
        ? a
        : b
      : compareStrings(a.title, b.title) >= 0
        ? a
        : b;
  return {
    eventId: a.eventId,
    source: a.source,
    observedAt: a.observedAt,
    title: headline.title,
    sourceSeverity: headline.sourceSeverity,
    tactics: unique([...a.tactics, ...b.tactics], (tactic) => tactic),
    ips: unique<EventIp>([...a.ips, ...b.ips], (ip) => JSON.stringify([ip.address, ip.role, ip.scope, ip.namespace, ip.nonEvidence ?? false])),
    identities: unique<EventIdentity>([...a.identities, ...b.identities], (id) =>
      JSON.stringify([id.canonical, id.kind, id.servicePrincipal ?? false]),
    ),
  };
};

const unique = <T>(items: readonly T[], keyOf: (item: T) => string): T[] => {
  const byKey = new Map<string, T>();
  for (const item of items) if (!byKey.has(keyOf(item))) byKey.set(keyOf(item), item);
  return [...byKey.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, item]) => item);
};
