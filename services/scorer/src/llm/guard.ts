import type { Incident } from '@seam/schemas';
import type { ModelInfo, RiskFactor, Verdict } from '@seam/schemas/records/verdict';
import { recommendActions } from '../domain/actions';
import type { Assessment } from '../domain/assess';
import type { RiskModel } from '../domain/model';
import { SEVERITY_ORDER, maxSeverity, minimumScoreOf, severityRank, type Severity } from '../domain/severity';
import type { RefinementOutput } from './output';

/** Evidence ids the model cited that are not members of the incident (empty = all verified). */
export function inventedEvidence(output: RefinementOutput, memberIds: readonly string[]): string[] {
  const members = new Set(memberIds);
  return output.evidence.filter((id) => !members.has(id));
}

export interface GuardedSeverity {
  readonly severity: Severity;
  readonly clamped: boolean;
}

/** DESIGN section 4: at most one level away from the baseline, never below the critical-asset floor. */
export function guardSeverity(proposed: Severity, baseline: Severity, floor: Severity | null): GuardedSeverity {
  const base = severityRank(baseline);
  const rank = Math.min(base + 1, Math.max(base - 1, severityRank(proposed)));
  let severity = SEVERITY_ORDER[rank] ?? baseline;
  if (floor !== null) severity = maxSeverity(severity, floor);
  return { severity, clamped: severity !== proposed };
}

/** The score moved into the band of `severity`, so that severityOf(score) = severity still holds. */
function scoreInBand(score: number, severity: Severity, model: RiskModel): number {
  const thresholds = model.config.thresholds;
  const low = minimumScoreOf(severity, thresholds);
  const next = SEVERITY_ORDER[severityRank(severity) + 1];
  const high = next === undefined ? 100 : minimumScoreOf(next, thresholds) - 1;
  return Math.min(high, Math.max(low, Math.round(score)));
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

export interface LlmVerdictInput {
  readonly incident: Incident;
  readonly baseline: Verdict;
  readonly assessment: Assessment;
  readonly output: RefinementOutput;
  readonly floor: Severity | null;
  readonly riskModel: RiskModel;
  readonly modelInfo: ModelInfo;
  readonly decidedAt: number;
}

/**
 * The `llm` verdict: numbers from the model within the guard rails, evidence verified by the
 * caller, reasons from a closed list. No free text of the model is copied into it.
 */
export function buildLlmVerdict(input: LlmVerdictInput): { verdict: Verdict; clamped: boolean } {
  const { incident, baseline, assessment, output, floor, riskModel } = input;
  const guarded = guardSeverity(output.severity, baseline.severity, floor);
  const riskScore = scoreInBand(output.riskScore, guarded.severity, riskModel);
  const confidence = round2(output.confidence);
  const falsePositiveLikelihood = round2(output.falsePositiveLikelihood);
  const cited = new Set(output.evidence);
  const evidence = incident.members.map((m) => m.eventId).filter((id) => cited.has(id));
  const reasons = [...new Set(output.reasons)].join(', '); // small models repeat themselves
  const delta = Math.round((riskScore - baseline.riskScore) * 10) / 10;
  const factors: RiskFactor[] = [
    ...baseline.factors,
    { name: 'llm-refinement', points: delta, detail: `reasons: ${reasons}${guarded.clamped ? '; severity clamped by guard rail' : ''}` },
  ];
  const summary = `${guarded.severity} risk ${riskScore}/100 (confidence ${confidence}, false-positive ${falsePositiveLikelihood}), `
    + `LLM-refined from baseline ${baseline.severity} ${baseline.riskScore}: ${reasons}; `
    + `${evidence.length} cited events. Baseline: ${baseline.summary}`;
  const refined: Assessment = { ...assessment, severity: guarded.severity, score: riskScore, confidence, falsePositiveLikelihood };
  const maxLength = riskModel.config.summary.maxLength;
  const cut = summary.length > maxLength ? `${summary.slice(0, maxLength - 1)}…` : summary;
  return {
    clamped: guarded.clamped,
    verdict: {
      ...baseline,
      verdictVersion: baseline.verdictVersion + 1,
      phase: 'llm',
      severity: guarded.severity,
      riskScore,
      confidence,
      falsePositiveLikelihood,
      summary: cut,
      recommendedActions: recommendActions(incident, refined, baseline.owner, cut, riskModel),
      evidence,
      factors,
      model: input.modelInfo,
      decidedAt: input.decidedAt,
    },
  };
}
