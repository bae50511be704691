import { randomUUID } from 'node:crypto';
import type { LlmInference, InferenceOutcome } from '@seam/schemas/records/llm-inference';
import type { Verdict } from '@seam/schemas/records/verdict';
import { assess } from '../domain/assess';
import { severityFloor } from '../domain/floor';
import type { ScoringInput } from '../domain/input';
import type { RiskModel } from '../domain/model';
import { TokenBudget, type TokenBudgetLimits } from './budget';
import type { CachedRefinement, RefinementCache } from './cache';
import { buildLlmVerdict, inventedEvidence } from './guard';
import { REFINEMENT_SCHEMA_NAME, parseRefinementOutput, refinementJsonSchema, type RefinementOutput } from './output';
import { ChatError, type ChatModel, type ChatResponse } from './port';
import { renderPrompt, type PromptTemplate, type RenderedPrompt } from './prompt';
import { Semaphore } from './semaphore';

export interface RefinerSettings {
  readonly prompt: PromptTemplate;
  /** Per model call. */
  readonly timeoutMs: number;
  /** Whole refinement, retries and waits included; past it the baseline stands. */
  readonly deadlineMs: number;
  /** Calls per answer on 429/5xx/network errors (1 = no retry). */
  readonly maxTransportAttempts: number;
  /** Answers per refinement when the answer is invalid or cites invented evidence (2 = retry once). */
  readonly maxAnswerAttempts: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number; readonly multiplier: number };
  /** A Retry-After longer than this ends the refinement (baseline stands) instead of waiting. */
  readonly maxRetryAfterMs: number;
  readonly concurrency: number;
  readonly budget: TokenBudgetLimits;
}

export const DEFAULT_REFINER_SETTINGS: Omit<RefinerSettings, 'prompt'> = {
  timeoutMs: 20_000,
  deadlineMs: 60_000,
  maxTransportAttempts: 3,
  maxAnswerAttempts: 2,
  backoff: { initialMs: 250, maxMs: 8_000, multiplier: 2 },
  maxRetryAfterMs: 10_000,
  concurrency: 2,
  budget: { perMinute: 60_000, perDay: 2_000_000 },
};

export interface RefinerDeps {
  readonly chat: ChatModel;
  readonly riskModel: RiskModel;
  readonly cache?: RefinementCache;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export type RefineResult =
  | { readonly phase: 'llm'; readonly verdict: Verdict; readonly outcome: 'ok' | 'cache_hit' | 'guardrail_clamped'; readonly audit: readonly LlmInference[] }
  | { readonly phase: 'baseline'; readonly verdict: Verdict; readonly outcome: InferenceOutcome; readonly audit: readonly LlmInference[] };

const AUDIT_OUTPUT_LIMIT = 8_000;
const ERROR_LIMIT = 300;

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * An AbortSignal that aborts after `ms` or when `parent` aborts. A plain timer and controller, held
 * by the caller until `clear()`: Node 20 can garbage-collect an `AbortSignal.timeout` that is only
 * reachable through `AbortSignal.any`, and then it never fires.
 */
export function timeoutSignal(ms: number, parent?: AbortSignal): { readonly signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent?.reason);
  const timer = setTimeout(() => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')), ms);
  if (parent !== undefined) {
    if (parent.aborted) controller.abort(parent.reason);
    else parent.addEventListener('abort', onParentAbort, { once: true });
  }
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/** Rough token estimate (4 characters a token) used to reserve budget before a call. */
const estimateTokens = (prompt: RenderedPrompt): number =>
  Math.ceil(prompt.messages.reduce((n, m) => n + m.content.length, 0) / 4);

function outcomeOf(error: ChatError): InferenceOutcome {
  switch (error.kind) {
    case 'rate_limited': return 'rate_limited';
    case 'server_error': return 'server_error';
    case 'timeout': return 'timeout';
    case 'client_error': return 'error';
    case 'network': return 'error';
  }
}

/**
 * LLM refinement of a baseline verdict (DESIGN section 4). Never throws for anything the endpoint
 * does: every failure ends in the baseline standing, with the outcome recorded in the audit.
 */
export class Refiner {
  private readonly semaphore: Semaphore;
  private readonly budget: TokenBudget;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly settings: RefinerSettings, private readonly deps: RefinerDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? defaultSleep;
    this.random = deps.random ?? Math.random;
    this.semaphore = new Semaphore(settings.concurrency);
    this.budget = new TokenBudget(settings.budget, this.now);
  }

  budgetUsage(): { minute: number; day: number } {
    return this.budget.usage();
  }

  async refine(input: ScoringInput, baseline: Verdict, signal?: AbortSignal): Promise<RefineResult> {
    const { incident } = input;
    const { prompt } = this.settings;
    const rendered = renderPrompt(prompt, incident, input.events, baseline, this.deps.chat.name);
    const audit: LlmInference[] = [];
    const started = this.now();
    const record = (fields: {
      output: string | null; tokensIn: number; tokensOut: number; latencyMs: number; outcome: InferenceOutcome; error: string | null;
    }): void => {
      audit.push({
        inferenceId: randomUUID(),
        incidentId: incident.incidentId,
        incidentVersion: incident.version,
        promptVersion: prompt.version,
        model: this.deps.chat.name,
        inputHash: rendered.inputHash,
        output: fields.output === null ? null : fields.output.slice(0, AUDIT_OUTPUT_LIMIT),
        tokensIn: Math.max(0, Math.round(fields.tokensIn)),
        tokensOut: Math.max(0, Math.round(fields.tokensOut)),
        latencyMs: Math.max(0, Math.round(fields.latencyMs)),
        attempt: audit.length + 1,
        outcome: fields.outcome,
        error: fields.error === null ? null : fields.error.slice(0, ERROR_LIMIT),
        at: this.now(),
      });
    };
    const standing = (outcome: InferenceOutcome): RefineResult => ({ phase: 'baseline', verdict: baseline, outcome, audit });

    // Pure and total on validated input; the baseline was computed from the same input.
    const assessment = assess(input, this.deps.riskModel);
    const floor = severityFloor(input, this.deps.riskModel);

    const accept = (output: RefinementOutput, usage: { tokensIn: number; tokensOut: number; latencyMs: number }): { verdict: Verdict; clamped: boolean } =>
      buildLlmVerdict({
        incident, baseline, assessment, output, floor, riskModel: this.deps.riskModel,
        modelInfo: {
          name: this.deps.chat.name, promptVersion: prompt.version,
          tokensIn: Math.max(0, Math.round(usage.tokensIn)), tokensOut: Math.max(0, Math.round(usage.tokensOut)), latencyMs: Math.max(0, Math.round(usage.latencyMs)),
        },
        decidedAt: this.now(),
      });

    // Cache: a stored answer is re-validated (a Redis cache returns data from outside the process).
    const cached = await this.readCache(rendered.inputHash);
    if (cached !== undefined) {
      const reparsed = parseRefinementOutput(cached.rawOutput);
      if (reparsed.ok && inventedEvidence(reparsed.value, rendered.memberIds).length === 0) {
        const { verdict } = accept(reparsed.value, { tokensIn: cached.tokensIn, tokensOut: cached.tokensOut, latencyMs: 0 });
        record({ output: cached.rawOutput, tokensIn: 0, tokensOut: 0, latencyMs: this.now() - started, outcome: 'cache_hit', error: null });
        return { phase: 'llm', verdict, outcome: 'cache_hit', audit };
      }
    }

    // Timers held by this frame (not AbortSignal.timeout inside AbortSignal.any: on Node 20 a GC can
    // collect such a timeout signal before it fires, and a hung call would then never be cut).
    const deadlineTimer = timeoutSignal(this.settings.deadlineMs, signal);
    const deadline = deadlineTimer.signal;
    try {
      const schema = refinementJsonSchema(rendered.memberIds);
      const maxTokens = prompt.limits.maxTokensOut;
      let last: InferenceOutcome = 'unknown';

      for (let answer = 1; answer <= this.settings.maxAnswerAttempts; answer += 1) {
        let response: { response: ChatResponse; latencyMs: number } | null = null;
        for (let call = 1; response === null; call += 1) {
          if (deadline.aborted) {
            record({ output: null, tokensIn: 0, tokensOut: 0, latencyMs: 0, outcome: 'timeout', error: 'refinement deadline passed' });
            return standing('timeout');
          }
          const reservation = this.budget.tryReserve(estimateTokens(rendered) + maxTokens);
          if (!reservation.ok) {
            record({ output: null, tokensIn: 0, tokensOut: 0, latencyMs: 0, outcome: 'budget_exhausted', error: `token budget per ${reservation.window} exhausted` });
            return standing('budget_exhausted');
          }
          const callStart = this.now();
          const callTimer = timeoutSignal(this.settings.timeoutMs, deadline);
          try {
            const result = await this.semaphore.run(() => this.deps.chat.complete({
              messages: rendered.messages, schemaName: REFINEMENT_SCHEMA_NAME, schema, maxTokens, signal: callTimer.signal,
            }));
            reservation.settle(result.tokensIn + result.tokensOut);
            response = { response: result, latencyMs: this.now() - callStart };
          } catch (thrown) {
            const error = thrown instanceof ChatError ? thrown : new ChatError('network', 'model call failed');
            // A timed-out call may have consumed its tokens; a refused one did not.
            reservation.settle(error.kind === 'timeout' ? estimateTokens(rendered) + maxTokens : 0);
            last = outcomeOf(error);
            record({ output: null, tokensIn: 0, tokensOut: 0, latencyMs: this.now() - callStart, outcome: last, error: error.message });
            if (!error.retriable && error.kind !== 'timeout') return standing(last);
            if (call >= this.settings.maxTransportAttempts) return standing(last);
            const { initialMs, maxMs, multiplier } = this.settings.backoff;
            const backoff = Math.min(maxMs, initialMs * multiplier ** (call - 1)) * (0.8 + 0.4 * this.random());
            const wait = Math.max(backoff, error.retryAfterMs ?? 0);
            if (wait > this.settings.maxRetryAfterMs) return standing(last);
            await this.sleep(wait, deadline);
          } finally {
            callTimer.clear();
          }
        }

        const { response: reply, latencyMs } = response;
        const parsed = parseRefinementOutput(reply.content);
        if (!parsed.ok) {
          last = 'invalid_output';
          record({ output: reply.content, tokensIn: reply.tokensIn, tokensOut: reply.tokensOut, latencyMs, outcome: last, error: parsed.error });
          continue;
        }
        const invented = inventedEvidence(parsed.value, rendered.memberIds);
        if (invented.length > 0) {
          last = 'invented_evidence';
          record({ output: reply.content, tokensIn: reply.tokensIn, tokensOut: reply.tokensOut, latencyMs, outcome: last, error: `${invented.length} cited event ids are not members` });
          continue;
        }
        const { verdict, clamped } = accept(parsed.value, { tokensIn: reply.tokensIn, tokensOut: reply.tokensOut, latencyMs });
        const outcome = clamped ? 'guardrail_clamped' : 'ok';
        record({ output: reply.content, tokensIn: reply.tokensIn, tokensOut: reply.tokensOut, latencyMs, outcome, error: null });
        await this.writeCache(rendered.inputHash, { output: parsed.value, rawOutput: reply.content ?? '', tokensIn: reply.tokensIn, tokensOut: reply.tokensOut });
        return { phase: 'llm', verdict, outcome, audit };
      }
      return standing(last);
    } finally {
      deadlineTimer.clear();
    }
  }

  private async readCache(key: string): Promise<CachedRefinement | undefined> {
    try {
      return await this.deps.cache?.get(key);
    } catch {
      return undefined; // a broken cache costs a call, never the verdict
    }
  }

  private async writeCache(key: string, value: CachedRefinement): Promise<void> {
    try {
      await this.deps.cache?.set(key, value);
    } catch {
      // best effort
    }
  }
}
