export { scoreBaseline } from './baseline';
export { assess, type Assessment, type Factor, type PatternMatch, type TargetedAsset } from './assess';
export { recommendActions, dominantPattern } from './actions';
export {
  parseRiskModelConfig, riskModelConfigSchema, falsePositivePatternSchema, RiskModelConfigError,
  type RiskModelConfig, type FalsePositivePattern, type FalsePositivePatternKind,
} from './config';
export { severityFloor, CRITICAL_ASSET_CRITICALITY } from './floor';
export type { ScoringInput, ScoringContext, VerdictStamp } from './input';
export { compileRiskModel, type RiskModel, type CompiledPattern } from './model';
export { ownerOf } from './owner';
export {
  SEVERITY_ORDER, severityOf, severityRank, atLeast, maxSeverity, minimumScoreOf, type Severity,
} from './severity';
export { summarize, topFactors } from './summary';
export { sanitizeText } from './text';
export { userAgentOf } from './user-agent';
