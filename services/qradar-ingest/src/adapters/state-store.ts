import type { RedisClient } from '@seam/kit';
import {
  dedupKeySuffix,
  parseChangedCursor,
  parseNewCursor,
  serializeChangedCursor,
  type ChangedCursor,
  type NewCursor,
  type OffenseVersion,
} from '../domain/cursors';
import { parseIntent, serializeIntent, type ProduceIntent } from '../domain/intent';

/**
 * Cursors and per-version dedup markers in Redis. Every key shares one hash tag, so the MULTI that
 * records "produced" markers together with a cursor also works on a Redis Cluster.
 */
export class StateStore {
  readonly #prefix: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly dedupTtlSeconds: number,
  ) {
    this.#prefix = `${prefix}{qradar-ingest}:`;
  }

  key(name: string): string {
    return `${this.#prefix}${name}`;
  }

  async newCursor(): Promise<NewCursor> {
    return parseNewCursor(await this.redis.get(this.key('cursor:new')));
  }

  async changedCursor(): Promise<ChangedCursor> {
    return parseChangedCursor(await this.redis.get(this.key('cursor:changed')));
  }

  /** The subset of `versions` not yet marked produced. */
  async unseen<T extends OffenseVersion>(versions: readonly T[]): Promise<T[]> {
    if (versions.length === 0) return [];
    const values = await this.redis.mget(versions.map((v) => this.key(`seen:${dedupKeySuffix(v)}`)));
    return versions.filter((_v, i) => values[i] === null);
  }

  /** The subset of DLQ content hashes not yet marked as sent to the DLQ. */
  async unsentDlq(hashes: readonly string[]): Promise<string[]> {
    if (hashes.length === 0) return [];
    const values = await this.redis.mget(hashes.map((h) => this.key(`dlq:${h}`)));
    return hashes.filter((_h, i) => values[i] === null);
  }

  /** Journals a produce before it happens (same hash tag as the markers; deleted by `commit`). */
  async writeIntent(intent: ProduceIntent): Promise<void> {
    await this.redis.set(this.key('intent'), serializeIntent(intent));
  }

  /** The intent left by a process that died between a produce and its commit, if any. */
  async readIntent(): Promise<ProduceIntent | undefined> {
    const text = await this.redis.get(this.key('intent'));
    return text === null ? undefined : parseIntent(text);
  }

  /**
   * Marks versions produced, DLQ'd elements (content hashes) sent, and (optionally) moves a cursor,
   * and deletes the produce intent, atomically. Call after the produce (and DLQ) ack.
   */
  async commit(
    versions: readonly OffenseVersion[],
    cursor?: { readonly kind: 'new'; readonly value: NewCursor } | { readonly kind: 'changed'; readonly value: ChangedCursor },
    dlqHashes: readonly string[] = [],
  ): Promise<void> {
    const multi = this.redis.multi();
    for (const h of dlqHashes) multi.set(this.key(`dlq:${h}`), '1', 'EX', this.dedupTtlSeconds);
    for (const v of versions) multi.set(this.key(`seen:${dedupKeySuffix(v)}`), '1', 'EX', this.dedupTtlSeconds);
    if (cursor?.kind === 'new') multi.set(this.key('cursor:new'), String(cursor.value.lastId));
    if (cursor?.kind === 'changed') multi.set(this.key('cursor:changed'), serializeChangedCursor(cursor.value));
    multi.del(this.key('intent'));
    const result = await multi.exec();
    const failed = result?.find(([error]) => error !== null);
    if (result === null || failed) throw new Error('Redis MULTI for cursor/dedup failed');
  }
}
