/**
 * The scorer stage: `correlated` Incident versions in, Verdict versions out to `verdicts` (keyed by
 * incidentId), one LlmInference per model call / cache hit on `llm.audit` (keyed by incidentId).
 *
 * For incident version v the baseline verdict is version 2v-1 and the llm verdict 2v: deterministic,
 * so redelivery and several instances write the same (incidentId, verdictVersion) pairs and a
 * compacted `verdicts` converges. Both verdicts are produced by the handler itself, in order, with
 * the stage's own producer (acks=all) before the handler returns; the audit records go out as the
 * handler's outputs. Why not return the llm verdict as an output: the kit batches outputs, so the
 * next incident version's baseline (sent at once) would overtake the previous version's llm verdict
 * on the partition, and a compacted topic keeps the last offset, not the highest version.
 */
import { formatTraceparent, RetriableError, TRACEPARENT_HEADER, defineStage, type Codec, type HandlerContext, type ProducerPort } from '@seam/kit';
import { incidentSchema, llmInferenceSchema, verdictSchema, type Incident, type LlmInference, type Verdict } from '@seam/schemas';
import { scoreBaseline, type RiskModel } from './domain/index';
import type { Refiner } from './llm/index';
import type { ScoredVersions } from './adapters/redis-cache';

export interface ScorerStageOptions {
  readonly topics: { readonly correlated: string; readonly verdicts: string; readonly audit: string };
  readonly codecs: { readonly incident: Codec<unknown>; readonly verdict: Codec<Verdict>; readonly audit: Codec<LlmInference> };
  readonly riskModel: RiskModel;
  /** null: baseline only (no LLM endpoint configured). */
  readonly refiner: Refiner | null;
  /** The stage's own producer for verdicts (connected in onStart, disconnected in onStop). */
  readonly producer: ProducerPort;
  readonly scored: ScoredVersions;
  readonly now: () => number;
  /** Called once per handled incident (metrics, benchmarks). */
  readonly onScored?: (event: ScoredEvent) => void;
}

export interface ScoredEvent {
  readonly incidentId: string;
  readonly incidentVersion: number;
  /** What happened after the baseline went out. */
  readonly llm: 'refined' | 'baseline_stands' | 'skipped_stale' | 'skipped_merged' | 'disabled';
  readonly outcome: string | null;
}

export const baselineVersionOf = (incidentVersion: number): number => 2 * incidentVersion - 1;
export const llmVersionOf = (incidentVersion: number): number => 2 * incidentVersion;

export function scorerStage(options: ScorerStageOptions) {
  const { topics, codecs, riskModel, refiner, producer, scored, now } = options;

  const send = async (verdict: Verdict, ctx: HandlerContext): Promise<void> => {
    let value: Buffer;
    try {
      value = await codecs.verdict.encode(verdict, topics.verdicts);
    } catch (error) {
      // Registry outage: the kit retries the whole record (the same verdict versions come out).
      throw new RetriableError(`cannot encode verdict: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      await producer.sendBatch([{ topic: topics.verdicts, messages: [{ key: verdict.incidentId, value, headers: { [TRACEPARENT_HEADER]: formatTraceparent(ctx.trace) } }] }]);
    } catch (error) {
      throw new RetriableError(`cannot produce verdict: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const auditOutputs = (audit: readonly LlmInference[]) =>
    audit.map((record) => ({ to: 'audit' as const, key: record.incidentId, value: record }));

  return defineStage({
    name: 'scorer',
    inputs: { correlated: { topic: topics.correlated, codec: codecs.incident, schema: incidentSchema } },
    outputs: { audit: { topic: topics.audit, codec: codecs.audit, schema: llmInferenceSchema } },
    eventId: (record) => `${record.value.incidentId}@${record.value.version}`,
    async onStart() {
      await producer.connect();
    },
    async onStop() {
      await producer.disconnect();
    },
    async handle(record, ctx) {
      const incident: Incident = record.value;
      const input = { incident, events: [] };
      const report = (llm: ScoredEvent['llm'], outcome: string | null = null): void =>
        options.onScored?.({ incidentId: incident.incidentId, incidentVersion: incident.version, llm, outcome });

      // 1. The baseline, at once (pure, microseconds; no external service involved).
      const baseline = scoreBaseline(input, riskModel, { verdictVersion: baselineVersionOf(incident.version), decidedAt: now() });
      await send(baseline, ctx);

      if (refiner === null) {
        report('disabled');
        return [];
      }
      if (incident.mergedInto !== null) {
        // Last version of an incident merged away: compacted readers drop it, refining it is waste.
        report('skipped_merged');
        return [];
      }
      // 2. A replayed older version: its newer versions were refined (or are coming); keep it cheap.
      const highest = await scored.observe(incident.incidentId, incident.version);
      if (highest > incident.version) {
        ctx.log.debug({ incidentVersion: incident.version, highest }, 'older incident version: LLM skipped');
        report('skipped_stale');
        return [];
      }

      // 3. The LLM refinement. The refiner never throws for endpoint faults; anything else is a bug
      // that must not cost the verdict: the baseline stands.
      let result: Awaited<ReturnType<Refiner['refine']>>;
      try {
        result = await refiner.refine(input, baseline, ctx.signal);
      } catch (error) {
        ctx.log.error({ err: error instanceof Error ? error.message : String(error) }, 'refinement failed unexpectedly: baseline stands');
        report('baseline_stands', 'error');
        return [];
      }
      if (result.phase !== 'llm' && ctx.signal.aborted) {
        // Shutting down mid-refinement: leave the record uncommitted so the next owner refines it
        // (its baseline is re-sent with the same verdict version: harmless on a compacted topic).
        throw new RetriableError('stage stopping during LLM refinement');
      }
      if (result.phase === 'llm') {
        const checked = verdictSchema.safeParse(result.verdict);
        if (checked.success && result.verdict.verdictVersion === llmVersionOf(incident.version)) {
          await send(result.verdict, ctx);
          report('refined', result.outcome);
        } else {
          ctx.log.error({ verdictVersion: result.verdict.verdictVersion }, 'llm verdict failed validation: baseline stands');
          report('baseline_stands', 'invalid_verdict');
        }
      } else {
        ctx.log.info({ outcome: result.outcome }, 'LLM refinement did not succeed: baseline stands');
        report('baseline_stands', result.outcome);
      }
      return auditOutputs(result.audit);
    },
  });
}
