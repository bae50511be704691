/**
 * The scorer stage: `correlated` Incident versions in (and `enriched` SecurityEvents, kept as compact
 * records in the event store so that members are scored with their entities and enrichment), Verdict versions out to `verdicts` (keyed by
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
import { incidentSchema, llmInferenceSchema, securityEventSchema, verdictSchema, type Incident, type LlmInference, type SecurityEvent, type Verdict } from '@seam/schemas';
import { scoreBaseline, type RiskModel, type ScoringInput } from './domain/index';
import { compactEvent, eventOfRecord } from './domain/event-record';
import type { Refiner } from './llm/index';
import type { ScoredVersions } from './adapters/redis-cache';
import type { EventStore } from './adapters/event-store';

/** The member-event side of the stage: `enriched` in, compact records in the store, loaded per incident. */
export interface ScorerEventOptions {
  readonly topic: string;
  readonly codec: Codec<unknown>;
  readonly store: EventStore;
  /** Cap of one stored record (bytes of its JSON). */
  readonly maxBytes: number;
  /** Member events loaded per incident version, the most severe first. */
  readonly maxMembers: number;
  /** Budget of the wait for member events not stored yet, from the first attempt of an incident version; 0 = never wait. */
  readonly waitMs: number;
  /** The store's TTL: an incident version older than this never waits (its events may have expired). */
  readonly ttlMs: number;
  /** The kit's RETRY_MAX_ATTEMPTS: the wait never uses the last attempt, so it never ends in the DLQ. */
  readonly retryMaxAttempts: number;
}

/** Incident versions whose first attempt is remembered (bounded; oldest forgotten first). */
const MAX_REMEMBERED_ATTEMPTS = 10_000;

export interface ScorerStageOptions {
  readonly topics: { readonly correlated: string; readonly verdicts: string; readonly audit: string };
  readonly codecs: { readonly incident: Codec<unknown>; readonly verdict: Codec<Verdict>; readonly audit: Codec<LlmInference> };
  readonly events: ScorerEventOptions;
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
  /** Member events found in the store / not found / not loaded (over the cap). */
  readonly memberEvents: { readonly loaded: number; readonly missing: number; readonly notLoaded: number };
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

  const firstAttempts = new Map<string, number>();
  /** When this incident version was first attempted (in this process). */
  const firstAttemptOf = (key: string): number => {
    const seen = firstAttempts.get(key);
    if (seen !== undefined) return seen;
    const at = now();
    firstAttempts.set(key, at);
    while (firstAttempts.size > MAX_REMEMBERED_ATTEMPTS) {
      const oldest = firstAttempts.keys().next();
      if (oldest.done === true) break;
      firstAttempts.delete(oldest.value);
    }
    return at;
  };

  /** Whether an incident version with member events not stored yet should be retried. */
  const shouldWait = async (incident: Incident, ctx: HandlerContext): Promise<boolean> => {
    const { waitMs, ttlMs, retryMaxAttempts, store } = options.events;
    if (waitMs <= 0 || ctx.attempt >= retryMaxAttempts || !store.available || incident.mergedInto !== null) return false;
    const at = now();
    if (at - incident.updatedAt > ttlMs) return false; // an old version (replay): its events may have expired
    if (at - firstAttemptOf(`${incident.incidentId}@${incident.version}`) >= waitMs) return false;
    // A replayed older version is not worth a wait (records the version: the same call as step 2 below).
    return (await scored.observe(incident.incidentId, incident.version)) <= incident.version;
  };

  /** The members' events from the store (most severe members first, up to the cap), or a RetriableError to wait for them. */
  const loadInput = async (incident: Incident, ctx: HandlerContext): Promise<{ input: ScoringInput; memberEvents: ScoredEvent['memberEvents'] }> => {
    const { store, maxMembers } = options.events;
    const ranked = incident.members.map((member, index) => ({ member, index }))
      .sort((a, b) => b.member.sourceSeverity - a.member.sourceSeverity || a.index - b.index);
    const ids = [...new Set(ranked.map(({ member }) => member.eventId))];
    const wanted = ids.slice(0, maxMembers);
    const notLoaded = ids.slice(maxMembers);
    const records = await store.load(wanted);
    const missing = wanted.filter((id) => !records.has(id));
    if (missing.length > 0 && await shouldWait(incident, ctx)) {
      throw new RetriableError(`waiting for ${missing.length} of ${wanted.length} member event(s) not stored yet`);
    }
    if (missing.length > 0) ctx.log.info({ missing: missing.length, members: ids.length }, 'scoring with member events missing');
    const events: SecurityEvent[] = [];
    const userAgents = new Map<string, string>();
    for (const record of records.values()) {
      events.push(eventOfRecord(record));
      if (record.userAgent !== null) userAgents.set(record.eventId, record.userAgent);
    }
    const context: NonNullable<ScoringInput['context']> = {
      userAgents,
      ...(notLoaded.length === 0 ? {} : { notLoaded: { eventIds: new Set(notLoaded), cap: maxMembers } }),
    };
    return { input: { incident, events, context }, memberEvents: { loaded: records.size, missing: missing.length, notLoaded: notLoaded.length } };
  };

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
      // 0. The members' events (compact records from `enriched`); may wait for them (RetriableError).
      const { input, memberEvents } = await loadInput(incident, ctx);
      const report = (llm: ScoredEvent['llm'], outcome: string | null = null): void =>
        options.onScored?.({ incidentId: incident.incidentId, incidentVersion: incident.version, llm, outcome, memberEvents });

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

export interface StoredEvent { readonly eventId: string; readonly stored: boolean; readonly truncated: boolean }

/**
 * The event side: `enriched` SecurityEvents in, compact records into the event store, no output.
 * A stage of its own, run by a second StageRunner (own consumer, group `<group>.events`) in the
 * scorer's process: kafkajs fetches from a broker only once every batch of its previous fetch is
 * handled, so in one consumer an incident waiting for its events would also hold back the fetch of
 * those very events.
 */
export function scorerEventsStage(options: { readonly events: ScorerEventOptions; readonly onEventStored?: (event: StoredEvent) => void }) {
  const storeEvent = async (event: SecurityEvent, ctx: HandlerContext): Promise<void> => {
    const compacted = compactEvent(event, options.events.maxBytes);
    if (compacted === null) {
      ctx.log.warn({ maxBytes: options.events.maxBytes }, 'event record over the size cap even without lists: not stored');
      options.onEventStored?.({ eventId: event.eventId, stored: false, truncated: true });
      return;
    }
    // Best effort: Redis down = the member is scored from its summary (the guard logs the outage once).
    // Throwing would send `enriched` records to a DLQ the scorer does not own.
    const stored = await options.events.store.put(compacted);
    options.onEventStored?.({ eventId: event.eventId, stored, truncated: compacted.record.truncated });
  };

  return defineStage({
    name: 'scorer-events',
    inputs: { events: { topic: options.events.topic, codec: options.events.codec, schema: securityEventSchema } },
    outputs: {},
    eventId: (record) => record.value.eventId,
    async handle(record, ctx) {
      await storeEvent(record.value, ctx);
      return [];
    },
  });
}
