import type { ScoringInput } from './input';
import type { RiskModel } from './model';
import { memberEvents, targetingOf } from './assess';
import type { Severity } from './severity';

/** DESIGN section 4: the criticality that makes an asset "critical" for the severity floor. */
export const CRITICAL_ASSET_CRITICALITY = 5;

/**
 * The minimum severity any verdict on this incident may carry: the configured floor
 * (`criticalAssetFloor`, default medium) when a targeted asset has criticality >= its threshold
 * (default 5), else null. The baseline applies it; the LLM guard rail must too.
 */
export function severityFloor(input: ScoringInput, model: RiskModel): Severity | null {
  const { criticality, severity } = model.config.criticalAssetFloor;
  for (const event of memberEvents(input.incident, input.events).values()) {
    const targeted = targetingOf(event);
    for (const asset of event.enrichment.assets) {
      if (asset.criticality >= criticality && targeted(asset.key)) return severity;
    }
  }
  return null;
}
