/**
 * Pure trailing debounce, fed with "now" (processing time). An id becomes due `debounceMs` after
 * its last touch, but never later than `maxDelayMs` after its first untreated touch, so a
 * continuously changing incident is still emitted. `force` makes an id due immediately.
 */
interface Pending {
  readonly firstAt: number;
  lastAt: number;
  forced: boolean;
}

export class Debouncer {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly debounceMs: number,
    private readonly maxDelayMs: number,
  ) {}

  touch(id: string, now: number): void {
    const entry = this.pending.get(id);
    if (entry === undefined) this.pending.set(id, { firstAt: now, lastAt: now, forced: false });
    else entry.lastAt = Math.max(entry.lastAt, now);
  }

  force(id: string, now: number): void {
    this.touch(id, now);
    const entry = this.pending.get(id);
    if (entry !== undefined) entry.forced = true;
  }

  /** Moves the pending state of `from` onto `to` (used when incidents merge). */
  transfer(from: string, to: string, now: number): void {
    const entry = this.pending.get(from);
    this.pending.delete(from);
    this.touch(to, now);
    const target = this.pending.get(to);
    if (entry !== undefined && target !== undefined) target.forced ||= entry.forced;
  }

  clear(id: string): void {
    this.pending.delete(id);
  }

  dueAt(id: string): number | undefined {
    const entry = this.pending.get(id);
    if (entry === undefined) return undefined;
    if (entry.forced) return Number.NEGATIVE_INFINITY;
    return Math.min(entry.lastAt + this.debounceMs, entry.firstAt + Math.max(this.maxDelayMs, this.debounceMs));
  }

  /** Ids due at `now`, in a stable order. */
  due(now: number): string[] {
    return [...this.pending.keys()].filter((id) => (this.dueAt(id) ?? Infinity) <= now).sort();
  }

  all(): string[] {
    return [...this.pending.keys()].sort();
  }

  /** When the next id becomes due; the adapter sleeps until then. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const id of this.pending.keys()) {
      const at = this.dueAt(id);
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  get size(): number {
    return this.pending.size;
  }
}
