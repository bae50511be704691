/**
 * Prometheus metrics of the correlator, registered on the kit's registry (the one `/metrics`
 * serves): `kit.metrics.registry`. No label carries a key or an id (unbounded cardinality); which
 * keys are hot goes to the log, once per key and window, and onto the incidents (`hotKeys`).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { HotKeyDecision, IdleAdvanceInfo } from './adapters/redis-state';
import { HotKeyWindow } from './domain/hot-key-window';
import type { IncidentVersion, IngestOutcome } from './domain/index';

/** What the stage reports while it runs (the store's own callbacks report the rest). */
export interface CorrelatorObserver {
  outcomes(outcomes: readonly IngestOutcome[]): void;
  /** Versions the broker acknowledged. */
  versions(versions: readonly IncidentVersion[]): void;
  /** The shared watermark after an advance (event-time ms; ±∞ before any input / after a flush). */
  watermark(watermark: number): void;
}

export class CorrelatorMetrics implements CorrelatorObserver {
  private readonly events: Counter<'outcome'>;
  private readonly versionCount: Counter<'kind'>;
  private readonly hotDecisions: Counter;
  private readonly hotKeys: Gauge;
  private readonly watermarkSeconds: Gauge;
  private readonly idlePartitions: Gauge;
  private readonly hot: HotKeyWindow;

  /**
   * `hotHoldMs`: how long (event time) a key counts in the hot-keys gauge after its latest hot
   * decision — W_ip + L, the span in which that decision keeps the key from linking.
   */
  constructor(registry: Registry, hotHoldMs: number) {
    const registers = [registry];
    this.hot = new HotKeyWindow(hotHoldMs);
    this.events = new Counter({
      name: 'seam_correlator_events_total',
      help: 'Input events by ingest outcome: accepted, updated, duplicate, late (own settled incident), late-update and conflict (ignored)',
      labelNames: ['outcome'],
      registers,
    });
    this.versionCount = new Counter({
      name: 'seam_correlator_versions_total',
      help: 'Incident versions produced (acknowledged by the broker): open, settled (final) and merged (last version of an incident merged into another)',
      labelNames: ['kind'],
      registers,
    });
    this.hotDecisions = new Counter({
      name: 'seam_correlator_hot_key_decisions_total',
      help: 'IP occurrences decided hot (more than K distinct identities on the key in the window): the event does not link through that key',
      registers,
    });
    this.hotKeys = new Gauge({
      name: 'seam_correlator_hot_keys',
      help: 'Distinct join keys this instance decided hot within the last IP window (+ lookahead) of event time',
      registers,
    });
    this.watermarkSeconds = new Gauge({
      name: 'seam_correlator_watermark_seconds',
      help: 'Shared event-time watermark (Unix seconds): min over input partitions of the newest event time, minus the grace',
      registers,
    });
    this.idlePartitions = new Gauge({
      name: 'seam_correlator_idle_partitions',
      help: 'Input partitions idle long enough that they no longer hold the watermark back (idle advance)',
      registers,
    });
  }

  outcomes(outcomes: readonly IngestOutcome[]): void {
    for (const { status } of outcomes) this.events.inc({ outcome: status });
  }

  versions(versions: readonly IncidentVersion[]): void {
    for (const version of versions) {
      this.versionCount.inc({ kind: version.mergedInto !== null ? 'merged' : version.status });
    }
  }

  watermark(watermark: number): void {
    if (!Number.isFinite(watermark)) return;
    this.watermarkSeconds.set(watermark / 1000);
    this.hot.retire(watermark);
    this.hotKeys.set(this.hot.size);
  }

  /** One hot decision (from the store); true when the key was not hot in this instance's window before. */
  hotKey(decision: HotKeyDecision): boolean {
    this.hotDecisions.inc();
    const fresh = this.hot.add(decision.key, decision.observedAt);
    this.hotKeys.set(this.hot.size);
    return fresh;
  }

  idleAdvance(info: IdleAdvanceInfo): void {
    this.idlePartitions.set(info.idlePartitions.length);
  }
}
