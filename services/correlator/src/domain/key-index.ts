import { compareEvents, type Ordered } from './order';

/**
 * Per-key time index: for every join key, the events carrying it, sorted by (observedAt, eventId).
 * The Redis twin is one sorted set per key scored by observedAt (see STATE.md).
 */
export class KeyIndex<T extends Ordered> {
  private readonly byKey = new Map<string, T[]>();

  insert(key: string, item: T): void {
    const list = this.byKey.get(key) ?? [];
    const at = lowerBound(list, (entry) => compareEvents(entry, item) < 0);
    if (list[at]?.eventId === item.eventId) return;
    list.splice(at, 0, item);
    this.byKey.set(key, list);
  }

  remove(key: string, eventId: string): void {
    const list = this.byKey.get(key);
    if (list === undefined) return;
    const kept = list.filter((entry) => entry.eventId !== eventId);
    if (kept.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, kept);
  }

  /** Items with from ≤ observedAt ≤ to, in order. */
  range(key: string, from: number, to: number): T[] {
    const list = this.byKey.get(key) ?? [];
    const start = lowerBound(list, (entry) => entry.observedAt < from);
    const end = lowerBound(list, (entry) => entry.observedAt <= to);
    return list.slice(start, end);
  }

  /** The neighbours of an indexed item in the key's order. */
  neighbours(key: string, item: Ordered): { readonly previous: T | undefined; readonly next: T | undefined } {
    const list = this.byKey.get(key) ?? [];
    const at = lowerBound(list, (entry) => compareEvents(entry, item) < 0);
    const present = list[at]?.eventId === item.eventId;
    return { previous: list[at - 1], next: list[present ? at + 1 : at] };
  }

  get keyCount(): number {
    return this.byKey.size;
  }

  get entryCount(): number {
    let total = 0;
    for (const list of this.byKey.values()) total += list.length;
    return total;
  }
}

/** First index whose element does not satisfy `before` (which must be monotone over the list). */
const lowerBound = <T>(list: readonly T[], before: (item: T) => boolean): number => {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const item = list[mid];
    if (item !== undefined && before(item)) low = mid + 1;
    else high = mid;
  }
  return low;
};
