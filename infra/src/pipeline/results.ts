/**
 * What a pipeline run has produced so far, folded from the `correlated`, `verdicts`, `actions` and
 * DLQ records it observes (pure: records in, state and verdicts out). Decides when a replay is
 * complete and what its result lines are (DESIGN.md section 8): one line per surviving settled
 * incident, `{incident, verdict}` with its final Incident and latest Verdict.
 */
import type { Incident, Verdict } from '@seam/schemas';

/** The event id the enricher gives a replay line (services/enricher/src/domain/normalize/*). */
export function expectedEventId(source: string, sourceId: string): string {
  switch (source) {
    case 'qradar.offense':
      return `qradar:offense:${sourceId}`;
    case 'cloudtrail.event':
      return `cloudtrail:${sourceId}`;
    case 'guardduty.finding':
      return `guardduty:${sourceId}`;
    case 'securityhub.finding': {
      // Findings GuardDuty generated carry its finding ARN as Id: the enricher keys them by the bare id.
      const guardDuty = /^arn:aws[a-z-]*:guardduty:[^:]*:\d+:detector\/[^/]+\/finding\/([^/]+)$/.exec(sourceId);
      return guardDuty?.[1] === undefined ? `securityhub:${sourceId}` : `guardduty:${guardDuty[1]}`;
    }
    default:
      throw new Error(`unknown source ${source}`);
  }
}

export interface DeadLetter {
  readonly topic: string;
  readonly key: string | null;
  readonly reason: string;
}

export interface ActionSummary {
  readonly actionId: string;
  readonly incidentId: string;
  readonly kind: string;
  readonly target: string;
  readonly state: string;
  readonly sequence: number;
  readonly actor: string;
}

export interface ResultLine {
  readonly incident: Incident;
  readonly verdict: Verdict | null;
}

export class RunResults {
  /** Latest version of every incident id seen (merged-away ones included). */
  readonly incidents = new Map<string, Incident>();
  /** Latest verdict per incident id (highest verdictVersion). */
  readonly verdicts = new Map<string, Verdict>();
  /** Latest state change per action id. */
  readonly actions = new Map<string, ActionSummary>();
  readonly deadLetters: DeadLetter[] = [];
  /** `incidentId#incidentVersion` of every LLM inference recorded on llm.audit (any outcome). */
  readonly refinements = new Set<string>();

  addIncident(incident: Incident): void {
    const known = this.incidents.get(incident.incidentId);
    if (known === undefined || incident.version >= known.version) this.incidents.set(incident.incidentId, incident);
  }

  addVerdict(verdict: Verdict): void {
    const known = this.verdicts.get(verdict.incidentId);
    if (known === undefined || verdict.verdictVersion >= known.verdictVersion) this.verdicts.set(verdict.incidentId, verdict);
  }

  addAction(action: ActionSummary): void {
    const known = this.actions.get(action.actionId);
    if (known === undefined || action.sequence >= known.sequence) this.actions.set(action.actionId, action);
  }

  addAudit(incidentId: string, incidentVersion: number): void {
    this.refinements.add(`${incidentId}#${incidentVersion}`);
  }

  addDeadLetter(letter: DeadLetter): void {
    this.deadLetters.push(letter);
  }

  /** Incidents that are not merged into another one. */
  surviving(): Incident[] {
    return [...this.incidents.values()].filter((incident) => incident.mergedInto === null);
  }

  /** The surviving incident each event id belongs to (late members included). */
  incidentOfEvent(): Map<string, Incident> {
    const owner = new Map<string, Incident>();
    for (const incident of this.surviving()) {
      for (const member of incident.members) owner.set(member.eventId, incident);
      for (const late of incident.late) owner.set(late.eventId, incident);
    }
    return owner;
  }

  /**
   * Complete when every expected event is in a settled surviving incident whose final version has
   * its verdict: the baseline, and with an LLM configured (`refined`) also the refinement's outcome
   * — an `llm` verdict for that version, or its inference on llm.audit (a failed or budget-refused
   * refinement leaves the baseline standing and says so there). Events that went to a DLQ are
   * excluded by the caller.
   */
  progress(expectedEventIds: readonly string[], refined: boolean): { settled: number; scored: number; pending: string[] } {
    const owner = this.incidentOfEvent();
    let settled = 0;
    let scored = 0;
    const pending: string[] = [];
    for (const eventId of expectedEventIds) {
      const incident = owner.get(eventId);
      if (incident?.status !== 'settled') {
        pending.push(eventId);
        continue;
      }
      settled++;
      const verdict = this.verdicts.get(incident.incidentId);
      const baseline = verdict !== undefined && verdict.incidentVersion >= incident.version;
      const llmDone = !refined || verdict?.phase === 'llm' || this.refinements.has(`${incident.incidentId}#${incident.version}`);
      if (baseline && llmDone) scored++;
      else pending.push(eventId);
    }
    return { settled, scored, pending };
  }

  /** One line per surviving settled incident, ordered by first event time then id. */
  resultLines(): ResultLine[] {
    return this.surviving()
      .filter((incident) => incident.status === 'settled')
      .sort((a, b) => a.firstSeen - b.firstSeen || a.incidentId.localeCompare(b.incidentId))
      .map((incident) => ({ incident, verdict: this.verdicts.get(incident.incidentId) ?? null }));
  }
}
