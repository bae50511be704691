import type { RedisClient } from '@seam/kit';

export interface WatermarkState {
  /** Highest UpdatedAt (epoch ms) produced so far, or null before the first finding. */
  readonly watermarkMs: number | null;
  /** Ids of the produced findings whose UpdatedAt equals the watermark. */
  readonly seen: ReadonlySet<string>;
}

export interface WatermarkStore {
  load(): Promise<WatermarkState>;
  save(state: WatermarkState): Promise<void>;
}

/** The Security Hub poll watermark in one Redis hash (written in one HSET, so never half-updated). */
export class RedisWatermarkStore implements WatermarkStore {
  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
  ) {}

  async load(): Promise<WatermarkState> {
    const fields = await this.redis.hgetall(this.key);
    const watermark = fields['watermarkMs'];
    const seen = fields['seen'];
    const watermarkMs = watermark === undefined || watermark === '' ? null : Number(watermark);
    const ids = seen === undefined ? [] : (JSON.parse(seen) as unknown);
    return {
      watermarkMs: watermarkMs !== null && Number.isFinite(watermarkMs) ? watermarkMs : null,
      seen: new Set(Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : []),
    };
  }

  async save(state: WatermarkState): Promise<void> {
    await this.redis.hset(this.key, { watermarkMs: state.watermarkMs === null ? '' : String(state.watermarkMs), seen: JSON.stringify([...state.seen]) });
  }
}

/** A set of finished CloudTrail files (by name + size + mtime), so a rerun skips them. */
export class RedisFileLedger {
  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
  ) {}

  async isDone(fileId: string): Promise<boolean> {
    return (await this.redis.sismember(this.key, fileId)) === 1;
  }

  async markDone(fileId: string): Promise<void> {
    await this.redis.sadd(this.key, fileId);
  }
}
