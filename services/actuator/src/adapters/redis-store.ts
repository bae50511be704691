/**
 * Actions, execution claims and rate-limit counters in Redis. Every key carries the hash tag
 * `{actuator}` so the multi-key transactions also run on a cluster (one slot).
 */
import type { RedisClient } from '@seam/kit';
import type { StoredAction } from '../domain/action';

export interface Claim {
  state: 'executing' | 'succeeded' | 'failed';
  owner: string;
  leaseUntil: number;
  claimedAt: number;
  result?: { ok: boolean; message: string; externalId: string | null };
}

const OUTCOME_TTL_MS = 30 * 24 * 3600_000;

type Updated = { before: StoredAction; after: StoredAction; changed: boolean };

const unsentMember = (s: { actionId: string; sequence: number }): string => `${s.actionId}#${s.sequence}`;

export class RedisActionStore {
  private readonly redis: RedisClient;
  private readonly base: string;

  constructor(options: { redis: RedisClient; prefix: string }) {
    this.redis = options.redis;
    this.base = `${options.prefix}{actuator}:`;
  }

  /** WATCH is per connection: read-modify-writes of this process run one at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private key(kind: string, id?: string): string {
    return id === undefined ? `${this.base}${kind}` : `${this.base}${kind}:${id}`;
  }

  async get(actionId: string): Promise<StoredAction | undefined> {
    const text = await this.redis.get(this.key('a', actionId));
    return text === null ? undefined : (JSON.parse(text) as StoredAction);
  }

  async list(limit = 500): Promise<StoredAction[]> {
    const ids = await this.redis.zrevrange(this.key('all'), 0, limit - 1);
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(...ids.map((id) => this.key('a', id)));
    return texts.filter((t): t is string => t !== null).map((t) => JSON.parse(t) as StoredAction);
  }

  /**
   * Stores a new action and its indexes in one transaction; false when the id already exists
   * (redelivery). One transaction, so a crash cannot leave a proposal outside `pending` and `all`
   * (never expired, never listed for approval).
   */
  create(action: StoredAction): Promise<boolean> {
    return this.serial(() =>
      this.watched(this.key('a', action.actionId), (text) => {
        if (text !== null) return { done: false };
        const multi = this.redis.multi().set(this.key('a', action.actionId), JSON.stringify(action));
        this.indexInto(multi, undefined, action);
        return { multi, then: true };
      }),
    );
  }

  /**
   * Optimistic transaction on one key: WATCH it, read it, and let `step` either answer at once
   * (`done`) or build a transaction whose success answers `then`; read again when another writer
   * changed the key first.
   */
  private async watched<T>(key: string, step: (text: string | null) => { done: T } | { multi: ReturnType<RedisClient['multi']>; then: T }): Promise<T> {
    for (let attempt = 0; attempt < 20; attempt++) {
      await this.redis.watch(key);
      const next = step(await this.redis.get(key));
      if ('done' in next) {
        await this.redis.unwatch();
        return next.done;
      }
      if ((await next.multi.exec()) !== null) return next.then;
    }
    throw new Error(`${key}: too much contention`);
  }

  private indexInto(multi: ReturnType<RedisClient['multi']>, before: StoredAction | undefined, after: StoredAction): void {
    const id = after.actionId;
    if (before === undefined) multi.zadd(this.key('all'), after.proposedAt, id);
    if (after.status === 'proposed') {
      multi.zadd(this.key('pending'), after.expiresAt, id);
      multi.sadd(this.key('inc', after.verdict.incidentId), id);
    } else {
      multi.zrem(this.key('pending'), id);
      multi.srem(this.key('inc', after.verdict.incidentId), id);
    }
    if (after.status === 'approved') multi.zadd(this.key('approved'), after.at, id);
    else multi.zrem(this.key('approved'), id);
    if (after.status === 'executing') multi.zadd(this.key('executing'), after.at, id);
    else multi.zrem(this.key('executing'), id);
  }

  /**
   * Optimistic read-modify-write: `change` returns the new action or null (no change). Returns
   * the stored result (or undefined when the action does not exist). The new state and its indexes
   * are one transaction. With `outbox`, the same transaction also lists the action as unsent: the
   * caller produces its records itself (outside the consume loop) and then calls `sent`; what a
   * crash left listed is produced again by the sweeper (`unsentIds`).
   */
  update(actionId: string, change: (action: StoredAction) => StoredAction | null, options: { outbox?: boolean } = {}): Promise<Updated | undefined> {
    return this.serial(() => this.updateNow(actionId, change, options.outbox === true));
  }

  private updateNow(actionId: string, change: (action: StoredAction) => StoredAction | null, outbox: boolean): Promise<Updated | undefined> {
    const key = this.key('a', actionId);
    return this.watched<Updated | undefined>(key, (text) => {
      if (text === null) return { done: undefined };
      const before = JSON.parse(text) as StoredAction;
      const after = change(before);
      if (after === null) return { done: { before, after: before, changed: false } };
      const multi = this.redis.multi().set(key, JSON.stringify(after));
      this.indexInto(multi, before, after);
      if (outbox && after.sequence !== before.sequence) multi.zadd(this.key('unsent'), after.at, unsentMember(after));
      return { multi, then: { before, after, changed: true } };
    });
  }

  /** Records the verdict version seen for an incident; returns the highest seen so far (kept 30 days). */
  async latestVerdictVersion(incidentId: string, version: number): Promise<number> {
    const key = this.key('ver', incidentId);
    const results = await this.redis.multi().zadd(key, 'GT', version, 'v').pexpire(key, OUTCOME_TTL_MS).zscore(key, 'v').exec();
    return Number(results?.[2]?.[1] ?? version);
  }

  async pendingIdsOfIncident(incidentId: string): Promise<string[]> {
    return this.redis.smembers(this.key('inc', incidentId));
  }

  async expiredPendingIds(now: number, limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.key('pending'), 0, now, 'LIMIT', 0, limit);
  }

  /**
   * States listed unsent at or before `olderThan`: a crash came between storing them and producing
   * their records. One entry per (action, sequence), so marking one state sent never hides a later one.
   */
  async unsent(olderThan: number, limit = 100): Promise<{ actionId: string; sequence: number }[]> {
    const members = await this.redis.zrangebyscore(this.key('unsent'), 0, olderThan, 'LIMIT', 0, limit);
    return members.map((m) => {
      const at = m.lastIndexOf('#');
      return { actionId: m.slice(0, at), sequence: Number(m.slice(at + 1)) };
    });
  }

  /** The records of these states reached the topic. */
  async sent(states: readonly { actionId: string; sequence: number }[]): Promise<void> {
    if (states.length > 0) await this.redis.zrem(this.key('unsent'), ...states.map(unsentMember));
  }

  /** Actions executing since at or before `olderThan` (an owner that crashed mid-execution leaves them so). */
  async executingIds(olderThan: number, limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.key('executing'), 0, olderThan, 'LIMIT', 0, limit);
  }

  async approvedIds(olderThan: number, limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.key('approved'), 0, olderThan, 'LIMIT', 0, limit);
  }

  // ---- execution claims ------------------------------------------------------------------------

  /** SET NX of the executing claim; returns null when claimed now, else the existing claim. */
  async claim(actionId: string, owner: string, leaseMs: number, now: number): Promise<Claim | null> {
    const claim: Claim = { state: 'executing', owner, leaseUntil: now + leaseMs, claimedAt: now };
    const ok = await this.redis.set(this.key('claim', actionId), JSON.stringify(claim), 'NX');
    if (ok === 'OK') return null;
    const text = await this.redis.get(this.key('claim', actionId));
    return text === null ? null : (JSON.parse(text) as Claim);
  }

  /** Replaces an expired executing claim with ours, if it is still the one we saw. */
  takeOver(actionId: string, seen: Claim, owner: string, leaseMs: number, now: number): Promise<boolean> {
    return this.serial(() => this.takeOverNow(actionId, seen, owner, leaseMs, now));
  }

  private async takeOverNow(actionId: string, seen: Claim, owner: string, leaseMs: number, now: number): Promise<boolean> {
    const key = this.key('claim', actionId);
    await this.redis.watch(key);
    const text = await this.redis.get(key);
    if (text === null || text !== JSON.stringify(seen)) {
      await this.redis.unwatch();
      return false;
    }
    const claim: Claim = { state: 'executing', owner, leaseUntil: now + leaseMs, claimedAt: now };
    const result = await this.redis.multi().set(key, JSON.stringify(claim)).exec();
    return result !== null;
  }

  /** Records the outcome on the claim (kept for 30 days): a later attempt finds it and does not run. */
  async completeClaim(actionId: string, owner: string, result: NonNullable<Claim['result']>, now: number): Promise<void> {
    const claim: Claim = { state: result.ok ? 'succeeded' : 'failed', owner, leaseUntil: now, claimedAt: now, result };
    await this.redis.set(this.key('claim', actionId), JSON.stringify(claim), 'PX', OUTCOME_TTL_MS);
  }

  async getClaim(actionId: string): Promise<Claim | undefined> {
    const text = await this.redis.get(this.key('claim', actionId));
    return text === null ? undefined : (JSON.parse(text) as Claim);
  }

  // ---- rate limits -----------------------------------------------------------------------------

  async rateCount(kind: string, window: number): Promise<number> {
    return Number((await this.redis.get(this.key('rate', `${kind}:${window}`))) ?? '0');
  }

  async rateIncrement(kind: string, window: number, windowMs: number): Promise<number> {
    const key = this.key('rate', `${kind}:${window}`);
    const results = await this.redis.multi().incr(key).pexpire(key, windowMs * 2).exec();
    return Number(results?.[0]?.[1] ?? 0);
  }

  /** Deletes every key of this store (tests). */
  async purge(): Promise<void> {
    const keys = await this.redis.keys(`${this.base.replace(/[{}]/g, '\\$&')}*`);
    if (keys.length > 0) await this.redis.del(...keys);
  }
}
