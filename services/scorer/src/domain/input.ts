import type { Incident } from '@seam/schemas/records/incident';
import type { SecurityEvent } from '@seam/schemas/records/security-event';

export type { Incident, SecurityEvent };

/**
 * Facts the scorer needs that the SecurityEvent contract has no field for. Both are optional: the
 * model degrades to what the events carry.
 */
export interface ScoringContext {
  /** Canonical identities the identity directory flags privileged. */
  readonly privilegedIdentities?: ReadonlySet<string>;
  /** User agent per member eventId (CloudTrail `userAgent`), for benign-user-agent patterns. */
  readonly userAgents?: ReadonlyMap<string, string>;
  /**
   * Members whose events were deliberately not loaded (over the per-incident cap; the most severe
   * members were loaded). Named as such in the `incomplete-context` factor, not as unavailable.
   */
  readonly notLoaded?: { readonly eventIds: ReadonlySet<string>; readonly cap: number };
}

export interface ScoringInput {
  readonly incident: Incident;
  /**
   * The SecurityEvents of the incident's members. Events of non-members are ignored; members
   * without an event are scored from their member summary only (and lower the confidence).
   */
  readonly events: readonly SecurityEvent[];
  readonly context?: ScoringContext;
}

export interface VerdictStamp {
  /** Increases with every verdict on the incident (the scorer keeps the counter). */
  readonly verdictVersion: number;
  /** Epoch ms; passed in so scoring stays pure. */
  readonly decidedAt: number;
}
