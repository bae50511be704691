import type { Owner, RecommendedAction } from '@seam/schemas/records/verdict';
import type { Assessment, PatternMatch } from './assess';
import type { Incident } from './input';
import type { RiskModel } from './model';
import { atLeast, severityRank } from './severity';

const QRADAR_PREFIX = 'qradar:offense:';

/** The offense id of a QRadar member (`qradar:offense:<id>`), else null. */
function offenseIdOf(eventId: string): string | null {
  return eventId.startsWith(QRADAR_PREFIX) && eventId.length > QRADAR_PREFIX.length ? eventId.slice(QRADAR_PREFIX.length) : null;
}

/** Security Hub / GuardDuty finding id: the event's sourceId when known, else the eventId suffix. */
function findingIdOf(eventId: string, sourceId: string | undefined): string {
  if (sourceId !== undefined) return sourceId;
  const colon = eventId.indexOf(':');
  return colon >= 0 ? eventId.slice(colon + 1) : eventId;
}

/**
 * The pattern that explains the whole incident best (every member matched; highest likelihood,
 * then name), or null.
 */
export function dominantPattern(assessment: Assessment): PatternMatch | null {
  let best: PatternMatch | null = null;
  for (const match of assessment.patternMatches) {
    if (match.coverage < 1) continue;
    if (best === null || match.pattern.likelihood > best.pattern.likelihood
      || (match.pattern.likelihood === best.pattern.likelihood && match.pattern.name < best.pattern.name)) best = match;
  }
  return best;
}

/**
 * Proposals by rule, in a fixed order (the actuator's policy decides what runs):
 * notify (severity >= notifyAtOrAbove) · ssm.automation containment per EC2 instance (severity >=
 * containAtOrAbove, up to maxContainments) · per QRadar member: qradar.note always, then
 * qradar.close when a known false-positive pattern explains every member with high enough
 * likelihood and confidence at low severity, else qradar.assign to the owner (severity >= medium) ·
 * per Security Hub / GuardDuty member: securityhub.update workflow NOTIFIED.
 */
export function recommendActions(
  incident: Incident, assessment: Assessment, owner: Owner, summary: string, model: RiskModel,
): RecommendedAction[] {
  const settings = model.config.actions;
  const { severity, score, confidence, falsePositiveLikelihood } = assessment;
  const verdictLine = `Seam baseline: ${severity} (risk ${score}, confidence ${confidence}) for incident ${incident.incidentId} v${incident.version}`;
  const actions: RecommendedAction[] = [];

  if (atLeast(severity, settings.notifyAtOrAbove)) {
    actions.push({
      kind: 'notify',
      target: settings.notifyChannel,
      parameters: { incidentId: incident.incidentId, severity, riskScore: String(score), team: owner.team },
      rationale: `severity ${severity} is at or above ${settings.notifyAtOrAbove}`,
    });
  }

  if (atLeast(severity, settings.containAtOrAbove)) {
    for (const instanceId of assessment.instanceIds.slice(0, settings.maxContainments)) {
      actions.push({
        kind: 'ssm_automation',
        target: instanceId,
        parameters: { DocumentName: settings.containDocument, InstanceId: instanceId, Action: 'Contain' },
        rationale: `severity ${severity} incident involves EC2 instance ${instanceId}: proposed isolation`,
      });
    }
  }

  const fp = dominantPattern(assessment);
  const close = fp !== null
    && falsePositiveLikelihood >= settings.closeMinFalsePositiveLikelihood
    && confidence >= settings.closeMinConfidence
    && severityRank(severity) <= severityRank(settings.closeAtOrBelow)
    && assessment.floor === null;
  const note = `${verdictLine}. ${summary}`;
  const noteText = note.length <= settings.noteMaxLength ? note : `${note.slice(0, settings.noteMaxLength - 1)}…`;
  for (const member of incident.members) {
    const offenseId = member.source === 'qradar' ? offenseIdOf(member.eventId) : null;
    if (offenseId === null) continue;
    actions.push({
      kind: 'qradar_note',
      target: offenseId,
      parameters: { note_text: noteText },
      rationale: 'record the correlated verdict on every QRadar offense of the incident',
    });
    if (close && fp !== null) {
      actions.push({
        kind: 'qradar_close',
        target: offenseId,
        parameters: { closing_reason: fp.pattern.closingReason, pattern: fp.pattern.name },
        rationale: `known false-positive pattern ${fp.pattern.name} matches every member (false-positive likelihood ${falsePositiveLikelihood}, confidence ${confidence})`,
      });
    } else if (atLeast(severity, 'medium')) {
      actions.push({
        kind: 'qradar_assign',
        target: offenseId,
        parameters: owner.person === null ? { team: owner.team } : { team: owner.team, assigned_to: owner.person },
        rationale: `route the ${severity} offense to its owner ${owner.team}`,
      });
    }
  }

  for (const member of incident.members) {
    if (member.source !== 'securityhub' && member.source !== 'guardduty') continue;
    const event = assessment.events.get(member.eventId);
    actions.push({
      kind: 'securityhub_update',
      target: findingIdOf(member.eventId, event?.sourceId),
      parameters: { source: member.source, workflowStatus: 'NOTIFIED', note: noteText },
      rationale: 'mark the finding as being handled by the SOC',
    });
  }
  return actions;
}
