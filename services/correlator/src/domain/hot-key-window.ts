/**
 * The join keys decided hot within the last window of event time, for the `hot keys` gauge and a
 * log line the first time a key turns hot. Pure bookkeeping, no I/O: the correlation state reports
 * each hot decision (`add`), the watermark retires keys whose last hot decision can no longer
 * matter (`retire`). Bounded: beyond `capacity` keys the least recently hot one is dropped, so a
 * flood of distinct hot keys (many NATs, or crafted input) cannot grow it without limit.
 */
export class HotKeyWindow {
  /** key → event time of its latest hot decision; Map order = least recently hot first. */
  private readonly lastHotAt = new Map<string, number>();

  constructor(
    /** How long (event-time ms) a key counts as hot after its latest hot decision: W_ip + L. */
    private readonly holdMs: number,
    private readonly capacity = 10_000,
  ) {
    if (!(holdMs >= 0)) throw new RangeError(`holdMs must be ≥ 0, got ${holdMs}`);
    if (!(capacity >= 1)) throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
  }

  /** Records a hot decision on `key` at event time `at`; true when the key was not hot before. */
  add(key: string, at: number): boolean {
    const previous = this.lastHotAt.get(key);
    if (previous !== undefined) {
      this.lastHotAt.delete(key);
      this.lastHotAt.set(key, Math.max(previous, at));
      return false;
    }
    this.lastHotAt.set(key, at);
    if (this.lastHotAt.size > this.capacity) {
      const oldest = this.lastHotAt.keys().next().value;
      if (oldest !== undefined) this.lastHotAt.delete(oldest);
    }
    return true;
  }

  /** Drops the keys whose latest hot decision lies more than `holdMs` before `watermark`. */
  retire(watermark: number): void {
    for (const [key, at] of this.lastHotAt) if (at + this.holdMs < watermark) this.lastHotAt.delete(key);
  }

  get size(): number {
    return this.lastHotAt.size;
  }

  has(key: string): boolean {
    return this.lastHotAt.has(key);
  }
}
