import type { Assessment, Factor } from './assess';
import type { Incident } from './input';
import type { RiskModel } from './model';
import { sanitizeText } from './text';

const signed = (points: number): string => (points >= 0 ? `+${points}` : `${points}`);

/** The factors that moved the score most: largest |points| first, then by name. */
export function topFactors(factors: readonly Factor[], count: number): Factor[] {
  return factors
    .filter((factor) => factor.points !== 0)
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, count);
}

/**
 * A one-line, deterministic summary built only from numbers, enum values, factor names (ours or
 * validated config names) and the leading member's title passed through sanitizeText, quoted.
 * Example: `high risk 72/100 (confidence 0.7, false-positive 0.2): 2 events from qradar, cloudtrail;
 * lead "Multiple Login Failures"; drivers: asset-criticality +20, hybrid-link +10, known-fp:x -12.`
 */
export function summarize(incident: Incident, assessment: Assessment, model: RiskModel): string {
  const { maxTitleLength, maxLength } = model.config.summary;
  let lead = incident.members[0];
  for (const member of incident.members) if (lead === undefined || member.sourceSeverity > lead.sourceSeverity) lead = member;
  // A very large incident lists only some members (the correlator's size budget): count them all.
  const count = incident.members.length + incident.membersOmitted;
  const parts = [
    `${assessment.severity} risk ${assessment.score}/100`,
    ` (confidence ${assessment.confidence}, false-positive ${assessment.falsePositiveLikelihood})`,
    `: ${count} event${count === 1 ? '' : 's'}`,
    assessment.sources.length > 0 ? ` from ${assessment.sources.join(', ')}` : '',
    lead === undefined ? '' : `; lead "${sanitizeText(lead.title, maxTitleLength)}"`,
  ];
  const drivers = topFactors(assessment.factors, 3);
  if (drivers.length > 0) parts.push(`; drivers: ${drivers.map((f) => `${f.name} ${signed(f.points)}`).join(', ')}`);
  parts.push('.');
  const text = parts.join('');
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}
