import { defineStage, PoisonError, type Codec, type HandlerContext, type ProducerPort, type StageLifecycleContext } from '@seam/kit';
import { incidentSchema, securityEventSchema, type Incident } from '@seam/schemas';
import type { CorrelationEvent, IncidentVersion, IngestOutcome } from './domain/index';
import { fitIncidentRecord } from './adapters/incident-size';
import { toCorrelationEvent, toIncidentRecord } from './adapters/security-event';
import type { CorrelatorObserver } from './metrics';

/** What the stage needs from the correlation state: `RedisCorrelationState` (or an in-memory twin in tests). */
export interface CorrelationStore {
  /** Before the first record: throws when the store cannot be used (e.g. state of another layout). */
  prepare?(): Promise<void>;
  ingest(event: CorrelationEvent, partition: string): Promise<IngestOutcome>;
  /** The events of one partition batch in offset order; one outcome per event. */
  ingestBatch(events: readonly CorrelationEvent[], partition: string): Promise<IngestOutcome[]>;
  /**
   * Moves event time to the shared watermark (IP decisions, settling, dedup expiry). `more` when
   * the work per call was bounded and some is left (the timer then runs again at once); `watermark`
   * the shared event-time watermark it moved to (for the metric).
   */
  advance(): Promise<{ readonly more: boolean; readonly watermark?: number } | void>;
  /**
   * Versions whose debounce elapsed; exactly one instance gets each. `acknowledge`: the caller
   * acknowledges them now (no `ack` needed; the store may fold it into the emission).
   */
  tick(options?: { readonly acknowledge?: boolean }): Promise<IncidentVersion[]>;
  /** The versions returned by `tick` were produced (releases their emission leases). */
  ack?(versions: readonly IncidentVersion[]): Promise<void>;
  /** Whether `tick` would emit something right now (by the store's own clock). */
  hasDue?(): Promise<boolean>;
}

export interface CorrelatorStageOptions {
  readonly topics: { readonly enriched: string; readonly correlated: string };
  readonly codecs: { readonly event: Codec<unknown>; readonly incident: Codec<Incident> };
  readonly store: CorrelationStore;
  /** Wall clock for `updatedAt` (ms). */
  readonly now: () => number;
  /**
   * Debounced and settled versions also come due without input (quiet streams): a timer ticks the
   * store every `tickIntervalMs` and produces what is due with this producer (0 disables it).
   */
  readonly timer?: { readonly producer: ProducerPort; readonly tickIntervalMs: number };
  /** Ingest outcomes, versions produced and the watermark (metrics; optional). */
  readonly observer?: CorrelatorObserver;
  /**
   * Byte budget of one Incident record (Avro, an upper bound): a larger incident lists only its
   * earliest and latest members and says how many it left out (adapters/incident-size.ts). Keep it
   * under the `correlated` topic's `max.message.bytes` (broker default 1 MiB). Default 900,000.
   */
  readonly maxRecordBytes?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 900_000;

/** `enriched` SecurityEvent → Incident versions on `correlated`, keyed by incident id. */
export const correlatorStage = (options: CorrelatorStageOptions) => {
  const { topics, codecs, store, now, observer } = options;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  /** The `correlated` record of a version, within the byte budget (a warning when its lists were cut). */
  const recordOf = (version: IncidentVersion, updatedAt: number, log: HandlerContext['log']): Incident => {
    const { record, fits, titlesCut } = fitIncidentRecord(toIncidentRecord(version, updatedAt), maxRecordBytes);
    const listsCut =
      record.membersOmitted > 0 ||
      record.linksOmitted > 0 ||
      record.keysOmitted > 0 ||
      record.absorbedOmitted > 0 ||
      record.hotKeysOmitted > 0 ||
      record.tacticsOmitted > 0;
    if (listsCut || titlesCut > 0 || !fits) {
      log.warn(
        {
          incidentId: record.incidentId,
          version: record.version,
          members: version.members.length,
          membersOmitted: record.membersOmitted,
          linksOmitted: record.linksOmitted,
          keysOmitted: record.keysOmitted,
          absorbedOmitted: record.absorbedOmitted,
          hotKeysOmitted: record.hotKeysOmitted,
          tacticsOmitted: record.tacticsOmitted,
          titlesCut,
          fits,
          maxRecordBytes,
        },
        !fits
          ? 'incident record over the size budget even with one member'
          : listsCut
            ? 'incident record over the size budget: it lists the earliest and latest members only'
            : 'incident record over the size budget: long member titles cut',
      );
    }
    return record;
  };
  const advance = async (): Promise<{ readonly more: boolean } | void> => {
    const advanced = await store.advance();
    if (advanced?.watermark !== undefined) observer?.watermark(advanced.watermark);
    return advanced;
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  /** One timer round; true when work is left (bounded advance) and the next round should not wait. */
  const emitDue = async (ctx: StageLifecycleContext, producer: ProducerPort): Promise<boolean> => {
    try {
      const advanced = await advance();
      const versions = await store.tick();
      // `tick` emits a bounded number per call: when more are already due (a settle of many
      // incidents), the next round must not wait out the interval.
      const more = (advanced?.more ?? false) || (versions.length > 0 && ((await store.hasDue?.()) ?? false));
      if (versions.length === 0) return more;
      const messages = await Promise.all(
        versions.map(async (version) => ({
          key: version.incidentId,
          value: await codecs.incident.encode(incidentSchema.parse(recordOf(version, now(), ctx.log)), topics.correlated),
          headers: {},
        })),
      );
      await producer.sendBatch([{ topic: topics.correlated, messages }]);
      observer?.versions(versions);
      // Only after the broker acknowledged: a crash before leaves the emission lease to expire, and
      // the versions are emitted again (same versions; the topic is compacted).
      await store.ack?.(versions);
      ctx.log.debug({ versions: versions.length }, 'timer emitted incident versions');
      return more;
    } catch (error) {
      // With an emission lease the popped roots come due again when it expires; without one the
      // settled version and the next material change re-emit the incident (README "Kafka stage").
      ctx.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'correlator timer tick failed');
      return false;
    }
  };

  const schedule = (ctx: StageLifecycleContext, producer: ProducerPort, intervalMs: number, delayMs = intervalMs): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      let more = false;
      running = emitDue(ctx, producer)
        .then((left) => {
          more = left;
        })
        .finally(() => schedule(ctx, producer, intervalMs, more ? 0 : intervalMs));
    }, delayMs);
    timer.unref();
  };

  return defineStage({
    name: 'correlator',
    inputs: { enriched: { topic: topics.enriched, codec: codecs.event, schema: securityEventSchema } },
    outputs: { correlated: { topic: topics.correlated, codec: codecs.incident, schema: incidentSchema } },
    eventId: (record) => record.value.eventId,
    async handle(record, ctx) {
      const mapped = toCorrelationEvent(record.value);
      if (!mapped.ok) throw new PoisonError(`cannot correlate: ${mapped.reason}`);
      // Redis failures surface as plain errors: the kit retries them (ingest is idempotent).
      const outcome = await store.ingest(mapped.event, `${record.topic}:${record.partition}`);
      observer?.outcomes([outcome]);
      if (outcome.status === 'conflict' || outcome.status === 'late-update') {
        ctx.log.warn({ status: outcome.status, incidentId: outcome.incidentId }, 'event version ignored');
      }
      await advance();
      // Handed to the kit, which produces before committing (see handleBatch on what is not covered).
      const versions = await store.tick({ acknowledge: true });
      // No hook after the produce on this path: counted when handed to the kit.
      observer?.versions(versions);
      const updatedAt = now();
      return versions.map((version) => ({
        to: 'correlated' as const,
        key: version.incidentId,
        value: recordOf(version, updatedAt, ctx.log),
      }));
    },
    /**
     * One fetched partition batch: every record is mapped (an unmappable one is poison, alone), the
     * rest are ingested together, then event time advances and due versions are emitted ONCE for
     * the batch. The versions ride on the last ingested record, so they are produced before its
     * offset (and every earlier one) is committed; a thrown Redis error retries the whole batch,
     * which is safe because ingest is idempotent.
     */
    async handleBatch(records, ctx) {
      const mapped = records.map((record) => toCorrelationEvent(record.value));
      const events: CorrelationEvent[] = [];
      let last = -1;
      mapped.forEach((result, i) => {
        if (!result.ok) return;
        events.push(result.event);
        last = i;
      });
      const first = records[0];
      if (events.length > 0 && first !== undefined) {
        const outcomes = await store.ingestBatch(events, `${first.topic}:${first.partition}`);
        observer?.outcomes(outcomes);
        for (const outcome of outcomes) {
          if (outcome.status === 'conflict' || outcome.status === 'late-update') {
            ctx.log.warn({ status: outcome.status, incidentId: outcome.incidentId }, 'event version ignored');
          }
        }
      }
      let versions: IncidentVersion[] = [];
      if (last >= 0) {
        await advance();
        // The kit produces these outputs after this call returns; its afterProduce hook runs once
        // the broker acknowledged them, and only then are the emission leases released. A crash or
        // a failed produce in between leaves the leases to expire: the versions are emitted again
        // (same versions; the topic is compacted) instead of being lost with the redelivered batch,
        // whose records are duplicates and would not re-emit. A store without `ack` confirms at once.
        versions = await store.tick(store.ack === undefined ? { acknowledge: true } : {});
      }
      const updatedAt = now();
      const outputs = versions.map((version) => ({ to: 'correlated' as const, key: version.incidentId, value: recordOf(version, updatedAt, ctx.log) }));
      const afterProduce = async (): Promise<void> => {
        observer?.versions(versions);
        await store.ack?.(versions);
      };
      return mapped.map((result, i) => {
        if (!result.ok) return { error: new PoisonError(`cannot correlate: ${result.reason}`) };
        return i === last && versions.length > 0 ? { outputs, afterProduce } : { outputs: [] };
      });
    },
    async onStart(ctx) {
      stopped = false;
      await store.prepare?.();
      if (options.timer === undefined || options.timer.tickIntervalMs <= 0) return;
      await options.timer.producer.connect();
      schedule(ctx, options.timer.producer, options.timer.tickIntervalMs);
    },
    async onStop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
      if (options.timer !== undefined && options.timer.tickIntervalMs > 0) await options.timer.producer.disconnect();
    },
  });
};
