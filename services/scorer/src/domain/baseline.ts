import type { RiskFactor, Verdict } from '@seam/schemas/records/verdict';
import { recommendActions } from './actions';
import { assess } from './assess';
import type { ScoringInput, VerdictStamp } from './input';
import type { RiskModel } from './model';
import { ownerOf } from './owner';
import { summarize } from './summary';

/**
 * The baseline verdict (DESIGN section 4): deterministic, explainable, no I/O. Every input member
 * summary is enough to produce one; member events, when supplied, add enrichment.
 */
export function scoreBaseline(input: ScoringInput, model: RiskModel, stamp: VerdictStamp): Verdict {
  const { incident } = input;
  const assessment = assess(input, model);
  const owner = ownerOf(incident, assessment, model);
  const summary = summarize(incident, assessment, model);
  const factors: RiskFactor[] = assessment.factors.map(({ name, points, detail }) => ({ name, points, detail }));
  return {
    incidentId: incident.incidentId,
    incidentVersion: incident.version,
    verdictVersion: stamp.verdictVersion,
    phase: 'baseline',
    severity: assessment.severity,
    riskScore: assessment.score,
    confidence: assessment.confidence,
    falsePositiveLikelihood: assessment.falsePositiveLikelihood,
    summary,
    owner,
    mitre: [...assessment.mitre],
    recommendedActions: recommendActions(incident, assessment, owner, summary, model),
    evidence: [...assessment.evidence],
    factors,
    model: null,
    decidedAt: stamp.decidedAt,
  };
}
