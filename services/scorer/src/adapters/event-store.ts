/**
 * The scorer's store of compact member-event records (domain/event-record.ts), written from
 * `enriched` and read when an incident version is scored.
 *
 * Redis: one string per event under `<prefix>ev:<digest>` (digest = 22 base64url characters of
 * sha256(eventId)), so events spread over every slot of a cluster — no hot hash tag. The value is
 * `<sourceUpdatedAt>|<ingestedAt>|<record JSON>`; a Lua script keeps the newest version (ties
 * overwrite: redelivery is idempotent) and refreshes the TTL. Reads are one MGET (standalone) or
 * one MGET per hash slot, in parallel (cluster). Every call goes through the RedisGuard: Redis slow
 * or down = events missing (scored from the member summary), never a failed verdict.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '@seam/kit';
import { parseEventRecord, type CompactedEvent, type EventRecord } from '../domain/event-record';
import type { RedisGuard } from './redis-cache';

export interface EventStore {
  /** Stores the record unless a newer version of the event is held. False when it could not be written. */
  put(event: CompactedEvent): Promise<boolean>;
  /** The valid records among `eventIds` (corrupted or foreign values count as missing). */
  load(eventIds: readonly string[]): Promise<Map<string, EventRecord>>;
  /** False while the store is known to be down (no point waiting for events). */
  readonly available: boolean;
}

const newer = (a: EventRecord, b: EventRecord): boolean =>
  a.sourceUpdatedAt > b.sourceUpdatedAt || (a.sourceUpdatedAt === b.sourceUpdatedAt && a.ingestedAt >= b.ingestedAt);

/** In-process store (no Redis configured; unit tests, benchmarks): bounded, oldest writes forgotten first, TTL. */
export class LocalEventStore implements EventStore {
  private readonly records = new Map<string, { record: EventRecord; expiresAt: number }>();
  readonly available = true;

  constructor(private readonly ttlMs: number, private readonly maxEntries = 100_000, private readonly now: () => number = Date.now) {}

  put(event: CompactedEvent): Promise<boolean> {
    const { record } = event;
    const held = this.records.get(record.eventId);
    if (held !== undefined && held.expiresAt > this.now() && !newer(record, held.record)) {
      held.expiresAt = this.now() + this.ttlMs;
      return Promise.resolve(true);
    }
    this.records.delete(record.eventId);
    this.records.set(record.eventId, { record, expiresAt: this.now() + this.ttlMs });
    while (this.records.size > this.maxEntries) {
      const oldest = this.records.keys().next();
      if (oldest.done === true) break;
      this.records.delete(oldest.value);
    }
    return Promise.resolve(true);
  }

  load(eventIds: readonly string[]): Promise<Map<string, EventRecord>> {
    const found = new Map<string, EventRecord>();
    const now = this.now();
    for (const id of eventIds) {
      const held = this.records.get(id);
      if (held !== undefined && held.expiresAt > now) found.set(id, held.record);
    }
    return Promise.resolve(found);
  }
}

// KEYS[1] = event key; ARGV = sourceUpdatedAt, ingestedAt, value, ttl ms. Keeps the newest version;
// a corrupted held value is overwritten. Returns 1 when written, 0 when a newer version is held.
const PUT_NEWEST = `
local held = redis.call('GET', KEYS[1])
if held then
  local u, i = string.match(held, '^(%d+)|(%d+)|')
  if u then
    u = tonumber(u)
    i = tonumber(i)
    local inU = tonumber(ARGV[1])
    local inI = tonumber(ARGV[2])
    if u > inU or (u == inU and i > inI) then
      redis.call('PEXPIRE', KEYS[1], ARGV[4])
      return 0
    end
  end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1
`;

/** `<u>|<i>|<json>` → the record, or null (wrong shape, corrupted, another event's record). */
export function decodeStoredValue(value: string, eventId: string): EventRecord | null {
  const first = value.indexOf('|');
  const second = first < 0 ? -1 : value.indexOf('|', first + 1);
  if (second < 0) return null;
  return parseEventRecord(value.slice(second + 1), eventId);
}

export const encodeStoredValue = (event: CompactedEvent): string =>
  `${event.record.sourceUpdatedAt}|${event.record.ingestedAt}|${event.text}`;

export class RedisEventStore implements EventStore {
  constructor(private readonly guard: RedisGuard, private readonly prefix: string, private readonly ttlMs: number) {}

  get available(): boolean {
    return this.guard.available;
  }

  key(eventId: string): string {
    return `${this.prefix}ev:${createHash('sha256').update(eventId).digest('base64url').slice(0, 22)}`;
  }

  async put(event: CompactedEvent): Promise<boolean> {
    const { record } = event;
    const written = await this.guard.run((redis) => redis.eval(
      PUT_NEWEST, 1, this.key(record.eventId), String(record.sourceUpdatedAt), String(record.ingestedAt), encodeStoredValue(event), String(this.ttlMs),
    ));
    return written !== undefined;
  }

  async load(eventIds: readonly string[]): Promise<Map<string, EventRecord>> {
    const found = new Map<string, EventRecord>();
    const ids = [...new Set(eventIds)];
    if (ids.length === 0) return found;
    const values = await this.guard.run((redis) => mgetBySlot(redis, ids.map((id) => this.key(id))));
    if (values === undefined) return found;
    for (const [index, id] of ids.entries()) {
      const value = values[index];
      if (typeof value !== 'string') continue;
      const record = decodeStoredValue(value, id);
      if (record !== null) found.set(id, record);
    }
    return found;
  }
}

/** MGET of `keys`, in their order: one command standalone, one per hash slot on a cluster. */
export async function mgetBySlot(redis: RedisClient, keys: readonly string[]): Promise<(string | null)[]> {
  if (!redis.isCluster) return redis.mget(...keys);
  const groups = new Map<number, number[]>();
  for (const [index, key] of keys.entries()) {
    const slot = keySlot(key);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [index]);
    else group.push(index);
  }
  const out: (string | null)[] = keys.map(() => null);
  await Promise.all([...groups.values()].map(async (indexes) => {
    const values = await redis.mget(...indexes.map((index) => keys[index] ?? ''));
    for (const [position, index] of indexes.entries()) out[index] = values[position] ?? null;
  }));
  return out;
}

/** Redis Cluster hash slot of `key` (CRC16/XMODEM of the key or its first non-empty `{tag}`, mod 16384). */
export function keySlot(key: string): number {
  let part = key;
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) part = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(part, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16_384;
}
