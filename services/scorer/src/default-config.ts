import defaults from '../config/risk-model.default.json' with { type: 'json' };
import { parseRiskModelConfig, type RiskModelConfig } from './domain/config';
import { compileRiskModel, type RiskModel } from './domain/model';

/** The shipped defaults (config/risk-model.default.json), validated like any other config. */
export const DEFAULT_RISK_MODEL_CONFIG: RiskModelConfig = parseRiskModelConfig(defaults);

export function defaultRiskModel(): RiskModel {
  return compileRiskModel(DEFAULT_RISK_MODEL_CONFIG);
}
