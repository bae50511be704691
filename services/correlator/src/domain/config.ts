import { z } from 'zod';

const MINUTE = 60_000;

/** Correlation parameters. Parsed once at the edge; the domain receives a complete object. */
export const correlationConfigSchema = z.object({
  /** W per key kind: two events link through a key only when |Δ observedAt| ≤ W for that kind. */
  windowMs: z
    .object({
      ip: z.number().int().positive().default(60 * MINUTE),
      identity: z.number().int().positive().default(60 * MINUTE),
    })
    .prefault({}),
  /** G: allowed lateness. The watermark is max observedAt − G. */
  graceMs: z.number().int().nonnegative().default(5 * MINUTE),
  /** K: an IP key with more than K distinct identities in its window is hot and stops linking. */
  hotKeyDistinctIdentities: z.number().int().positive().default(5),
  /**
   * How far after an event hot-key detection also looks. 0 (default): only [t − W, t] counts, so
   * IP links commit G after the event; W: the whole [t − W, t + W] neighbourhood counts (no early
   * carriers of a NAT ever link) at the price of IP links and settling waiting W longer.
   */
  hotKeyLookaheadMs: z.number().int().nonnegative().default(0),
  /** Scanner / known-noise addresses that never link: exact addresses or CIDRs (v4 or v6). */
  scannerAllowList: z.array(z.string().min(1)).default([]),
  /** Canonical identities that never link (break-glass automation, shared robots, ...). */
  nonEvidenceIdentities: z.array(z.string().min(1)).default([]),
  /** Trailing debounce of incident versions (processing time). */
  debounceMs: z.number().int().nonnegative().default(2_000),
  /** Upper bound on how long a continuously changing incident may go unemitted. */
  maxDebounceDelayMs: z.number().int().nonnegative().default(10_000),
  /** How long (event time, behind the watermark) ids of settled events are remembered for dedup. */
  dedupRetentionMs: z.number().int().positive().default(24 * 60 * MINUTE),
});

export type CorrelationConfig = z.infer<typeof correlationConfigSchema>;
export type CorrelationConfigInput = z.input<typeof correlationConfigSchema>;

export const parseCorrelationConfig = (input: CorrelationConfigInput = {}): CorrelationConfig =>
  correlationConfigSchema.parse(input);

export const maxWindowMs = (config: CorrelationConfig): number =>
  Math.max(config.windowMs.ip, config.windowMs.identity);

/** Event time after an incident's last member at which nothing can change it any more (minus G). */
export const settleHorizonMs = (config: CorrelationConfig): number => maxWindowMs(config) + config.hotKeyLookaheadMs;
