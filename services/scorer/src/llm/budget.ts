export interface TokenBudgetLimits {
  readonly perMinute: number;
  readonly perDay: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Tokens per rolling minute and per UTC day. A call reserves its estimate before it starts (so
 * concurrent calls cannot overshoot together) and settles to the real usage after.
 */
export class TokenBudget {
  private minuteEntries: Array<{ at: number; tokens: number }> = [];
  private day = -1;
  private dayTokens = 0;

  constructor(private readonly limits: TokenBudgetLimits, private readonly now: () => number = Date.now) {}

  private roll(at: number): void {
    this.minuteEntries = this.minuteEntries.filter((e) => e.at > at - MINUTE);
    const day = Math.floor(at / DAY);
    if (day !== this.day) {
      this.day = day;
      this.dayTokens = 0;
    }
  }

  private minuteTokens(): number {
    return this.minuteEntries.reduce((sum, e) => sum + e.tokens, 0);
  }

  /** Reserves `tokens`; false (and nothing reserved) when either window would be exceeded. */
  tryReserve(tokens: number): { ok: true; settle: (actual: number) => void } | { ok: false; window: 'minute' | 'day' } {
    const at = this.now();
    this.roll(at);
    if (this.dayTokens + tokens > this.limits.perDay) return { ok: false, window: 'day' };
    if (this.minuteTokens() + tokens > this.limits.perMinute) return { ok: false, window: 'minute' };
    const entry = { at, tokens };
    this.minuteEntries.push(entry);
    this.dayTokens += tokens;
    const day = this.day;
    let settled = false;
    return {
      ok: true,
      settle: (actual: number) => {
        if (settled) return;
        settled = true;
        const diff = Math.max(0, actual) - entry.tokens;
        entry.tokens += diff;
        if (this.day === day) this.dayTokens = Math.max(0, this.dayTokens + diff);
      },
    };
  }

  usage(): { minute: number; day: number } {
    this.roll(this.now());
    return { minute: this.minuteTokens(), day: this.dayTokens };
  }
}
