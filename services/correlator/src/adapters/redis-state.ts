import { createHash } from 'node:crypto';
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
  type EventKeys,
  type IncidentContent,
  type IncidentVersion,
  type IngestOutcome,
  type IpKeyState,
  type KeyOccurrence,
  type KeyPolicy,
  type MemberState,
} from '../domain/index';
import { hotCount } from '../domain/hot';
import { compareEvents } from '../domain/order';
import { FIELD, LAYOUT, LAYOUT_FIELD, SCRIPTS, type ScriptName } from './redis-scripts';
import { MANY_SUFFIX, ScriptBatcher, manyVariant } from './script-batch';
import { decodeEvent, decodeOccurrence, encodeEvent, encodeOccurrence, type StoredOccurrence } from './stored-codec';

export type RedisLike = Redis | Cluster;

/**
 * Buckets per kind (each is a `<kind>:{n}` sorted set) unless the options say otherwise. The
 * emission kinds (`due`, `emitting`) hold a root for a few seconds only, so 16 spread them enough.
 * The sweep kinds (`settle`, `undecided`, `dedup`) hold an entry per live root, pending IP
 * occurrence or dedup record: with 16, each held ~6,000 of the bench's 100k live events, and a
 * sorted set over `zset-max-listpack-entries` (128 by default) is a skiplist, ~110 bytes per entry.
 * With 256 buckets and `zset-max-listpack-entries 1024` (infra/lib.sh), each bucket stays a listpack
 * up to 262,144 live entries per kind, at ~25 bytes per entry (session 10: 697 -> 566 B per live
 * event in bench-redis-memory.ts). Beyond that the buckets turn into skiplists again: as before,
 * never worse.
 */
const DEFAULT_EMISSION_BUCKETS = 16;
export const DEFAULT_SWEEP_BUCKETS = 256;

export interface RedisCorrelationStateOptions {
  readonly redis: RedisLike;
  /** Prefix of every key (e.g. `seam:`); a test uses a random one. */
  readonly prefix: string;
  readonly config?: CorrelationConfig | CorrelationConfigInput;
  /** Processing time; drives only the debounce (as in the in-memory engine). */
  readonly clock: Clock;
  /**
   * Buckets per kind for every kind (settle, undecided, dedup, due, emitting); default 16 for the
   * emission kinds and `sweepBuckets` for the others. Part of the layout: fixed for a prefix.
   */
  readonly buckets?: number;
  /**
   * Buckets of the sweep kinds (settle, undecided, dedup); default `buckets` if given, else 256.
   * Size it so that live entries per kind / sweepBuckets stays within Redis's
   * `zset-max-listpack-entries` (see DEFAULT_SWEEP_BUCKETS). Part of the layout: fixed for a prefix.
   */
  readonly sweepBuckets?: number;
  /** Added to max(W) + G + L for the safety-net TTL of live state (wall ms). Default 10 min. */
  readonly holdingMarginMs?: number;
  /**
   * Independent operations (the events of a batch, the due decisions, settles and emissions) run
   * with up to this many in flight; with ioredis auto-pipelining each step of all of them shares one
   * round trip per Redis node. Default 512.
   */
  readonly concurrency?: number;
  /**
   * Turns on ioredis `enableAutoPipelining` on the given client (default true): commands issued in
   * the same tick go out as one pipeline per node (per node on a cluster, by slot).
   */
  readonly autoPipelining?: boolean;
  /**
   * Sends the script invocations issued in the same tick as one call per script (per hash tag on a
   * cluster) instead of one call each (default true; see script-batch.ts). Off = one EVALSHA per
   * invocation, the layout's reference behaviour for tests and benchmarks.
   */
  readonly batchScripts?: boolean;
  /**
   * Idle advance of the watermark (wall ms; 0 = off, the default). A partition whose last record
   * arrived more than this long ago (by `clock`) counts with `max(its max observedAt, now)`, so it
   * never holds the others back, and when every partition is idle the watermark becomes `now − G`.
   */
  readonly idleAdvanceMs?: number;
  /**
   * Called when the set of idle partitions that move the watermark changes (for a log line /
   * metric): when `advance()` first moves to a watermark only idleness allowed, when another
   * partition turns idle, and (with an empty list) when none holds it up any more.
   */
  readonly onIdleAdvance?: (info: IdleAdvanceInfo) => void;
  /**
   * Called once per IP occurrence decided hot (its key had more than K distinct identities in the
   * window, so it does not link there), by the instance that made the decision: for a metric and a
   * log line. Hot keys also appear on the incident (`hotKeys`).
   */
  readonly onHotKey?: (info: HotKeyDecision) => void;
  /**
   * Bound on the work of one `advance()` call and one `tick()` per kind (IP decisions, settled roots,
   * dedup records, popped due roots). The rest is left for the next call. Default 2,000.
   */
  readonly maxPerAdvance?: number;
  /**
   * Emission lease (wall ms; 0 = off, the default). When on, a root popped by `tick()` stays in an
   * `emitting` bucket until `ack(versions)`; if the lease expires first (the instance died between
   * popping and producing), the root is due again and its version is re-emitted (same version).
   */
  readonly emissionLeaseMs?: number;
  /**
   * Test hooks (regression tests force interleavings with them; never set in production): awaited
   * between a settle's read of a root's members and its compare-and-set, and between a union's
   * link (the loser's parent lowered) and its bookkeeping (the loser's members into the winner).
   */
  readonly testHooks?: RedisStateTestHooks;
}

export interface RedisStateTestHooks {
  readonly afterSettleRead?: (root: string) => Promise<void>;
  /** After a settle's compare-and-set succeeded, before its members are evicted and forgotten. */
  readonly afterSettleMark?: (root: string) => Promise<void>;
  readonly afterLink?: (loser: string, winner: string) => Promise<void>;
}

export interface HotKeyDecision {
  /** The join key (`ip:<namespace>:<address>`). */
  readonly key: string;
  /** The event whose occurrence was decided, and its event time. */
  readonly eventId: string;
  readonly observedAt: number;
  /** Distinct evidence identities in [observedAt − W_ip, observedAt + L] (more than K). */
  readonly distinctIdentities: number;
}

export interface IdleAdvanceInfo {
  /** The watermark advance() moves to. */
  readonly watermark: number;
  /** What it would be without idleness (min over partitions of their max observedAt − G). */
  readonly strictWatermark: number;
  /** Partitions counted as idle. */
  readonly idlePartitions: readonly string[];
}

export interface AdvanceResult {
  /** The watermark this call worked up to (−∞ before anything was seen). */
  readonly watermark: number;
  /** True when the work was cut by `maxPerAdvance`: call again (the stage's timer does at once). */
  readonly more: boolean;
}

interface WatermarkView {
  readonly watermark: number;
  readonly strict: number;
  readonly idle: readonly string[];
}

interface Carrier {
  readonly eventId: string;
  readonly observedAt: number;
  readonly occurrence: StoredOccurrence | undefined;
  readonly state: string;
}

/** Where an emitted version came from, for `ack`. */
interface EmittedFrom {
  readonly root: string;
  /** The root's own version (not a tombstone). */
  readonly own: boolean;
  readonly raw?: string;
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

/** An event created by this batch, waiting for its bucket entries and key index. */
interface Created {
  readonly created: CorrelationEvent;
  readonly keys: EventKeys;
}

/** ZADDs of one batch grouped per bucket (one command per bucket and mode). */
class BucketAdds {
  readonly byKey = new Map<string, { gt: Array<string | number>; plain: Array<string | number> }>();
  add(key: string, score: number | '-inf', member: string, mode: 'GT' | ''): void {
    let entry = this.byKey.get(key);
    if (entry === undefined) {
      entry = { gt: [], plain: [] };
      this.byKey.set(key, entry);
    }
    (mode === 'GT' ? entry.gt : entry.plain).push(score, member);
  }
}

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

const MAX_RETRIES = 64;
/** Unions race with the other unions of a batch (same component): each `moved` means someone progressed. */
const MAX_UNION_RETRIES = 10_000;

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
  /** Buckets of the emission kinds (due, emitting) and of the sweep kinds (settle, undecided, dedup). */
  private readonly emissionBuckets: number;
  private readonly sweepBuckets: number;
  private readonly concurrency: number;
  private readonly idleAdvanceMs: number;
  private readonly onIdleAdvance: ((info: IdleAdvanceInfo) => void) | undefined;
  private readonly onHotKey: ((info: HotKeyDecision) => void) | undefined;
  private readonly maxPerAdvance: number;
  private readonly emissionLeaseMs: number;
  private readonly hooks: RedisStateTestHooks;
  /** Undefined when `batchScripts` is off. */
  readonly batcher: ScriptBatcher | undefined;
  private readonly emitted = new WeakMap<IncidentVersion, EmittedFrom>();
  /** The idle partitions last reported to `onIdleAdvance` (joined). */
  private lastIdleReport = '';
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
    this.emissionBuckets = Math.max(1, options.buckets ?? DEFAULT_EMISSION_BUCKETS);
    this.sweepBuckets = Math.max(1, options.sweepBuckets ?? options.buckets ?? DEFAULT_SWEEP_BUCKETS);
    this.concurrency = Math.max(1, options.concurrency ?? 512);
    this.idleAdvanceMs = Math.max(0, options.idleAdvanceMs ?? 0);
    this.onIdleAdvance = options.onIdleAdvance;
    this.onHotKey = options.onHotKey;
    this.maxPerAdvance = Math.max(1, options.maxPerAdvance ?? 2_000);
    this.emissionLeaseMs = Math.max(0, options.emissionLeaseMs ?? 0);
    this.hooks = options.testHooks ?? {};
    if (options.autoPipelining ?? true) (this.redis.options as { enableAutoPipelining?: boolean }).enableAutoPipelining = true;
    this.holdingTtlMs =
      maxWindowMs(this.config) + this.config.graceMs + this.config.hotKeyLookaheadMs + (options.holdingMarginMs ?? 10 * 60_000);
    for (const [name, def] of Object.entries(SCRIPTS)) {
      if (!(name in this.redis)) this.redis.defineCommand(name, { numberOfKeys: def.numberOfKeys, lua: def.lua });
      // No numberOfKeys: the batched variant takes the key count as its first argument.
      if (!(`${name}${MANY_SUFFIX}` in this.redis)) this.redis.defineCommand(`${name}${MANY_SUFFIX}`, { lua: manyVariant(def) });
    }
    if (this.redis.isCluster) {
      // ioredis's cluster auto-pipelining routes a command by its first string argument and cannot
      // find the first key of a script whose key count is an argument: it mixes slots of several
      // nodes into one pipeline and rejects it. A batched call is one command anyway.
      const options = this.redis.options as { autoPipeliningIgnoredCommands?: string[] };
      const ignored = options.autoPipeliningIgnoredCommands ?? [];
      options.autoPipeliningIgnoredCommands = [...new Set([...ignored, ...Object.keys(SCRIPTS).map((name) => `${name}${MANY_SUFFIX}`)])];
    }
    this.batcher =
      options.batchScripts === false
        ? undefined
        : new ScriptBatcher({ perSlot: this.redis.isCluster, send: (name, keys, args) => this.send(name, keys, args) });
  }

  // --- keys -----------------------------------------------------------------------------------

  private eKey = (id: string): string => `${this.prefix}e:{${id}}`;
  /**
   * A root's keys: member set, info, absorbed ids, tombstones. The info is the event hash itself
   * (root fields next to the event's, see ROOT in redis-scripts.ts): a key of its own cost ~130 bytes
   * per live incident.
   */
  private rKeys = (id: string): [string, string, string, string] => [
    `${this.prefix}r:{${id}}:m`,
    this.eKey(id),
    `${this.prefix}r:{${id}}:a`,
    `${this.prefix}r:{${id}}:tb`,
  ];
  /** A join key's time index; an IP occurrence's roles and decision are in its member (redis-scripts.ts, OCCURRENCE). */
  private kKey = (key: string): string => `${this.prefix}k:{${key}}:t`;
  private bucketCount = (kind: BucketKind): number => (kind === 'due' || kind === 'emitting' ? this.emissionBuckets : this.sweepBuckets);
  private bucket = (kind: BucketKind, member: string): string =>
    `${this.prefix}${kind}:{${fnv1a(member) % this.bucketCount(kind)}}`;
  private allBuckets = (kind: BucketKind): string[] =>
    Array.from({ length: this.bucketCount(kind) }, (_, n) => `${this.prefix}${kind}:{${n}}`);
  private wmKey = (): string => `${this.prefix}wm`;

  private call(name: ScriptName, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    return this.batcher === undefined ? this.send(name, keys, args) : this.batcher.call(name, keys, args);
  }

  /** One script call: a single script, or a `Many` variant (key count first). */
  private async send(name: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, ScriptFn | undefined>)[name];
    if (fn === undefined) throw new Error(`redis script ${name} is not defined`);
    return name.endsWith(MANY_SUFFIX) ? fn.call(this.redis, keys.length, ...keys, ...args) : fn.call(this.redis, ...keys, ...args);
  }

  private bucketAdd(key: string, score: number | '-inf', member: string, mode: 'GT' | '' = ''): Promise<unknown> {
    return this.call('seamBucketAddAll', [key], [this.holdingTtlMs, mode, String(score), member]);
  }

  // --- watermark ------------------------------------------------------------------------------

  /**
   * Records the newest event time of an input partition and the wall-clock time of its last record
   * (also for heartbeats); returns the watermark.
   */
  async observe(partition: string, observedAt: number): Promise<number> {
    const now = this.clock.now();
    const flat = (await this.call('seamWatermark', [this.wmKey()], [partition, observedAt, this.holdingTtlMs, now])) as string[];
    return this.watermarkFrom(flat, now).watermark;
  }

  /**
   * min over partitions (effective time) − G, never below the persisted floor; −∞ before anything
   * was seen. A partition's effective time is its max observedAt, or — when idle advance is on and
   * its last record is older than `idleAdvanceMs` of wall time — max(that, now).
   */
  /**
   * Before the first ingest: refuses a prefix that holds state of another stored layout (an older
   * version's: field names, key names and encodings differ, so reading it would misread or lose
   * incidents), and claims a fresh prefix for this layout. The check is the watermark hash's
   * `~layout`; dedup records of an older layout that outlive its watermark (up to
   * `dedupRetentionMs`) are not detected: a redelivery of such an event is taken as a new event.
   */
  async prepare(): Promise<void> {
    const found = (await this.call('seamLayout', [this.wmKey()], [this.holdingTtlMs])) as string;
    if (found === 'ok') return;
    const what = found === '' ? 'a version from before session 10, which did not record its layout' : `layout ${found}`;
    throw new Error(
      `correlator: Redis prefix "${this.prefix}" holds correlation state of another layout (${what}; this version stores layout ${LAYOUT}). ` +
        `Start this version on a new CORRELATOR_REDIS_PREFIX, or stop the old instances and let their state expire (${Math.ceil(this.holdingTtlMs / 60_000)} min after their last record).`,
    );
  }

  async watermark(): Promise<number> {
    return (await this.watermarkView()).watermark;
  }

  private async watermarkView(): Promise<WatermarkView> {
    const flat = await this.redis.hgetall(this.wmKey());
    return this.watermarkFrom(Object.entries(flat).flat(), this.clock.now());
  }

  private watermarkFrom(flat: readonly string[], now: number): WatermarkView {
    const maxima = new Map<string, number>();
    const walls = new Map<string, number>();
    let floor = Number.NEGATIVE_INFINITY;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = flat[i] ?? '';
      const value = Number(flat[i + 1]);
      if (field === FLOOR_FIELD) floor = value;
      else if (field === LAYOUT_FIELD) continue;
      else if (field.startsWith(WALL_FIELD)) walls.set(field.slice(WALL_FIELD.length), value);
      else maxima.set(field, value);
    }
    if (maxima.size === 0) return { watermark: floor, strict: floor, idle: [] };
    let strict = Number.POSITIVE_INFINITY;
    let effective = Number.POSITIVE_INFINITY;
    const idle: string[] = [];
    for (const [partition, max] of maxima) {
      strict = Math.min(strict, max);
      const wall = walls.get(partition);
      if (this.idleAdvanceMs > 0 && wall !== undefined && now - wall > this.idleAdvanceMs) {
        idle.push(partition);
        effective = Math.min(effective, Math.max(max, now));
      } else effective = Math.min(effective, max);
    }
    const grace = this.config.graceMs;
    return {
      watermark: Math.max(floor, effective - grace),
      strict: Math.max(floor, strict - grace),
      idle: idle.sort(compareStrings),
    };
  }

  // --- ingest ---------------------------------------------------------------------------------

  /** Ingests one event read from `partition`. Same outcomes as `CorrelationEngine.ingest`. */
  async ingest(event: CorrelationEvent, partition = '0'): Promise<IngestOutcome> {
    const [outcome] = await this.ingestBatch([event], partition);
    if (outcome === undefined) throw new Error('correlator: ingestBatch returned no outcome');
    return outcome;
  }

  /**
   * Ingests the records of one partition batch, in offset order, and returns one outcome per event.
   * The events run concurrently (auto-pipelined: every step of the whole batch is one round trip
   * per node); that is safe because every step is idempotent or a CAS, exactly as for two instances
   * racing. Lateness is judged against the watermark read once at the start, and the partition's
   * event time is recorded once at the end, after every event is indexed — so the watermark never
   * passes an event of this batch before it is in the state.
   */
  async ingestBatch(events: readonly CorrelationEvent[], partition = '0'): Promise<IngestOutcome[]> {
    if (events.length === 0) return [];
    const now = this.clock.now();
    // The partition holds the watermark back from the start of its batch: its record time (it is
    // not idle while the batch is ingested) and the batch's minimum event time as its max (a max:
    // a partition seen before keeps its previous maximum if that is higher) are recorded first.
    // Without the latter, a partition's first batch would be missing from the maxima, so the
    // watermark could move (idle advance of the others) past an event being ingested. Recording the
    // minimum early is safe: every event of the batch is ≥ it, and nothing within W of an event
    // ≥ min can settle or be decided at a watermark ≤ min − G. The same call returns the watermark
    // that lateness is judged against.
    const batchMin = events.reduce((min, event) => Math.min(min, event.observedAt), Number.POSITIVE_INFINITY);
    const flat = (await this.call('seamWatermark', [this.wmKey()], [partition, batchMin, this.holdingTtlMs, now])) as string[];
    const { watermark } = this.watermarkFrom(flat, now);
    const seen: number[] = [];
    // 1. Create every new event (one script each, all in one pipeline); known and late ones take
    //    their own (rare) path to the end.
    const first = await this.pool(events, (event) => this.ingestOne(event, watermark, seen, now));
    // 2. Sweep-bucket entries of the new events, one ZADD per bucket: settle (by lastSeen), due
    //    (a new singleton root is due at now + debounce) and the undecided IP occurrences, the
    //    latter before the occurrences exist, so a crash in between leaves a harmless no-op decision.
    const created = first.filter((item): item is Created => 'created' in item);
    const adds = new BucketAdds();
    for (const { created: event, keys } of created) {
      adds.add(this.bucket('settle', event.eventId), event.observedAt, event.eventId, 'GT');
      adds.add(this.bucket('due', event.eventId), now + this.config.debounceMs, event.eventId, '');
      for (const [key, occurrence] of keys.keys) {
        if (occurrence.kind === 'ip') adds.add(this.bucket('undecided', key), event.observedAt, JSON.stringify([key, event.eventId]), '');
      }
    }
    await this.flushBucketAdds(adds);
    // 3. Index the keys of every new event (one script per key); identity neighbours are unioned.
    const unioned = await this.pool(created, ({ created: event, keys }) => this.indexKeys(event, keys, false));
    const byEvent = new Map(created.map((item, i) => [item, unioned[i] ?? true]));
    const outcomes = await this.pool(first, async (item): Promise<IngestOutcome> => {
      if (!('created' in item)) return item;
      // Not linked by this ingest: still its own singleton root (a concurrent union elsewhere makes
      // any answer a snapshot anyway), so no round trip for `find`.
      if (byEvent.get(item) === false) return { status: 'accepted', incidentId: incidentIdFor(item.created.eventId) };
      return { status: 'accepted', incidentId: await this.incidentOf(item.created.eventId) };
    });
    // 4. Only now may the watermark pass the events of this batch.
    if (seen.length > 0) await this.observe(partition, seen.reduce((a, b) => Math.max(a, b)));
    return outcomes;
  }

  private async flushBucketAdds(adds: BucketAdds): Promise<void> {
    await Promise.all(
      [...adds.byKey].flatMap(([key, { gt, plain }]) => [
        // score/member pairs: chunks of an even size keep them together
        ...chunks(gt).map((part) => this.call('seamBucketAddAll', [key], [this.holdingTtlMs, 'GT', ...part])),
        ...chunks(plain).map((part) => this.call('seamBucketAddAll', [key], [this.holdingTtlMs, '', ...part])),
      ]),
    );
  }

  /** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
  private async pool<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
    const out = new Array<R>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const i = next;
        next += 1;
        out[i] = await fn(items[i] as T);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
    return out;
  }

  private async ingestOne(event: CorrelationEvent, watermark: number, seen: number[], now: number): Promise<IngestOutcome | Created> {
    const normalized = mergeVersions(event, event);
    if (event.observedAt < watermark) {
      const existing = (await this.call('seamReadKnown', [this.eKey(event.eventId)], [event.eventId])) as string[];
      if (existing[0] === 'exists') {
        return this.known(normalized, [existing[1] ?? null, existing[2] || null, existing[3] || null], watermark, seen);
      }
      return this.ingestLate(normalized, seen);
    }
    const created = (await this.call(
      'seamCreate',
      [this.eKey(event.eventId), ...this.rKeys(event.eventId).slice(0, 2)],
      [event.eventId, event.observedAt, encodeEvent(normalized), this.holdingTtlMs, now],
    )) as string[];
    if (created[0] === 'exists') {
      return this.known(normalized, [created[1] ?? null, created[2] || null, created[3] || null], watermark, seen);
    }
    seen.push(event.observedAt);
    return { created: normalized, keys: extractKeys(normalized, this.policy) };
  }

  private async known(
    event: CorrelationEvent,
    [observedAt, stored, incident]: ReadonlyArray<string | null>,
    watermark: number,
    seen: number[],
  ): Promise<IngestOutcome> {
    if (incident !== null && incident !== undefined) return { status: 'duplicate', incidentId: incident };
    const incidentId = await this.incidentOf(event.eventId);
    if (Number(observedAt) !== event.observedAt) return { status: 'conflict', incidentId };
    if (stored === null || stored === undefined) return { status: 'duplicate', incidentId };
    for (let attempt = 0; attempt < MAX_RETRIES; attempt += 1) {
      const current = attempt === 0 ? stored : ((await this.call('seamReadEvent', [this.eKey(event.eventId)], [])) as string) || null;
      if (current === null) return { status: 'duplicate', incidentId: await this.incidentOf(event.eventId) };
      const merged = mergeVersions(decodeEvent(event.eventId, current), event);
      const mergedJson = encodeEvent(merged);
      if (mergedJson === current) {
        // A redelivery. Re-running the idempotent index steps repairs an ingest that crashed midway.
        seen.push(event.observedAt);
        await this.indexKeys(merged, extractKeys(merged, this.policy), true);
        return { status: 'duplicate', incidentId };
      }
      if (event.observedAt < watermark) return { status: 'late-update', incidentId };
      const ok = await this.call('seamUpdateEvent', [this.eKey(event.eventId)], [current, mergedJson, this.holdingTtlMs]);
      if (ok !== 1) continue;
      seen.push(event.observedAt);
      await this.indexKeys(merged, extractKeys(merged, this.policy), true);
      const root = await this.find(event.eventId);
      if (root !== undefined) await this.touch(root.id);
      return { status: 'updated', incidentId: await this.incidentOf(event.eventId) };
    }
    throw new Error(`correlator: update of ${event.eventId} did not converge`);
  }

  private async ingestLate(event: CorrelationEvent, seen: number[]): Promise<IngestOutcome> {
    const incidentId = incidentIdFor(event.eventId);
    const member: MemberState = { event, keys: extractKeys(event, this.policy), ipState: new Map() };
    const final = buildIncidentContent([member], this.config, true);
    const created = (await this.call(
      'seamCreateLate',
      [this.eKey(event.eventId), this.rKeys(event.eventId)[1]],
      [event.eventId, event.observedAt, incidentId, JSON.stringify(final), this.config.dedupRetentionMs, this.holdingTtlMs],
    )) as string[];
    if (created[0] === 'exists') return { status: 'duplicate', incidentId: created[3] || (await this.incidentOf(event.eventId)) };
    seen.push(event.observedAt);
    await Promise.all([
      this.bucketAdd(this.bucket('dedup', event.eventId), event.observedAt, event.eventId),
      this.bucketAdd(this.bucket('due', event.eventId), '-inf', event.eventId),
    ]);
    return { status: 'late', incidentId };
  }

  /** Indexes every key of an event; true when an identity neighbour was unioned with it. */
  private async indexKeys(event: CorrelationEvent, keys: EventKeys, registerUndecided: boolean): Promise<boolean> {
    let unioned = false;
    await Promise.all([...keys.keys].map(async ([key, occurrence]) => {
      const stored: StoredOccurrence = {
        kind: occurrence.kind,
        actor: occurrence.actor,
        target: occurrence.target,
        identities: keys.identities,
      };
      if (occurrence.kind === 'ip' && registerUndecided) {
        // Registered before the occurrence, so a crash in between leaves a harmless no-op decision.
        await this.bucketAdd(this.bucket('undecided', key), event.observedAt, JSON.stringify([key, event.eventId]));
      }
      const neighbours = (await this.call('seamIndex', [this.kKey(key)], [
        event.eventId,
        event.observedAt,
        encodeOccurrence(stored),
        occurrence.kind,
        this.holdingTtlMs,
      ])) as string[];
      if (occurrence.kind !== 'identity') return;
      // Nearest neighbours suffice (see engine.indexKeys); the per-key script is atomic, so of two
      // concurrent carriers the later-indexed one always sees the other.
      const pairs: Array<readonly [string | undefined, string | undefined]> = [
        [neighbours[0], neighbours[1]],
        [neighbours[2], neighbours[3]],
      ];
      for (const [id, score] of pairs) {
        if (id !== undefined && id !== '' && withinWindow(this.config, 'identity', Number(score), event.observedAt)) {
          unioned = true;
          await this.union(id, event.eventId);
        }
      }
    }));
    return unioned;
  }

  // --- union-find -----------------------------------------------------------------------------

  /** The root of an event's component, or undefined when the event is settled / unknown. */
  private async find(id: string): Promise<Node | undefined> {
    const path: Array<{ id: string; parent: string }> = [];
    let cursor = id;
    // A node whose union bookkeeping is in flight (not a root, root state still held) may be
    // restored to a root if its winner settled; no pointer may skip it until then.
    let pending = false;
    for (let hops = 0; hops < 10_000; hops += 1) {
      const [parent, observedAt, inFlight] = (await this.call('seamStep', [this.eKey(cursor), this.rKeys(cursor)[1]], [cursor])) as [
        string,
        string,
        number,
      ];
      if (parent === '' || observedAt === '') return undefined;
      if (parent === cursor) {
        if (!pending) {
          await Promise.all(path.slice(0, -1).map((step) => this.call('seamCompress', [this.eKey(step.id)], [step.parent, cursor])));
        }
        return { id: cursor, observedAt: Number(observedAt) };
      }
      if (inFlight === 1) pending = true;
      path.push({ id: cursor, parent });
      cursor = parent;
    }
    throw new Error('correlator: union-find path too long');
  }

  private async union(a: string, b: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_UNION_RETRIES; attempt += 1) {
      const [rootA, rootB] = await Promise.all([this.find(a), this.find(b)]);
      if (rootA === undefined || rootB === undefined || rootA.id === rootB.id) return;
      const [winner, loser] = compareEvents(
        { eventId: rootA.id, observedAt: rootA.observedAt },
        { eventId: rootB.id, observedAt: rootB.observedAt },
      ) < 0
        ? [rootA, rootB]
        : [rootB, rootA];
      const result = (await this.call('seamLink', [this.eKey(loser.id), ...this.rKeys(loser.id)], [loser.id, winner.id])) as unknown[];
      if (result[0] === 'moved') continue; // lost a race: re-find
      // 'settled': the loser's incident settled meanwhile; nothing joins a settled incident.
      if (result[0] !== 'ok') return;
      await this.hooks.afterLink?.(loser.id, winner.id);
      await this.moveRootState(loser.id, parseRootState(result.slice(1)), winner.id);
      return;
    }
    throw new Error(`correlator: union of ${a} and ${b} did not converge`);
  }

  /**
   * Cross-slot bookkeeping of a union (and its repair): every step is a set union or a max. When
   * the winner's incident settled before the loser's members reached it (its member set is then
   * final), the link is undone instead: the loser is a root again with its own state, its members
   * form their own incident (flagged late, as an event linking to a settled incident would be in the
   * engine) — never a member pointing into a forgotten incident. Returns 'restored' then.
   */
  private async moveRootState(loser: string, state: RootState, towards: string): Promise<'moved' | 'restored'> {
    const loserIncident = incidentIdFor(loser);
    // Emitted before (its version counter exists): it gets a last version, with its content as of
    // the merge, rebuilt from its members here rather than kept from its last emission (that copy
    // was ~1.1 KB per live incident, most of the state's memory).
    const emittedVersion = state.info.get('version');
    const loserContent =
      emittedVersion === undefined ? undefined : await this.contentOfMembers(state.members);
    const lastSeen = state.info.get('lastSeen') ?? '0';
    let refused = false;
    for (let attempt = 0; attempt < MAX_UNION_RETRIES; attempt += 1) {
      const root = await this.find(towards);
      if (root === undefined) {
        refused = true;
        break;
      }
      const winnerIncident = incidentIdFor(root.id);
      const absorbed = [...state.absorbed];
      const tombstones: Array<[string, string]> = state.tombstones.map((json) => {
        const version = JSON.parse(json) as IncidentVersion;
        return [version.incidentId, JSON.stringify({ ...version, mergedInto: winnerIncident })];
      });
      if (emittedVersion !== undefined) {
        absorbed.push(loserIncident);
        const version: IncidentVersion = {
          incidentId: loserIncident,
          version: Number(emittedVersion) + 1,
          status: 'settled',
          ...(loserContent ?? emptyContent()),
          absorbed: [...state.absorbed].sort(compareStrings),
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
        await Promise.all([this.bucketAdd(this.bucket('settle', root.id), Number(result[1]), root.id, 'GT'), this.touch(root.id)]);
      } else refused = result[0] === 'settled';
      break;
    }
    if (refused) {
      const restored = await this.call('seamRestore', [this.eKey(loser), this.rKeys(loser)[1]], [loser, towards]);
      if (restored === 1) {
        await Promise.all([this.bucketAdd(this.bucket('settle', loser), Number(lastSeen), loser, 'GT'), this.touch(loser)]);
        return 'restored';
      }
    }
    await this.call('seamCleanup', [this.eKey(loser), ...this.rKeys(loser)], [loser]);
    await Promise.all([this.redis.zrem(this.bucket('settle', loser), loser), this.redis.zrem(this.bucket('due', loser), loser)]);
    return 'moved';
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
    return (await this.redis.hget(this.eKey(eventId), FIELD.incident)) ?? incidentIdFor(eventId);
  }

  // --- event time: decide, settle, forget -----------------------------------------------------

  /**
   * Moves event time forward to the shared watermark: IP decisions, then settling, then dedup expiry.
   * Calls of one instance are serialized (the batches of several partitions and the timer call it
   * concurrently), and coalesced: a call made while a run is in progress gets the ONE run queued
   * after it, shared with every other call made meanwhile (it starts after their watermarks were
   * recorded, so it covers them). Serializing each call instead made the partitions' batches wait
   * for one bounded run per partition in turn.
   */
  advance(): Promise<AdvanceResult> {
    if (this.advanceQueued !== undefined) return this.advanceQueued;
    if (this.advanceRunning !== undefined) {
      const queued = this.advanceRunning
        .catch(() => undefined)
        .then(() => {
          this.advanceQueued = undefined;
          return this.startAdvance();
        });
      this.advanceQueued = queued;
      return queued;
    }
    return this.startAdvance();
  }

  private advanceRunning: Promise<AdvanceResult> | undefined;
  private advanceQueued: Promise<AdvanceResult> | undefined;

  private startAdvance(): Promise<AdvanceResult> {
    const run = this.advanceOnce().finally(() => {
      if (this.advanceRunning === run) this.advanceRunning = undefined;
    });
    this.advanceRunning = run;
    return run;
  }

  private async advanceOnce(): Promise<AdvanceResult> {
    const view = await this.watermarkView();
    const { watermark } = view;
    // Nothing can become due while the watermark stands still: an undecided entry or a root added
    // since has an event time ≥ the watermark at its ingest (else it was late).
    if (watermark === Number.NEGATIVE_INFINITY || watermark <= this.advancedTo) return { watermark, more: false };
    if (watermark > view.strict) {
      // Only idleness lets event time move this far: persist it as the floor first, so every
      // instance judges lateness against it from now on (the watermark never moves back when the
      // idle partition resumes with older events).
      await this.call('seamWatermark', [this.wmKey()], [FLOOR_FIELD, watermark, this.holdingTtlMs, '']);
    }
    const report = watermark > view.strict ? view.idle.join(',') : '';
    if (report !== this.lastIdleReport) {
      this.lastIdleReport = report;
      this.onIdleAdvance?.({ watermark, strictWatermark: view.strict, idlePartitions: report === '' ? [] : view.idle });
    }
    // Decisions come first and must be complete up to the watermark before anything settles there.
    if (await this.decideDue(watermark)) return { watermark, more: true };
    if (await this.settleDue(watermark)) return { watermark, more: true };
    if (await this.forgetDue(watermark)) return { watermark, more: true };
    this.advancedTo = watermark;
    return { watermark, more: false };
  }

  /**
   * Items per bucket and call: the bound of one advance()/tick() spread over the buckets of a kind
   * (at least one per bucket, so the bound is max(maxPerAdvance, buckets)).
   */
  private perBucket(kind: BucketKind): number {
    return Math.max(1, Math.ceil(this.maxPerAdvance / this.bucketCount(kind)));
  }

  /**
   * Reads every bucket of a kind at once (one slot each; sent concurrently, processed in order), at
   * most `perBucket(kind)` entries each, the earliest first.
   */
  private scanBuckets(kind: BucketKind, max: string, withScores: boolean): Promise<string[][]> {
    const limit = this.perBucket(kind);
    return Promise.all(
      this.allBuckets(kind).map(async (bucket) => (await this.call('seamScan', [bucket], [max, limit, withScores ? '1' : ''])) as string[]),
    );
  }

  /** Whether a bucket scan was cut by the limit (so more may be waiting). */
  private cut(kind: BucketKind, all: readonly string[][], withScores: boolean): boolean {
    const limit = this.perBucket(kind) * (withScores ? 2 : 1);
    return all.some((entries) => entries.length >= limit);
  }

  /** IP decisions due at the watermark; true when the bound cut the work (more to do). */
  private async decideDue(watermark: number): Promise<boolean> {
    const lookahead = this.config.hotKeyLookaheadMs;
    const buckets = this.allBuckets('undecided');
    const all = await this.scanBuckets('undecided', `(${watermark - lookahead}`, true);
    const work: Array<{ bucket: string; member: string; at: number }> = [];
    for (const [n, entries] of all.entries()) {
      for (let i = 0; i < entries.length; i += 2) work.push({ bucket: buckets[n] ?? '', member: entries[i] ?? '', at: Number(entries[i + 1]) });
    }
    // Decisions are independent CAS steps (as for instances deciding concurrently): run them together.
    await this.pool(work, async ({ member, at }) => {
      const [key, eventId] = JSON.parse(member) as [string, string];
      await this.decide(key, eventId, at);
    });
    // Removed after all decisions; a crash before leaves idempotent re-decisions.
    await this.removeFromBuckets(work.map(({ bucket, member }) => [bucket, member]));
    return this.cut('undecided', all, true);
  }

  /**
   * Hotness of an IP key at t (domain rule: distinct identities in [t − W, t + L] > K), decided once
   * by a CAS. The links are symmetric: after our own state is set, we link to every eligible
   * carrier within W on either side — of two carriers decided concurrently, the second sees the first.
   */
  private async decide(key: string, eventId: string, at: number): Promise<void> {
    const window = windowFor(this.config, 'ip');
    const candidates = parseCarriers((await this.call('seamRange', [this.kKey(key)], [at - window, at + this.config.hotKeyLookaheadMs])) as string[]);
    const own = candidates.find((carrier) => carrier.eventId === eventId);
    if (own?.occurrence === undefined) return;
    const distinct = hotCount(candidates.map((carrier) => carrier.occurrence?.identities ?? []));
    const state = distinct > this.config.hotKeyDistinctIdentities ? 'h' : 'e';
    const result = (await this.call('seamDecide', [this.kKey(key)], [eventId, state, at - window, at + window, distinct, at])) as string[];
    const decided = result[0];
    if (decided === 'h') {
      // Reported once per occurrence: only the call that made the decision (a redo or another
      // instance gets '0').
      if (result[1] === '1') this.onHotKey?.({ key, eventId, observedAt: at, distinctIdentities: distinct });
      const root = await this.find(eventId);
      if (root !== undefined) await this.touch(root.id);
      return;
    }
    if (decided !== 'e') return;
    const self = asOccurrence(key, own.occurrence);
    const partners = parseCarriers(result.slice(2)).filter(
      (partner) =>
        partner.eventId !== eventId &&
        partner.state === 'e' &&
        partner.occurrence !== undefined &&
        withinWindow(this.config, 'ip', partner.observedAt, at) &&
        rolesLink(self, asOccurrence(key, partner.occurrence)),
    );
    await Promise.all(partners.map((partner) => this.union(partner.eventId, eventId)));
  }

  /** Settles the roots due at the watermark; true when the bound cut the work (more to do). */
  private async settleDue(watermark: number): Promise<boolean> {
    const horizon = settleHorizonMs(this.config);
    const buckets = this.allBuckets('settle');
    const all = await this.scanBuckets('settle', `(${watermark - horizon}`, false);
    const work = all.flatMap((roots, n) => roots.map((root) => ({ root, bucket: buckets[n] ?? '' })));
    if (work.length === 0) return false;
    const adds = new BucketAdds();
    const results = await this.pool(work, ({ root }) => this.settle(root, adds, watermark - horizon));
    // Bucket entries of all settled roots (dedup, due), then the settle entries go — only after
    // the work, so a crash in between leaves an entry whose (idempotent) settle runs again. A root
    // that is not done keeps its entry.
    await this.flushBucketAdds(adds);
    await this.removeFromBuckets(work.filter((_, i) => results[i] === 'done').map(({ root, bucket }) => [bucket, root]));
    // 'again': still due but raced with a union (or restored): the next call retries at once.
    return this.cut('settle', all, false) || results.includes('again');
  }

  /**
   * Settles one root whose `lastSeen` was below `before` when its bucket was scanned. The settle is
   * a compare-and-set on the member set (`seamSettle`): marked settled only with exactly the members
   * the final content was built from; from then on no union adds to it (a late union is undone, see
   * `moveRootState`), so deleting the member set cannot lose a member. 'done' = the settle entry
   * can go; 'keep' = not due any more / handled by a union in flight; 'again' = still due, retry.
   */
  private async settle(root: string, adds: BucketAdds, before: number): Promise<'done' | 'keep' | 'again'> {
    const [eKey, ...rKeys] = [this.eKey(root), ...this.rKeys(root)];
    const [membersKey, infoKey] = rKeys;
    let loaded: MemberState[] = [];
    let settled = false;
    for (let attempt = 0; attempt < MAX_RETRIES && !settled; attempt += 1) {
      const collected = (await this.call('seamCollect', [eKey, ...rKeys], [root])) as unknown[];
      if (collected[0] === 'ok') {
        // Not a root any more, but its root state is still here: a union that crashed midway (or is
        // in flight on another instance). Repair (idempotent).
        const parent = typeof collected[5] === 'string' ? collected[5] : '';
        return (await this.moveRootState(root, parseRootState(collected.slice(1, 5)), parent)) === 'restored' ? 'again' : 'done';
      }
      if (collected[0] !== 'root') return 'done';
      const members = (collected[1] as string[] | undefined) ?? [];
      const rootEvent = typeof collected[2] === 'string' && collected[2] !== '' ? { id: root, json: collected[2] } : undefined;
      const info = parseRootState([[], collected[3]]).info;
      if (members.length === 0) return 'done';
      const alreadySettled = info.get('status') === 'settled';
      // A union raised lastSeen since the scan: not due any more (its entry carries the new score).
      if (!alreadySettled && Number(info.get('lastSeen') ?? '-Infinity') >= before) return 'keep';
      loaded = await this.loadMembers(members, rootEvent);
      if (loaded.length === 0) break;
      await this.hooks.afterSettleRead?.(root);
      const final = buildIncidentContent(loaded, this.config, info.get('lateLink') === '1');
      const result = await this.call('seamSettle', [eKey, membersKey ?? '', infoKey ?? ''], [root, JSON.stringify(final), members.length]);
      if (result === 'changed') continue; // a union added members after the read: read again
      if (result === 'moved') return 'again'; // linked under another root meanwhile: its union moves the state
      settled = true;
      if (result === 'ok') await this.hooks.afterSettleMark?.(root);
    }
    if (!settled && loaded.length > 0) return 'again';
    const incidentId = incidentIdFor(root);
    await Promise.all(
      loaded.flatMap((member) => [...member.keys.keys.keys()].map((key) => this.call('seamEvict', [this.kKey(key)], [member.event.eventId, member.event.observedAt]))),
    );
    await Promise.all(
      loaded.map((member) => this.call('seamForget', [this.eKey(member.event.eventId)], [incidentId, this.config.dedupRetentionMs])),
    );
    for (const member of loaded) adds.add(this.bucket('dedup', member.event.eventId), member.event.observedAt, member.event.eventId, '');
    // Safe: the root is settled, so no union adds to the set any more. A script, so the batcher
    // sends the settled roots' deletes as one call (a DEL each was a fifth of the plain commands).
    await this.call('seamDropMembers', [membersKey ?? ''], []);
    adds.add(this.bucket('due', root), '-inf', root, '');
    return 'done';
  }

  /** Drops the dedup records past their retention; true when the bound cut the work. */
  private async forgetDue(watermark: number): Promise<boolean> {
    const horizon = watermark - this.config.dedupRetentionMs;
    const buckets = this.allBuckets('dedup');
    const all = await this.scanBuckets('dedup', `(${horizon}`, false);
    const work = all.flatMap((ids, n) => ids.map((id) => ({ id, bucket: buckets[n] ?? '' })));
    await this.pool(work, ({ id }) => this.call('seamDropDedup', [this.eKey(id)], []));
    // Removed after all drops; a crash before leaves drops that are no-ops.
    await this.removeFromBuckets(work.map(({ id, bucket }) => [bucket, id]));
    return this.cut('dedup', all, false);
  }

  /** The content of a set of members as they are now (undefined when none is left). */
  private async contentOfMembers(ids: readonly string[]): Promise<IncidentContent | undefined> {
    const members = await this.loadMembers(ids);
    return members.length === 0 ? undefined : buildIncidentContent(members, this.config);
  }

  /** Members' events and IP decisions; `known` is an event already read (the root's, with its state). */
  private async loadMembers(ids: readonly string[], known?: { readonly id: string; readonly json: string }): Promise<MemberState[]> {
    // Reads go through scripts, so the batcher sends those of every member (and of every incident
    // emitted or settled in the same tick) as one call per script instead of a command each.
    const loaded = await Promise.all(
      ids.map(async (id): Promise<MemberState | undefined> => {
        const json = known?.id === id ? known.json : ((await this.call('seamReadEvent', [this.eKey(id)], [])) as string);
        if (json === '') return undefined;
        const event = decodeEvent(id, json);
        const keys = extractKeys(event, this.policy);
        const ipKeys = [...keys.keys].filter(([, occurrence]) => occurrence.kind === 'ip').map(([key]) => key);
        const states = await Promise.all(
          ipKeys.map(async (key) => (await this.call('seamReadIpState', [this.kKey(key)], [id, event.observedAt])) as [string, string]),
        );
        const ipState = new Map<string, IpKeyState>();
        const hotCounts = new Map<string, number>();
        ipKeys.forEach((key, i) => {
          const [state, count] = states[i] ?? [];
          ipState.set(key, state === 'h' ? 'hot' : state === 'e' ? 'eligible' : 'pending');
          if (state === 'h' && count !== undefined && count !== '') hotCounts.set(key, Number(count));
        });
        return { event, keys, ipState, hotCounts };
      }),
    );
    const out = loaded.filter((member): member is MemberState => member !== undefined);
    return out.sort((a, b) => compareEvents(a.event, b.event));
  }

  // --- emission -------------------------------------------------------------------------------

  /**
   * Versions whose debounce elapsed (settled ones at once); exactly one instance emits each. At
   * most `maxPerAdvance` roots per call (the rest stay due). With an emission lease, the caller
   * must `ack` the versions once produced.
   */
  async tick(options: TickOptions = {}): Promise<IncidentVersion[]> {
    const now = this.clock.now();
    if (this.emissionLeaseMs > 0) await this.reclaim(now);
    return this.emitUpTo(now, this.perBucket('due'), options.acknowledge === true);
  }

  /** Every pending version now, ignoring the debounce (unbounded). */
  async drain(options: TickOptions = {}): Promise<IncidentVersion[]> {
    if (this.emissionLeaseMs > 0) await this.reclaim(this.clock.now());
    return this.emitUpTo(Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER, options.acknowledge === true);
  }

  /**
   * The versions (as returned by `tick`/`drain`) were produced: releases their emission leases.
   * A no-op without a lease.
   */
  async ack(versions: readonly IncidentVersion[]): Promise<void> {
    if (this.emissionLeaseMs <= 0) return;
    const byRoot = new Map<string, { version: number; tombstones: Array<[string, string]> }>();
    for (const version of versions) {
      const from = this.emitted.get(version);
      if (from === undefined) continue;
      const entry = byRoot.get(from.root) ?? { version: 0, tombstones: [] };
      byRoot.set(from.root, entry);
      if (from.own) entry.version = version.version;
      else if (from.raw !== undefined) entry.tombstones.push([version.incidentId, from.raw]);
    }
    await this.release([...byRoot].map(([root, entry]) => ({ root, ...entry })));
  }

  /**
   * Acknowledges roots' emissions: every root state first, then the lease entries, one ZREM per
   * emitting bucket (one per root was a third of the plain commands per event). A crash in between
   * leaves leases that expire and re-emit the same versions, as a crash before the ack does.
   */
  private async release(entries: ReadonlyArray<{ root: string; version: number; tombstones: ReadonlyArray<[string, string]> }>): Promise<void> {
    if (entries.length === 0) return;
    await this.pool(entries, ({ root, version, tombstones }) => {
      const [, infoKey, absorbedKey, tombKey] = this.rKeys(root);
      return this.call('seamAck', [infoKey, absorbedKey, tombKey], [String(version), JSON.stringify(tombstones)]);
    });
    await this.releaseLeases(entries.map(({ root }) => root));
  }

  /** Drops roots' lease entries. */
  private releaseLeases(roots: readonly string[]): Promise<void> {
    return this.removeFromBuckets(roots.map((root) => [this.bucket('emitting', root), root]));
  }

  /** Removes sweep-bucket entries: one ZREM per bucket (in chunks), all buckets at once. */
  private async removeFromBuckets(entries: ReadonlyArray<readonly [bucket: string, member: string]>): Promise<void> {
    const byBucket = new Map<string, string[]>();
    for (const [bucket, member] of entries) {
      const members = byBucket.get(bucket);
      if (members === undefined) byBucket.set(bucket, [member]);
      else members.push(member);
    }
    await Promise.all([...byBucket].flatMap(([bucket, members]) => chunks(members).map((part) => this.call('seamBucketRemove', [bucket], part))));
  }

  /** Expired emission leases go back to the due buckets. */
  private async reclaim(now: number): Promise<void> {
    const emitting = this.allBuckets('emitting');
    const due = this.allBuckets('due');
    await Promise.all(emitting.map((bucket, n) => this.call('seamReclaim', [bucket, due[n] ?? ''], [now, this.holdingTtlMs])));
  }

  /** Processing time at which `tick` next has something to emit. */
  async nextDueAt(): Promise<number | undefined> {
    let next: number | undefined;
    const kinds: BucketKind[] = this.emissionLeaseMs > 0 ? ['due', 'emitting'] : ['due'];
    const firsts = await Promise.all(kinds.flatMap((kind) => this.allBuckets(kind)).map((bucket) => this.redis.zrange(bucket, 0, 0, 'WITHSCORES')));
    for (const first of firsts) {
      if (first[1] === undefined) continue;
      const at = first[1] === '-inf' ? Number.NEGATIVE_INFINITY : Number(first[1]);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Whether `tick` would emit something now (a bounded tick left some due). */
  async hasDue(): Promise<boolean> {
    const at = await this.nextDueAt();
    return at !== undefined && at <= this.clock.now();
  }

  private async emitUpTo(now: number, limit: number, acknowledge: boolean): Promise<IncidentVersion[]> {
    const max = now === Number.POSITIVE_INFINITY ? '+inf' : String(now);
    const lease = this.emissionLeaseMs > 0 ? String(this.clock.now() + this.emissionLeaseMs) : '';
    const emitting = this.allBuckets('emitting');
    // An atomic pop per bucket decides which instance emits a root (exactly one gets it); with a
    // lease the popped roots stay in the emitting bucket until acknowledged.
    const popped = await Promise.all(
      this.allBuckets('due').map(
        async (bucket, n) => (await this.call('seamPop', [bucket, emitting[n] ?? ''], [max, limit, lease, this.holdingTtlMs])) as string[],
      ),
    );
    const due = [...new Set(popped.flat())].sort(compareStrings);
    // Acknowledged at once: each emission script also does what seamAck would (one script instead
    // of two per root), and only the lease entries are left to release.
    const acknowledged = lease !== '' && acknowledge;
    const emitted = await this.pool(due, (root) => this.emit(root, acknowledged));
    if (acknowledged) await this.releaseLeases(due);
    // Nothing to produce: nothing to wait for either.
    else if (lease !== '') await this.release(due.filter((_, i) => emitted[i]?.length === 0).map((root) => ({ root, version: 0, tombstones: [] })));
    return emitted.flat();
  }

  private async emit(root: string, acknowledged: boolean): Promise<IncidentVersion[]> {
    // Rebuilt when the incident settled while its open content was being read.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const result = await this.emitOnce(root, acknowledged);
      if (result !== 'stale') return result;
    }
    return [];
  }

  private async emitOnce(root: string, acknowledged: boolean): Promise<IncidentVersion[] | 'stale'> {
    const [membersKey, infoKey, absorbedKey, tombKey] = this.rKeys(root);
    const [infoFlat, memberIds, absorbedIds, rootEvent] = (await this.call('seamLoadRoot', [this.eKey(root), membersKey, infoKey, absorbedKey], [root])) as [
      string[],
      string[],
      string[],
      string,
    ];
    const { info } = parseRootState([[], infoFlat]);
    if (!info.has('lastSeen')) return [];
    const status = info.get('status') === 'settled' ? 'settled' : 'open';
    let content: IncidentContent;
    const final = info.get('final');
    if (final !== undefined) content = JSON.parse(final) as IncidentContent;
    else {
      const members = await this.loadMembers(memberIds, rootEvent === '' ? undefined : { id: root, json: rootEvent });
      if (members.length === 0) return [];
      content = buildIncidentContent(members, this.config);
    }
    const absorbed = [...absorbedIds].sort(compareStrings);
    // Only compared for equality: a digest keeps the stored field at 22 bytes.
    const fingerprint = createHash('sha256').update(materialFingerprint(content, absorbed, status)).digest('base64').slice(0, 22);
    const incidentId = incidentIdFor(root);
    const body: IncidentVersion = { incidentId, version: 0, status, ...content, absorbed, mergedInto: null };
    const lease = this.emissionLeaseMs > 0 ? '1' : '';
    const result = (await this.call(
      'seamEmit',
      [this.eKey(root), infoKey, absorbedKey, tombKey],
      [root, fingerprint, status, lease, acknowledged ? '1' : ''],
    )) as [string, number, string[]];
    if (result[0] === 'stale') return 'stale';
    if (result[0] !== 'ok') return [];
    const out: IncidentVersion[] = [];
    // Acknowledged ones are not recorded: a later ack() of them is a no-op.
    if (result[1] > 0) {
      const version = { ...body, version: result[1] };
      if (!acknowledged) this.emitted.set(version, { root, own: true });
      out.push(version);
    }
    for (const tombstone of result[2]) {
      const version = { ...(JSON.parse(tombstone) as IncidentVersion), mergedInto: incidentId };
      if (!acknowledged) this.emitted.set(version, { root, own: false, raw: tombstone });
      out.push(version);
    }
    return out;
  }
}

type BucketKind = 'settle' | 'undecided' | 'due' | 'dedup' | 'emitting';

export interface TickOptions {
  /**
   * The caller acknowledges the versions now, before producing them (the batch path, whose outputs
   * the kit produces after the handler returns): each root's emission and its acknowledgement are
   * one script. The lease then covers only a failure between the pop and the emission.
   */
  readonly acknowledge?: boolean;
}

/** Content of a merged-away incident none of whose members is left (not expected: the members stay until settled). */
const emptyContent = (): IncidentContent => ({
  firstSeen: 0,
  lastSeen: 0,
  members: [],
  keys: [],
  links: [],
  hybrid: false,
  sources: {},
  tactics: [],
  hotKeys: [],
  late: false,
});

/** Fields of the watermark hash besides the partitions (`~` never occurs in a Kafka topic name). */
const FLOOR_FIELD = '~floor';
const WALL_FIELD = '~wall:';

/** Short field name in `e:{id}` -> the name the client uses for it (redis-scripts.ts, FIELD). */
const LONG_NAME = new Map<string, string>(Object.entries(FIELD).map(([long, short]) => [short, long]));

/** A root's state as the scripts return it; the info map is keyed by the long names (`lastSeen`, …). */
const parseRootState = (parts: readonly unknown[]): RootState => {
  const info = new Map<string, string>();
  const flat = (parts[1] as string[] | undefined) ?? [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i] ?? '';
    info.set(LONG_NAME.get(name) ?? name, flat[i + 1] ?? '');
  }
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
      occurrence: json === '' ? undefined : decodeOccurrence(json),
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

/** Splits a long argument list (a command with 100k arguments blocks Redis for too long). */
const chunks = <T>(items: readonly T[], size = 2000): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** 32-bit FNV-1a: the sweep bucket of a member (any stable hash will do; all instances share it). */
export const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
};
