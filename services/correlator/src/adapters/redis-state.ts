import type { Cluster, Redis } from 'ioredis';
import {
  buildIncidentContent,
  compareStrings,
  compileKeyPolicy,
  extractKeys,
  incidentIdFor,
  materialFingerprint,
  maxWindowMs,
  mergeVersions,
  parseCorrelationConfig,
  rolesLink,
  settleHorizonMs,
  windowFor,
  withinWindow,
  type Clock,
  type CorrelationConfig,
  type CorrelationConfigInput,
  type CorrelationEvent,
  type IncidentContent,
  type IncidentVersion,
  type IngestOutcome,
  type IpKeyState,
  type KeyKind,
  type KeyOccurrence,
  type KeyPolicy,
  type MemberState,
} from '../domain/index';
import { hotCount } from '../domain/hot';
import { compareEvents } from '../domain/order';
import { SCRIPTS, type ScriptName } from './redis-scripts';

export type RedisLike = Redis | Cluster;

export interface RedisCorrelationStateOptions {
  readonly redis: RedisLike;
  /** Prefix of every key (e.g. `seam:`); a test uses a random one. */
  readonly prefix: string;
  readonly config?: CorrelationConfig | CorrelationConfigInput;
  /** Processing time; drives only the debounce (as in the in-memory engine). */
  readonly clock: Clock;
  /** Sweep buckets per kind (settle, undecided, due, dedup). Default 16. */
  readonly buckets?: number;
  /** Added to max(W) + G + L for the safety-net TTL of live state (wall ms). Default 10 min. */
  readonly holdingMarginMs?: number;
}

/** Stored per key occurrence: the roles and the event's evidence identities (for hot counting). */
interface StoredOccurrence {
  readonly kind: KeyKind;
  readonly actor: boolean;
  readonly target: boolean;
  readonly identities: readonly string[];
}

interface Carrier {
  readonly eventId: string;
  readonly observedAt: number;
  readonly occurrence: StoredOccurrence | undefined;
  readonly state: string;
}

interface RootState {
  readonly members: string[];
  readonly info: Map<string, string>;
  readonly absorbed: string[];
  readonly tombstones: string[];
}

interface Node {
  readonly id: string;
  readonly observedAt: number;
}

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

const MAX_RETRIES = 64;

/**
 * The correlation state of STATE.md in Redis. The linking rules (keys, roles, windows, hotness,
 * content, fingerprints) are the pure domain functions; Redis stores the per-key time index, the
 * union-find forest (parents only ever move to a smaller (observedAt, eventId)), the incident state
 * and the sweep buckets. Several instances sharing one Redis, and redeliveries, converge to the
 * same partition and the same incident ids.
 */
export class RedisCorrelationState {
  readonly config: CorrelationConfig;
  private readonly redis: RedisLike;
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly policy: KeyPolicy;
  private readonly buckets: number;
  /** The watermark up to which this instance completed `advance`. */
  private advancedTo = Number.NEGATIVE_INFINITY;
  /** Safety-net TTL of live state (wall ms). */
  readonly holdingTtlMs: number;

  constructor(options: RedisCorrelationStateOptions) {
    this.config = parseCorrelationConfig(options.config ?? {});
    this.redis = options.redis;
    this.prefix = options.prefix;
    this.clock = options.clock;
    this.policy = compileKeyPolicy(this.config);
    this.buckets = options.buckets ?? 16;
    this.holdingTtlMs =
      maxWindowMs(this.config) + this.config.graceMs + this.config.hotKeyLookaheadMs + (options.holdingMarginMs ?? 10 * 60_000);
    for (const [name, def] of Object.entries(SCRIPTS)) {
      if (!(name in this.redis)) this.redis.defineCommand(name, { numberOfKeys: def.numberOfKeys, lua: def.lua });
    }
  }

  // --- keys -----------------------------------------------------------------------------------

  private eKey = (id: string): string => `${this.prefix}e:{${id}}`;
  private rKeys = (id: string): [string, string, string, string] => [
    `${this.prefix}r:{${id}}:m`,
    `${this.prefix}r:{${id}}:i`,
    `${this.prefix}r:{${id}}:a`,
    `${this.prefix}r:{${id}}:tb`,
  ];
  private kKeys = (key: string): [string, string] => [`${this.prefix}k:{${key}}:t`, `${this.prefix}k:{${key}}:o`];
  private bucket = (kind: 'settle' | 'undecided' | 'due' | 'dedup', member: string): string =>
    `${this.prefix}${kind}:{${fnv1a(member) % this.buckets}}`;
  private allBuckets = (kind: 'settle' | 'undecided' | 'due' | 'dedup'): string[] =>
    Array.from({ length: this.buckets }, (_, n) => `${this.prefix}${kind}:{${n}}`);
  private wmKey = (): string => `${this.prefix}wm`;

  private async call(name: ScriptName, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, ScriptFn | undefined>)[name];
    if (fn === undefined) throw new Error(`redis script ${name} is not defined`);
    return fn.call(this.redis, ...keys, ...args);
  }

  private bucketAdd(key: string, score: number | '-inf', member: string, mode: 'GT' | '' = ''): Promise<unknown> {
    return this.call('seamBucketAdd', [key], [String(score), member, this.holdingTtlMs, mode]);
  }

  // --- watermark ------------------------------------------------------------------------------

  /** Records the newest event time of an input partition (also for idle partitions / heartbeats). */
  async observe(partition: string, observedAt: number): Promise<number> {
    const values = (await this.call('seamWatermark', [this.wmKey()], [partition, observedAt, this.holdingTtlMs])) as string[];
    return this.watermarkFrom(values);
  }

  /** min over partitions (max observedAt) − G; −∞ before anything was seen. */
  async watermark(): Promise<number> {
    return this.watermarkFrom(await this.redis.hvals(this.wmKey()));
  }

  private watermarkFrom(values: readonly string[]): number {
    if (values.length === 0) return Number.NEGATIVE_INFINITY;
    return Math.min(...values.map(Number)) - this.config.graceMs;
  }

  // --- ingest ---------------------------------------------------------------------------------

  /** Ingests one event read from `partition`. Same outcomes as `CorrelationEngine.ingest`. */
  async ingest(event: CorrelationEvent, partition = '0'): Promise<IngestOutcome> {
    const normalized = mergeVersions(event, event);
    const watermark = await this.watermark();
    const existing = await this.redis.hmget(this.eKey(event.eventId), 'observedAt', 'event', 'incident');
    if (existing[0] !== null) return this.known(normalized, existing, watermark, partition);

    if (event.observedAt < watermark) return this.ingestLate(normalized, partition);
    const created = (await this.call(
      'seamCreate',
      [this.eKey(event.eventId), ...this.rKeys(event.eventId).slice(0, 2)],
      [event.eventId, event.observedAt, JSON.stringify(normalized), this.holdingTtlMs],
    )) as string[];
    if (created[0] === 'exists') {
      return this.known(normalized, [created[1] ?? null, created[2] || null, created[3] || null], watermark, partition);
    }
    await this.observe(partition, event.observedAt);
    await this.bucketAdd(this.bucket('settle', event.eventId), event.observedAt, event.eventId, 'GT');
    await this.touch(event.eventId);
    await this.indexKeys(normalized);
    return { status: 'accepted', incidentId: await this.incidentOf(event.eventId) };
  }

  private async known(
    event: CorrelationEvent,
    [observedAt, stored, incident]: ReadonlyArray<string | null>,
    watermark: number,
    partition: string,
  ): Promise<IngestOutcome> {
    if (incident !== null && incident !== undefined) return { status: 'duplicate', incidentId: incident };
    const incidentId = await this.incidentOf(event.eventId);
    if (Number(observedAt) !== event.observedAt) return { status: 'conflict', incidentId };
    if (stored === null || stored === undefined) return { status: 'duplicate', incidentId };
    for (let attempt = 0; attempt < MAX_RETRIES; attempt += 1) {
      const current = attempt === 0 ? stored : await this.redis.hget(this.eKey(event.eventId), 'event');
      if (current === null) return { status: 'duplicate', incidentId: await this.incidentOf(event.eventId) };
      const merged = mergeVersions(JSON.parse(current) as CorrelationEvent, event);
      const mergedJson = JSON.stringify(merged);
      if (mergedJson === current) {
        // A redelivery. Re-running the idempotent index steps repairs an ingest that crashed midway.
        await this.observe(partition, event.observedAt);
        await this.indexKeys(merged);
        return { status: 'duplicate', incidentId };
      }
      if (event.observedAt < watermark) return { status: 'late-update', incidentId };
      const ok = await this.call('seamUpdateEvent', [this.eKey(event.eventId)], [current, mergedJson, this.holdingTtlMs]);
      if (ok !== 1) continue;
      await this.observe(partition, event.observedAt);
      await this.indexKeys(merged);
      const root = await this.find(event.eventId);
      if (root !== undefined) await this.touch(root.id);
      return { status: 'updated', incidentId: await this.incidentOf(event.eventId) };
    }
    throw new Error(`correlator: update of ${event.eventId} did not converge`);
  }

  private async ingestLate(event: CorrelationEvent, partition: string): Promise<IngestOutcome> {
    const incidentId = incidentIdFor(event.eventId);
    const member: MemberState = { event, keys: extractKeys(event, this.policy), ipState: new Map() };
    const final = buildIncidentContent([member], this.config, true);
    const created = (await this.call(
      'seamCreateLate',
      [this.eKey(event.eventId), this.rKeys(event.eventId)[1]],
      [event.eventId, event.observedAt, incidentId, JSON.stringify(final), this.config.dedupRetentionMs, this.holdingTtlMs],
    )) as string[];
    if (created[0] === 'exists') return { status: 'duplicate', incidentId: created[3] || (await this.incidentOf(event.eventId)) };
    await this.observe(partition, event.observedAt);
    await this.bucketAdd(this.bucket('dedup', event.eventId), event.observedAt, event.eventId);
    await this.bucketAdd(this.bucket('due', event.eventId), '-inf', event.eventId);
    return { status: 'late', incidentId };
  }

  private async indexKeys(event: CorrelationEvent): Promise<void> {
    const keys = extractKeys(event, this.policy);
    for (const [key, occurrence] of keys.keys) {
      const stored: StoredOccurrence = {
        kind: occurrence.kind,
        actor: occurrence.actor,
        target: occurrence.target,
        identities: keys.identities,
      };
      if (occurrence.kind === 'ip') {
        // Registered before the occurrence, so a crash in between leaves a harmless no-op decision.
        await this.bucketAdd(this.bucket('undecided', key), event.observedAt, JSON.stringify([key, event.eventId]));
      }
      const neighbours = (await this.call('seamIndex', this.kKeys(key), [
        event.eventId,
        event.observedAt,
        JSON.stringify(stored),
        occurrence.kind,
        this.holdingTtlMs,
      ])) as string[];
      if (occurrence.kind !== 'identity') continue;
      // Nearest neighbours suffice (see engine.indexKeys); the per-key script is atomic, so of two
      // concurrent carriers the later-indexed one always sees the other.
      const pairs: Array<readonly [string | undefined, string | undefined]> = [
        [neighbours[0], neighbours[1]],
        [neighbours[2], neighbours[3]],
      ];
      for (const [id, score] of pairs) {
        if (id !== undefined && id !== '' && withinWindow(this.config, 'identity', Number(score), event.observedAt)) {
          await this.union(id, event.eventId);
        }
      }
    }
  }

  // --- union-find -----------------------------------------------------------------------------

  /** The root of an event's component, or undefined when the event is settled / unknown. */
  private async find(id: string): Promise<Node | undefined> {
    const path: Array<{ id: string; parent: string }> = [];
    let cursor = id;
    for (let hops = 0; hops < 10_000; hops += 1) {
      const [parent, observedAt] = await this.redis.hmget(this.eKey(cursor), 'parent', 'observedAt');
      if (parent === null || parent === undefined || observedAt === null || observedAt === undefined) return undefined;
      if (parent === cursor) {
        for (const step of path.slice(0, -1)) await this.call('seamCompress', [this.eKey(step.id)], [step.parent, cursor]);
        return { id: cursor, observedAt: Number(observedAt) };
      }
      path.push({ id: cursor, parent });
      cursor = parent;
    }
    throw new Error('correlator: union-find path too long');
  }

  private async union(a: string, b: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt += 1) {
      const [rootA, rootB] = [await this.find(a), await this.find(b)];
      if (rootA === undefined || rootB === undefined || rootA.id === rootB.id) return;
      const [winner, loser] = compareEvents(
        { eventId: rootA.id, observedAt: rootA.observedAt },
        { eventId: rootB.id, observedAt: rootB.observedAt },
      ) < 0
        ? [rootA, rootB]
        : [rootB, rootA];
      const result = (await this.call('seamLink', [this.eKey(loser.id), ...this.rKeys(loser.id)], [loser.id, winner.id])) as unknown[];
      if (result[0] === 'moved') continue; // lost a race: re-find
      if (result[0] !== 'ok') return;
      await this.moveRootState(loser.id, parseRootState(result.slice(1)), winner.id);
      return;
    }
    throw new Error(`correlator: union of ${a} and ${b} did not converge`);
  }

  /** Cross-slot bookkeeping of a union (and its repair): every step is a set union or a max. */
  private async moveRootState(loser: string, state: RootState, towards: string): Promise<void> {
    const loserIncident = incidentIdFor(loser);
    const lastEmitted = state.info.get('lastEmitted');
    const lastSeen = state.info.get('lastSeen') ?? '0';
    for (let attempt = 0; attempt < MAX_RETRIES; attempt += 1) {
      const root = await this.find(towards);
      if (root === undefined) break;
      const winnerIncident = incidentIdFor(root.id);
      const absorbed = [...state.absorbed];
      const tombstones: Array<[string, string]> = state.tombstones.map((json) => {
        const version = JSON.parse(json) as IncidentVersion;
        return [version.incidentId, JSON.stringify({ ...version, mergedInto: winnerIncident })];
      });
      if (lastEmitted !== undefined) {
        absorbed.push(loserIncident);
        const previous = JSON.parse(lastEmitted) as IncidentVersion;
        const version: IncidentVersion = {
          ...previous,
          version: Number(state.info.get('version') ?? '0') + 1,
          status: 'settled',
          mergedInto: winnerIncident,
        };
        tombstones.push([loserIncident, JSON.stringify(version)]);
      }
      const result = (await this.call(
        'seamAbsorb',
        [this.eKey(root.id), ...this.rKeys(root.id)],
        [root.id, this.holdingTtlMs, lastSeen, JSON.stringify(state.members), JSON.stringify(absorbed), JSON.stringify(tombstones)],
      )) as string[];
      if (result[0] === 'moved') continue;
      if (result[0] === 'ok') {
        await this.bucketAdd(this.bucket('settle', root.id), Number(result[1]), root.id, 'GT');
        await this.touch(root.id);
      }
      break;
    }
    await this.call('seamCleanup', [this.eKey(loser), ...this.rKeys(loser)], [loser]);
    await this.redis.zrem(this.bucket('settle', loser), loser);
    await this.redis.zrem(this.bucket('due', loser), loser);
  }

  private async touch(root: string, attempt = 0): Promise<void> {
    const result = (await this.call(
      'seamTouch',
      [this.eKey(root), this.rKeys(root)[1]],
      [root, this.clock.now(), this.config.debounceMs, this.config.maxDebounceDelayMs, this.holdingTtlMs],
    )) as string[];
    if (result[0] === 'ok') {
      await this.bucketAdd(this.bucket('due', root), Number(result[1]), root);
      return;
    }
    if (result[1] === undefined || result[1] === '' || attempt >= MAX_RETRIES) return;
    const next = await this.find(result[1]);
    if (next !== undefined) await this.touch(next.id, attempt + 1);
  }

  /** The incident an event currently belongs to (or was settled into). */
  async incidentOf(eventId: string): Promise<string> {
    const root = await this.find(eventId);
    if (root !== undefined) return incidentIdFor(root.id);
    return (await this.redis.hget(this.eKey(eventId), 'incident')) ?? incidentIdFor(eventId);
  }

  // --- event time: decide, settle, forget -----------------------------------------------------

  /** Moves event time forward to the shared watermark: IP decisions, then settling, then dedup expiry. */
  async advance(): Promise<void> {
    const watermark = await this.watermark();
    // Nothing can become due while the watermark stands still: an undecided entry or a root added
    // since has an event time ≥ the watermark at its ingest (else it was late).
    if (watermark === Number.NEGATIVE_INFINITY || watermark <= this.advancedTo) return;
    await this.decideDue(watermark);
    await this.settleDue(watermark);
    await this.forgetDue(watermark);
    this.advancedTo = watermark;
  }

  /** Reads every bucket of a kind at once (one slot each; sent concurrently, processed in order). */
  private scanBuckets(kind: 'settle' | 'undecided' | 'due' | 'dedup', max: string, withScores: boolean): Promise<string[][]> {
    return Promise.all(
      this.allBuckets(kind).map((bucket) =>
        withScores ? this.redis.zrangebyscore(bucket, '-inf', max, 'WITHSCORES') : this.redis.zrangebyscore(bucket, '-inf', max),
      ),
    );
  }

  private async decideDue(watermark: number): Promise<void> {
    const lookahead = this.config.hotKeyLookaheadMs;
    const buckets = this.allBuckets('undecided');
    const all = await this.scanBuckets('undecided', `(${watermark - lookahead}`, true);
    for (const [n, entries] of all.entries()) {
      const bucket = buckets[n] ?? '';
      for (let i = 0; i < entries.length; i += 2) {
        const member = entries[i] ?? '';
        const [key, eventId] = JSON.parse(member) as [string, string];
        await this.decide(key, eventId, Number(entries[i + 1]));
        await this.redis.zrem(bucket, member);
      }
    }
  }

  /**
   * Hotness of an IP key at t (domain rule: distinct identities in [t − W, t + L] > K), decided once
   * by a CAS. The links are symmetric: after our own state is set, we link to every eligible
   * carrier within W on either side — of two carriers decided concurrently, the second sees the first.
   */
  private async decide(key: string, eventId: string, at: number): Promise<void> {
    const window = windowFor(this.config, 'ip');
    const candidates = parseCarriers((await this.call('seamRange', this.kKeys(key), [at - window, at + this.config.hotKeyLookaheadMs])) as string[]);
    const own = candidates.find((carrier) => carrier.eventId === eventId);
    if (own?.occurrence === undefined) return;
    const distinct = hotCount(candidates.map((carrier) => carrier.occurrence?.identities ?? []));
    const state = distinct > this.config.hotKeyDistinctIdentities ? 'h' : 'e';
    const result = (await this.call('seamDecide', this.kKeys(key), [eventId, state, at - window, at + window])) as string[];
    const decided = result[0];
    if (decided === 'h') {
      const root = await this.find(eventId);
      if (root !== undefined) await this.touch(root.id);
      return;
    }
    if (decided !== 'e') return;
    const self = asOccurrence(key, own.occurrence);
    for (const partner of parseCarriers(result.slice(1))) {
      if (partner.eventId === eventId || partner.state !== 'e' || partner.occurrence === undefined) continue;
      if (!withinWindow(this.config, 'ip', partner.observedAt, at)) continue;
      if (rolesLink(self, asOccurrence(key, partner.occurrence))) await this.union(partner.eventId, eventId);
    }
  }

  private async settleDue(watermark: number): Promise<void> {
    const horizon = settleHorizonMs(this.config);
    const buckets = this.allBuckets('settle');
    const all = await this.scanBuckets('settle', `(${watermark - horizon}`, false);
    for (const [n, roots] of all.entries()) {
      for (const root of roots) await this.settle(root, buckets[n] ?? '');
    }
  }

  private async settle(root: string, bucket: string): Promise<void> {
    const [eKey, ...rKeys] = [this.eKey(root), ...this.rKeys(root)];
    const [membersKey, infoKey] = rKeys;
    const collected = (await this.call('seamCollect', [eKey, ...rKeys], [root])) as unknown[];
    if (collected[0] === 'ok') {
      // Not a root any more, but its root state is still here: a union that crashed midway. Repair.
      const parent = typeof collected[5] === 'string' ? collected[5] : '';
      await this.moveRootState(root, parseRootState(collected.slice(1, 5)), parent);
      await this.redis.zrem(bucket, root);
      return;
    }
    const members = await this.redis.smembers(membersKey ?? '');
    if (collected[0] === 'root' && members.length > 0) {
      const loaded = await this.loadMembers(members);
      if (loaded.length > 0) {
        const final = buildIncidentContent(loaded, this.config);
        await this.call('seamSettle', [eKey, infoKey ?? ''], [root, JSON.stringify(final)]);
      }
      const incidentId = incidentIdFor(root);
      for (const member of loaded) {
        for (const key of member.keys.keys.keys()) await this.call('seamEvict', this.kKeys(key), [member.event.eventId]);
      }
      for (const member of loaded) {
        await this.call('seamForget', [this.eKey(member.event.eventId)], [incidentId, this.config.dedupRetentionMs]);
        await this.bucketAdd(this.bucket('dedup', member.event.eventId), member.event.observedAt, member.event.eventId);
      }
      await this.redis.del(membersKey ?? '');
      await this.bucketAdd(this.bucket('due', root), '-inf', root);
    }
    await this.redis.zrem(bucket, root);
  }

  private async forgetDue(watermark: number): Promise<void> {
    const horizon = watermark - this.config.dedupRetentionMs;
    const buckets = this.allBuckets('dedup');
    const all = await this.scanBuckets('dedup', `(${horizon}`, false);
    for (const [n, ids] of all.entries()) {
      const bucket = buckets[n] ?? '';
      for (const id of ids) {
        await this.call('seamDropDedup', [this.eKey(id)], []);
        await this.redis.zrem(bucket, id);
      }
    }
  }

  private async loadMembers(ids: readonly string[]): Promise<MemberState[]> {
    const out: MemberState[] = [];
    for (const id of ids) {
      const json = await this.redis.hget(this.eKey(id), 'event');
      if (json === null) continue;
      const event = JSON.parse(json) as CorrelationEvent;
      const keys = extractKeys(event, this.policy);
      const ipState = new Map<string, IpKeyState>();
      for (const [key, occurrence] of keys.keys) {
        if (occurrence.kind !== 'ip') continue;
        const state = await this.redis.hget(this.kKeys(key)[1], `s:${id}`);
        ipState.set(key, state === 'h' ? 'hot' : state === 'e' ? 'eligible' : 'pending');
      }
      out.push({ event, keys, ipState });
    }
    return out.sort((a, b) => compareEvents(a.event, b.event));
  }

  // --- emission -------------------------------------------------------------------------------

  /** Versions whose debounce elapsed (settled ones at once); exactly one instance emits each. */
  async tick(): Promise<IncidentVersion[]> {
    return this.emitUpTo(this.clock.now());
  }

  /** Every pending version now, ignoring the debounce. */
  async drain(): Promise<IncidentVersion[]> {
    return this.emitUpTo(Number.POSITIVE_INFINITY);
  }

  /** Processing time at which `tick` next has something to emit. */
  async nextDueAt(): Promise<number | undefined> {
    let next: number | undefined;
    const firsts = await Promise.all(this.allBuckets('due').map((bucket) => this.redis.zrange(bucket, 0, 0, 'WITHSCORES')));
    for (const first of firsts) {
      if (first[1] === undefined) continue;
      const at = first[1] === '-inf' ? Number.NEGATIVE_INFINITY : Number(first[1]);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  private async emitUpTo(now: number): Promise<IncidentVersion[]> {
    const due: string[] = [];
    const buckets = this.allBuckets('due');
    const all = await this.scanBuckets('due', now === Number.POSITIVE_INFINITY ? '+inf' : String(now), false);
    for (const [n, roots] of all.entries()) {
      for (const root of roots) if ((await this.redis.zrem(buckets[n] ?? '', root)) === 1) due.push(root);
    }
    const out: IncidentVersion[] = [];
    for (const root of due.sort(compareStrings)) out.push(...(await this.emit(root)));
    return out;
  }

  private async emit(root: string): Promise<IncidentVersion[]> {
    // Rebuilt when the incident settled while its open content was being read.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const result = await this.emitOnce(root);
      if (result !== 'stale') return result;
    }
    return [];
  }

  private async emitOnce(root: string): Promise<IncidentVersion[] | 'stale'> {
    const [, infoKey, absorbedKey, tombKey] = this.rKeys(root);
    const info = await this.redis.hgetall(infoKey);
    if (info.lastSeen === undefined) return [];
    const status = info.status === 'settled' ? 'settled' : 'open';
    let content: IncidentContent;
    if (info.final !== undefined) content = JSON.parse(info.final) as IncidentContent;
    else {
      const members = await this.loadMembers(await this.redis.smembers(this.rKeys(root)[0]));
      if (members.length === 0) return [];
      content = buildIncidentContent(members, this.config);
    }
    const absorbed = (await this.redis.smembers(absorbedKey)).sort(compareStrings);
    const fingerprint = materialFingerprint(content, absorbed, status);
    const incidentId = incidentIdFor(root);
    const body: IncidentVersion = { incidentId, version: 0, status, ...content, absorbed, mergedInto: null };
    const result = (await this.call('seamEmit', [this.eKey(root), infoKey, absorbedKey, tombKey], [root, fingerprint, JSON.stringify(body), status])) as [
      string,
      number,
      string[],
    ];
    if (result[0] === 'stale') return 'stale';
    if (result[0] !== 'ok') return [];
    const out: IncidentVersion[] = [];
    if (result[1] > 0) out.push({ ...body, version: result[1] });
    for (const tombstone of result[2]) out.push({ ...(JSON.parse(tombstone) as IncidentVersion), mergedInto: incidentId });
    return out;
  }
}

const parseRootState = (parts: readonly unknown[]): RootState => {
  const info = new Map<string, string>();
  const flat = (parts[1] as string[] | undefined) ?? [];
  for (let i = 0; i + 1 < flat.length; i += 2) info.set(flat[i] ?? '', flat[i + 1] ?? '');
  const tombFlat = (parts[3] as string[] | undefined) ?? [];
  const tombstones: string[] = [];
  for (let i = 1; i < tombFlat.length; i += 2) tombstones.push(tombFlat[i] ?? '');
  return {
    members: (parts[0] as string[] | undefined) ?? [],
    info,
    absorbed: (parts[2] as string[] | undefined) ?? [],
    tombstones,
  };
};

const parseCarriers = (flat: readonly string[]): Carrier[] => {
  const out: Carrier[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const json = flat[i + 2] ?? '';
    out.push({
      eventId: flat[i] ?? '',
      observedAt: Number(flat[i + 1]),
      occurrence: json === '' ? undefined : (JSON.parse(json) as StoredOccurrence),
      state: flat[i + 3] ?? '',
    });
  }
  return out;
};

const asOccurrence = (value: string, stored: StoredOccurrence): KeyOccurrence => ({
  kind: stored.kind,
  value,
  actor: stored.actor,
  target: stored.target,
});

/** 32-bit FNV-1a: the sweep bucket of a member (any stable hash will do; all instances share it). */
const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
};
