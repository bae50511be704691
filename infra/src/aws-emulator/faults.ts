// Fault injection, set at start or at runtime (PUT /_emulator/faults): throttling on the next N
// calls, at a random rate or above a calls-per-second budget; 5xx on the next N or at a rate; slow
// answers; BatchUpdateFindings partial failures for listed finding ids; automation executions that
// end Failed or TimedOut. Counters count down as calls consume them.

import { z } from 'zod';

const operations = z.array(z.string().min(1)).optional();

export const faultConfigSchema = z
  .object({
    /** Every matching call waits this long before it is answered. */
    delayMs: z.number().int().min(0).max(600_000).optional(),
    throttle: z
      .object({
        next: z.number().int().min(0).optional(),
        rate: z.number().min(0).max(1).optional(),
        /** Calls beyond this many per rolling second are throttled. */
        maxPerSecond: z.number().int().min(1).optional(),
        /**
         * Security Hub's throttling answer: TooManyRequestsException (observed, default) or the
         * modelled LimitExceededException, both 429. SSM always answers ThrottlingException (400).
         */
        securityHubCode: z.enum(['TooManyRequestsException', 'LimitExceededException']).optional(),
      })
      .strict()
      .optional(),
    serverError: z.object({ next: z.number().int().min(0).optional(), rate: z.number().min(0).max(1).optional() }).strict().optional(),
    /** BatchUpdateFindings answers these finding Ids in UnprocessedFindings while they are listed. */
    unprocessedFindings: z
      .object({
        ids: z.array(z.string().min(1)),
        errorCode: z.enum(['ConcurrentUpdateError', 'FindingSizeExceeded', 'InternalFailure', 'InvalidInput']).optional(),
        /** Only the next N BatchUpdateFindings calls are affected (default: every call). */
        calls: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    /** New automation executions end with this status instead of Success. */
    automationFailure: z
      .object({
        documents: z.array(z.string().min(1)).optional(),
        next: z.number().int().min(0).optional(),
        status: z.enum(['Failed', 'TimedOut']).optional(),
        message: z.string().optional(),
      })
      .strict()
      .optional(),
    /** Operation names (e.g. BatchUpdateFindings) that delay/throttle/serverError apply to; default all. */
    operations,
    seed: z.number().int().optional(),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;

export type CallFault = { kind: 'none' } | { kind: 'throttled'; securityHubCode: 'TooManyRequestsException' | 'LimitExceededException' } | { kind: 'serverError' };

/** mulberry32: a tiny deterministic PRNG so rate-based faults replay identically. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class FaultInjector {
  private config: FaultConfig = {};
  private random: () => number = prng(1);
  private recentCalls: number[] = [];

  constructor(initial: FaultConfig = {}) {
    this.set(initial);
  }

  /** Replaces the whole configuration (validated). */
  set(config: FaultConfig): void {
    this.config = structuredClone(faultConfigSchema.parse(config));
    this.random = prng(this.config.seed ?? 1);
    this.recentCalls = [];
  }

  clear(): void {
    this.set({});
  }

  snapshot(): FaultConfig {
    return structuredClone(this.config);
  }

  private applies(operation: string): boolean {
    return this.config.operations === undefined || this.config.operations.includes(operation);
  }

  delayFor(operation: string): number {
    return this.applies(operation) ? (this.config.delayMs ?? 0) : 0;
  }

  /** Decides (and consumes) the injected failure for one call: throttling first, then 5xx. */
  next(operation: string, nowMs: number): CallFault {
    if (!this.applies(operation)) return { kind: 'none' };
    const { throttle, serverError } = this.config;
    if (throttle) {
      const throttled = { kind: 'throttled', securityHubCode: throttle.securityHubCode ?? 'TooManyRequestsException' } as const;
      if (throttle.next !== undefined && throttle.next > 0) {
        throttle.next -= 1;
        return throttled;
      }
      if (throttle.rate !== undefined && this.random() < throttle.rate) return throttled;
      if (throttle.maxPerSecond !== undefined) {
        this.recentCalls = this.recentCalls.filter((t) => t > nowMs - 1000);
        if (this.recentCalls.length >= throttle.maxPerSecond) return throttled;
        this.recentCalls.push(nowMs);
      }
    }
    if (serverError) {
      if (serverError.next !== undefined && serverError.next > 0) {
        serverError.next -= 1;
        return { kind: 'serverError' };
      }
      if (serverError.rate !== undefined && this.random() < serverError.rate) return { kind: 'serverError' };
    }
    return { kind: 'none' };
  }

  /** Finding Id -> ErrorCode to answer as unprocessed in this BatchUpdateFindings call. */
  unprocessedForCall(): Map<string, string> {
    const u = this.config.unprocessedFindings;
    if (!u) return new Map();
    if (u.calls !== undefined) {
      if (u.calls <= 0) return new Map();
      u.calls -= 1;
    }
    return new Map(u.ids.map((id) => [id, u.errorCode ?? 'InternalFailure']));
  }

  /** The outcome for a new automation execution of `documentName`. */
  automationOutcome(documentName: string): { status: 'Success' } | { status: 'Failed' | 'TimedOut'; failureMessage: string } {
    const f = this.config.automationFailure;
    if (!f || (f.documents !== undefined && !f.documents.includes(documentName))) return { status: 'Success' };
    if (f.next !== undefined) {
      if (f.next <= 0) return { status: 'Success' };
      f.next -= 1;
    }
    const status = f.status ?? 'Failed';
    return { status, failureMessage: f.message ?? (status === 'TimedOut' ? 'Step timed out (injected by the emulator).' : 'Step fails when it is executing (injected by the emulator).') };
  }
}
