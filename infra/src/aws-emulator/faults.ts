// Fault injection, set at start or at runtime (PUT /_emulator/faults): throttling on the next N
// calls, at a random rate or above a calls-per-second budget; 5xx on the next N or at a rate; slow
// answers; BatchUpdateFindings partial failures for listed finding ids; automation executions that
// end Failed or TimedOut. Counters count down as calls consume them.

import { z } from 'zod';
import { FaultInjectorBase, PerSecondBudget, delayMsSchema, nextOrRateShape, seedSchema, takeFromBudget } from '../emulator-kit/faults';

const operations = z.array(z.string().min(1)).optional();

export const faultConfigSchema = z
  .object({
    /** Every matching call waits this long before it is answered. */
    delayMs: delayMsSchema,
    throttle: z
      .object({
        ...nextOrRateShape,
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
    serverError: z.object(nextOrRateShape).strict().optional(),
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
    seed: seedSchema,
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;

export type CallFault = { kind: 'none' } | { kind: 'throttled'; securityHubCode: 'TooManyRequestsException' | 'LimitExceededException' } | { kind: 'serverError' };

export class FaultInjector extends FaultInjectorBase<FaultConfig> {
  private readonly perSecond = new PerSecondBudget();

  constructor(initial: FaultConfig = {}) {
    super(faultConfigSchema, initial);
  }

  /** Replaces the whole configuration (validated); the per-second throttle budget starts afresh. */
  override set(config: FaultConfig): void {
    super.set(config);
    this.perSecond.reset();
  }

  protected applies(operation: string): boolean {
    return this.config.operations === undefined || this.config.operations.includes(operation);
  }

  /** Decides (and consumes) the injected failure for one call: throttling first, then 5xx. */
  next(operation: string, nowMs: number): CallFault {
    if (!this.applies(operation)) return { kind: 'none' };
    const { throttle, serverError } = this.config;
    if (throttle) {
      const throttled = { kind: 'throttled', securityHubCode: throttle.securityHubCode ?? 'TooManyRequestsException' } as const;
      if (this.strikes(throttle)) return throttled;
      if (throttle.maxPerSecond !== undefined && this.perSecond.overBudget(throttle.maxPerSecond, nowMs)) return throttled;
    }
    if (serverError && this.strikes(serverError)) return { kind: 'serverError' };
    return { kind: 'none' };
  }

  /** Finding Id -> ErrorCode to answer as unprocessed in this BatchUpdateFindings call. */
  unprocessedForCall(): Map<string, string> {
    const u = this.config.unprocessedFindings;
    if (!u || !takeFromBudget(u, 'calls')) return new Map();
    return new Map(u.ids.map((id) => [id, u.errorCode ?? 'InternalFailure']));
  }

  /** The outcome for a new automation execution of `documentName`. */
  automationOutcome(documentName: string): { status: 'Success' } | { status: 'Failed' | 'TimedOut'; failureMessage: string } {
    const f = this.config.automationFailure;
    if (!f || (f.documents !== undefined && !f.documents.includes(documentName))) return { status: 'Success' };
    if (!takeFromBudget(f, 'next')) return { status: 'Success' };
    const status = f.status ?? 'Failed';
    return { status, failureMessage: f.message ?? (status === 'TimedOut' ? 'Step timed out (injected by the emulator).' : 'Step fails when it is executing (injected by the emulator).') };
  }
}
