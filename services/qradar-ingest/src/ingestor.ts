import { createHash } from 'node:crypto';
import type { OffenseRaw } from '@seam/schemas';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { QradarClient } from './adapters/qradar-client';
import { QradarError } from './adapters/qradar-client';
import type { OffenseSink } from './adapters/offense-sink';
import type { StateStore } from './adapters/state-store';
import type { EndOffsets } from './adapters/topic-reader';
import {
  advanceChangedCursor,
  advanceNewCursor,
  changedOffensesQuery,
  mayHaveMore,
  newOffensesQuery,
  type ChangedCursor,
  type NewCursor,
} from './domain/cursors';
import { addressFilter, chunk, collectAddressIds, eventSampleQuery, resolveAddresses, shouldRetryEmptySample, versionOf, type DeliveredOffense } from './domain/offense';
import { pollBackoffMs } from './domain/retry';
import { cursorVersions, type InvalidOffense } from './domain/validation';

/** `seam.source.topic` of DLQ records: not read from a topic, so the QRadar operation. */
export const DLQ_SOURCE = 'qradar:GET /api/siem/offenses';

export interface IngestSettings {
  readonly pageSize: number;
  readonly addressBatchSize: number;
  readonly eventSampleSize: number;
  readonly eventSampleConcurrency: number;
  readonly eventRetries: number;
  readonly eventRetryDelayMs: number;
  readonly eventLagWindowMs: number;
  readonly arielWaitSeconds: number;
  readonly arielDeadlineMs: number;
  readonly newPollIntervalMs: number;
  readonly changedPollIntervalMs: number;
  readonly errorBackoffMs: number;
  readonly maxErrorBackoffMs: number;
}

export type Arrival = 'poll' | 'webhook';

export interface IngestMetrics {
  readonly polls: Counter<'poller' | 'result'>;
  readonly produced: Counter<'arrival'>;
  readonly duplicates: Counter<'arrival'>;
  readonly errors: Counter<'kind'>;
  readonly dlq: Counter<'poller'>;
  readonly backlog: Gauge<'poller'>;
  readonly cursorLagSeconds: Gauge<'poller'>;
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  const registers = [registry];
  return {
    polls: new Counter({ name: 'seam_qradar_polls_total', help: 'QRadar polls by poller and result', labelNames: ['poller', 'result'], registers }),
    produced: new Counter({ name: 'seam_qradar_offenses_produced_total', help: 'Offense versions produced to offenses.raw (acknowledged)', labelNames: ['arrival'], registers }),
    duplicates: new Counter({ name: 'seam_qradar_offenses_duplicate_total', help: 'Offense versions skipped because already produced', labelNames: ['arrival'], registers }),
    dlq: new Counter({ name: 'seam_qradar_offenses_dlq_total', help: 'Malformed offenses sent to the DLQ (acknowledged)', labelNames: ['poller'], registers }),
    errors: new Counter({ name: 'seam_qradar_errors_total', help: 'Errors by kind', labelNames: ['kind'], registers }),
    backlog: new Gauge({ name: 'seam_qradar_backlog_offenses', help: 'Offenses past the cursor per the last Content-Range', labelNames: ['poller'], registers }),
    cursorLagSeconds: new Gauge({ name: 'seam_qradar_cursor_lag_seconds', help: 'Now minus the cursor time (changed: watermark; new: last offense start_time)', labelNames: ['poller'], registers }),
  };
}

/** A tiny FIFO mutex: the dedup check, the produce and the dedup mark run as one critical section. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export interface IngestDeps {
  readonly client: QradarClient;
  readonly sink: OffenseSink;
  readonly store: StateStore;
  readonly settings: IngestSettings;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
  /**
   * End offsets of the offenses topic: when given, every produce is journaled (a Redis intent with
   * the versions and these offsets) so `recoverIntent` can tell after a crash what reached the topic.
   */
  readonly journal?: EndOffsets;
}

export type WebhookResult = 'produced' | 'duplicate';

export class Ingestor {
  readonly #mutex = new Mutex();
  readonly #now: () => number;
  #stopping = false;
  readonly #wakers = new Set<() => void>();

  constructor(private readonly deps: IngestDeps) {
    this.#now = deps.now ?? Date.now;
  }

  /**
   * Enriches and produces the offenses not yet produced, sends the invalid elements not yet sent to
   * the DLQ, then commits dedup marks (+ DLQ marks + cursor) atomically, after both acks.
   */
  async #emit(offenses: readonly DeliveredOffense[], arrival: Arrival, cursor?: Parameters<StateStore['commit']>[1], invalid: readonly InvalidOffense[] = []): Promise<number> {
    const { store, sink, metrics, logger } = this.deps;
    const candidates = await store.unseen(offenses.map((o) => ({ ...versionOf(o.fields), offense: o })));
    const enriched = await this.#enrich(candidates.map((c) => c.offense), arrival);
    return this.#mutex.run(async () => {
      // Re-check inside the critical section: a concurrent webhook/poll may have produced meanwhile.
      const fresh = new Set((await store.unseen(candidates)).map((c) => c.id));
      const records = enriched.filter((r) => fresh.has(Number(r.sourceId)));
      const producedVersions = candidates.filter((c) => fresh.has(c.id)).map(({ id, persistedAt }) => ({ id, persistedAt }));
      if (records.length > 0 && this.deps.journal) await store.writeIntent({ versions: producedVersions, offsets: await this.deps.journal.endOffsets() });
      await sink.produce(records);
      // The same malformed element is re-read until the cursor passes it: send each content once (per TTL).
      const hashed = [...new Map(invalid.map((o) => [createHash('sha256').update(o.raw).digest('hex'), o])).entries()];
      const unsent = new Set(await store.unsentDlq(hashed.map(([h]) => h)));
      const dead = hashed.filter(([h]) => unsent.has(h));
      await sink.dlq(dead.map(([, o]) => ({ key: o.id === undefined ? null : String(o.id), raw: o.raw, reason: o.reason, source: DLQ_SOURCE })));
      await store.commit(producedVersions, cursor, dead.map(([h]) => h));
      if (dead.length > 0) {
        metrics.dlq.inc({ poller: cursor?.kind ?? 'webhook' }, dead.length);
        logger.warn({ count: dead.length, ids: dead.map(([, o]) => o.id ?? null), reasons: dead.slice(0, 5).map(([, o]) => o.reason) }, 'malformed QRadar offenses sent to the DLQ');
      }
      metrics.produced.inc({ arrival }, records.length);
      metrics.duplicates.inc({ arrival }, offenses.length - records.length);
      return records.length;
    });
  }

  async #enrich(offenses: readonly DeliveredOffense[], arrival: Arrival): Promise<OffenseRaw[]> {
    if (offenses.length === 0) return [];
    const { client, settings } = this.deps;
    const fields = offenses.map((o) => o.fields);
    const sourceIps = new Map<number, string>();
    const localIps = new Map<number, string>();
    for (const side of ['source', 'local'] as const) {
      const target = side === 'source' ? sourceIps : localIps;
      for (const ids of chunk(collectAddressIds(fields, side), settings.addressBatchSize)) {
        for (const [id, ip] of await client.addresses(side, addressFilter(ids), ids.length)) target.set(id, ip);
      }
    }
    const samples = await this.#sampleAll(offenses);
    const receivedAt = this.#now();
    return offenses.map((offense, i) => ({
      sourceId: String(offense.fields.id),
      kind: 'qradar_offense',
      arrival,
      receivedAt,
      sourceUpdatedAt: offense.fields.last_updated_time ?? null,
      origin: client.origin,
      payload: offense.raw,
      addresses: resolveAddresses(offense.fields, sourceIps, localIps),
      events: samples[i] ?? null,
    }));
  }

  async #sampleAll(offenses: readonly DeliveredOffense[]): Promise<(string | null)[]> {
    const out: (string | null)[] = offenses.map(() => null);
    if (this.deps.settings.eventSampleSize <= 0) return out;
    let next = 0;
    const worker = async () => {
      while (next < offenses.length) {
        const index = next++;
        const offense = offenses[index];
        if (offense) out[index] = await this.#sample(offense);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.settings.eventSampleConcurrency, offenses.length) }, worker));
    return out;
  }

  /** The bounded event sample; null when Ariel did not answer (the offense is produced anyway). */
  async #sample(offense: DeliveredOffense): Promise<string | null> {
    const { client, settings, logger, metrics } = this.deps;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const query = eventSampleQuery(offense.fields, settings.eventSampleSize, this.#now());
        const sample = await client.arielSample(query, settings.eventSampleSize, settings.arielWaitSeconds, settings.arielDeadlineMs);
        if (sample.rows === null) return null;
        if (sample.count > 0 || !shouldRetryEmptySample(offense.fields, attempt, settings.eventRetries, this.#now(), settings.eventLagWindowMs)) return sample.rows;
      } catch (error) {
        metrics.errors.inc({ kind: 'ariel' });
        logger.warn({ offenseId: offense.fields.id, reason: error instanceof Error ? error.message : 'unknown' }, 'Ariel sample failed; producing without events');
        return null;
      }
      await this.#sleep(settings.eventRetryDelayMs);
    }
  }

  /** One pass of the new-offense poller: pages until caught up. Returns the number produced. */
  async pollNewOnce(): Promise<number> {
    const { client, store, settings, metrics } = this.deps;
    let cursor: NewCursor = await store.newCursor();
    let produced = 0;
    for (;;) {
      const query = newOffensesQuery(cursor, settings.pageSize);
      const page = await client.listOffenses(query.filter, query.sort, query.range);
      if (page.total !== undefined) metrics.backlog.set({ poller: 'new' }, Math.max(0, page.total - page.offenses.length));
      if (page.items.length === 0) break;
      const next = advanceNewCursor(cursor, cursorVersions(page.items, 'new'));
      produced += await this.#emit(page.offenses, 'poll', { kind: 'new', value: next }, page.invalid);
      const stuck = next.lastId === cursor.lastId;
      cursor = next;
      const last = page.offenses.at(-1)?.fields.start_time;
      if (last !== undefined) metrics.cursorLagSeconds.set({ poller: 'new' }, Math.max(0, (this.#now() - last) / 1000));
      if (!mayHaveMore(page.items.length, settings.pageSize) || this.#stopping) break;
      if (stuck) {
        this.#stuck('new', page.items.length);
        break;
      }
    }
    return produced;
  }

  async pollChangedOnce(): Promise<number> {
    const { client, store, settings, metrics } = this.deps;
    let cursor: ChangedCursor = await store.changedCursor();
    let produced = 0;
    for (;;) {
      const query = changedOffensesQuery(cursor, settings.pageSize);
      const page = await client.listOffenses(query.filter, query.sort, query.range);
      if (page.total !== undefined) metrics.backlog.set({ poller: 'changed' }, Math.max(0, page.total - page.offenses.length));
      if (page.items.length === 0) break;
      const next = advanceChangedCursor(cursor, cursorVersions(page.items, 'changed'));
      produced += await this.#emit(page.offenses, 'poll', { kind: 'changed', value: next }, page.invalid);
      const stuck = next.watermark === cursor.watermark && next.idsAtWatermark.length === cursor.idsAtWatermark.length;
      cursor = next;
      metrics.cursorLagSeconds.set({ poller: 'changed' }, Math.max(0, (this.#now() - cursor.watermark) / 1000));
      if (!mayHaveMore(page.items.length, settings.pageSize) || this.#stopping) break;
      if (stuck) {
        this.#stuck('changed', page.items.length);
        break;
      }
    }
    return produced;
  }

  /**
   * A full page whose elements carry no usable cursor key (id-less garbage): the cursor cannot move
   * past it, so stop this pass instead of re-reading it in a loop. Its elements are in the DLQ (once).
   */
  #stuck(poller: 'new' | 'changed', size: number): void {
    this.deps.metrics.errors.inc({ kind: 'cursor_stuck' });
    this.deps.logger.error({ poller, pageSize: size }, 'a full QRadar page holds only malformed offenses without a usable id/time: the cursor cannot advance past it');
  }

  /** Webhook path: fetch the full offense, produce it unless this version was already produced. */
  async ingestById(offenseId: number): Promise<WebhookResult> {
    const offense = await this.deps.client.getOffense(offenseId);
    const produced = await this.#emit([offense], 'webhook');
    return produced > 0 ? 'produced' : 'duplicate';
  }

  /** Runs both pollers until stop(); a QRadar (or Kafka/Redis) outage only backs the poller off. */
  async run(): Promise<void> {
    await Promise.all([
      this.#loop('new', () => this.pollNewOnce(), this.deps.settings.newPollIntervalMs),
      this.#loop('changed', () => this.pollChangedOnce(), this.deps.settings.changedPollIntervalMs),
    ]);
  }

  async #loop(poller: 'new' | 'changed', pass: () => Promise<number>, intervalMs: number): Promise<void> {
    const { metrics, logger, settings } = this.deps;
    let failures = 0;
    while (!this.#stopping) {
      let wait = intervalMs;
      try {
        await pass();
        metrics.polls.inc({ poller, result: 'ok' });
        if (failures > 0) logger.info({ poller, failures }, 'QRadar poll recovered');
        failures = 0;
      } catch (error) {
        failures += 1;
        metrics.polls.inc({ poller, result: 'error' });
        metrics.errors.inc({ kind: error instanceof QradarError ? `qradar_${error.status === 0 ? 'unavailable' : error.status}` : 'internal' });
        wait = pollBackoffMs(failures, settings.errorBackoffMs, settings.maxErrorBackoffMs);
        logger.warn({ poller, failures, backoffMs: wait, reason: error instanceof Error ? error.message : 'unknown' }, 'QRadar poll failed; backing off');
      }
      await this.#sleep(wait);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }

  stop(): void {
    this.#stopping = true;
    for (const wake of [...this.#wakers]) wake();
  }
}
